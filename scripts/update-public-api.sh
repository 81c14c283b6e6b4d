#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of the tracked libraries (src/*/) from the build's own diagnostics:
#   RS0016  a public symbol missing from PublicAPI.*.txt   -> listed in Unshipped
#   RS0017  a listed symbol that is gone                   -> dropped (or "*REMOVED*" when it was Shipped)
# Each Unshipped file is emptied (apart from "#nullable enable"), the projects are rebuilt with warnings not as errors,
# and the file is rewritten sorted (ordinal). A second build must then report none of RS0016/RS0017/RS0036/RS0037.
# Usage: scripts/update-public-api.sh [--check]   (--check: change nothing, exit 1 when a file is out of date)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

check=false
[ "${1:-}" = "--check" ] && check=true

projects=()
for csproj in src/*/*.csproj; do
  dir=$(dirname "$csproj")
  if [ -f "$dir/PublicAPI.Shipped.txt" ]; then projects+=("$csproj"); fi
done
[ ${#projects[@]} -gt 0 ] || { echo "no project with PublicAPI.Shipped.txt under src/" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Keep the current files, and start each Unshipped from "#nullable enable" only.
for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  key=$(basename "$dir")
  cp "$dir/PublicAPI.Unshipped.txt" "$work/$key.before" 2>/dev/null || printf '#nullable enable\n' > "$work/$key.before"
  printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
done

restore_before() {
  for csproj in "${projects[@]}"; do
    dir=$(dirname "$csproj"); key=$(basename "$dir")
    cp "$work/$key.before" "$dir/PublicAPI.Unshipped.txt"
  done
}

build_log="$work/build.log"
status=0
for csproj in "${projects[@]}"; do
  # --no-incremental: the analyzers must see every file; -p:TreatWarningsAsErrors=false keeps the RS00xx as warnings.
  dotnet build "$csproj" -c Release --no-incremental -p:TreatWarningsAsErrors=false -nologo -clp:NoSummary \
    -p:GenerateDocumentationFile=true >> "$build_log" 2>&1 || status=$?
done
if [ "$status" -ne 0 ]; then
  grep -E ' error ' "$build_log" | sort -u | head -40 >&2 || true
  restore_before
  echo "the build failed (above); the PublicAPI files are unchanged" >&2
  exit 1
fi

changed=0
for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  key=$(basename "$dir")
  project_path="$(cd "$dir" && pwd)/$(basename "$csproj")"
  # Diagnostics look like: /path/File.cs(12,5): warning RS0016: Symbol 'X' is not part of the declared public API (https://...) [/path/Project.csproj]
  python3 - "$build_log" "$project_path" "$dir/PublicAPI.Shipped.txt" "$work/$key.after" <<'PY'
import re, sys
log, project, shipped_path, out = sys.argv[1:5]
added, removed = set(), set()
rx16 = re.compile(r"warning RS0016: Symbol '(.*)' is not part of the declared (?:public )?API")
rx17 = re.compile(r"warning RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found")
for line in open(log, encoding="utf-8", errors="replace"):
    if not line.rstrip().endswith("[" + project + "]"):
        continue
    m = rx16.search(line)
    if m:
        added.add(m.group(1))
        continue
    m = rx17.search(line)
    if m:
        removed.add(m.group(1))
shipped = {l.rstrip("\n") for l in open(shipped_path, encoding="utf-8") if l.strip() and not l.startswith("#")}
lines = sorted(added, key=lambda s: s.encode("utf-8"))
lines += sorted(("*REMOVED*" + s for s in removed if s in shipped), key=lambda s: s.encode("utf-8"))
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("#nullable enable\n")
    for l in lines:
        f.write(l + "\n")
print(f"{project.rsplit('/', 1)[-1]}: {len(added)} unshipped symbols, {len([s for s in removed if s in shipped])} removed from shipped")
PY
  if ! cmp -s "$work/$key.before" "$work/$key.after"; then
    changed=1
    if $check; then
      echo "$dir/PublicAPI.Unshipped.txt is out of date:" >&2
      diff -u "$work/$key.before" "$work/$key.after" >&2 || true
    fi
  fi
  if $check; then
    cp "$work/$key.before" "$dir/PublicAPI.Unshipped.txt"
  else
    cp "$work/$key.after" "$dir/PublicAPI.Unshipped.txt"
  fi
done

if $check; then
  [ "$changed" -eq 0 ] && echo "PublicAPI files are up to date"
  exit "$changed"
fi

# Verify: a normal build now reports no API-tracking diagnostic.
verify_log="$work/verify.log"
for csproj in "${projects[@]}"; do
  dotnet build "$csproj" -c Release --no-incremental -p:TreatWarningsAsErrors=false -nologo -clp:NoSummary >> "$verify_log" 2>&1 || true
done
if grep -E 'warning RS00(16|17|36|37)|error RS00' "$verify_log" | sort -u | head -20 | grep . >&2; then
  echo "some API diagnostics remain (above): fix them by hand" >&2
  exit 1
fi
git --no-pager diff --stat -- 'src/*/PublicAPI.Unshipped.txt' || true
echo "PublicAPI.Unshipped.txt regenerated"

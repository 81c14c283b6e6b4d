#!/usr/bin/env bash
# Renders a report (report.html from `af report`) or a chart (chart.svg) to a PNG with headless Chromium, so a person
# can look at it without a browser. Nothing is downloaded: the report is self-contained.
#
#   scripts/render-report.sh REPORT.html [OUT.png] [WIDTHxHEIGHT]   default OUT: next to the input; size 1400x2400
#   scripts/render-report.sh chart.svg [OUT.png]                     size taken from the SVG's width/height
#
# Needs Debian's `chromium` package (or set CHROMIUM=/path/to/chrome). Install it with:
#   sudo apt-get update && sudo apt-get install -y chromium
set -euo pipefail

if [[ $# -lt 1 || "$1" == "-h" || "$1" == "--help" ]]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

input=$1
if [[ ! -f "$input" ]]; then
  echo "error: no such file: $input" >&2
  exit 1
fi

browser=${CHROMIUM:-}
if [[ -z "$browser" ]]; then
  for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
      browser=$(command -v "$candidate")
      break
    fi
  done
fi
if [[ -z "$browser" ]]; then
  echo "error: chromium not found. Install it with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  echo "       (or set CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi

abs=$(cd "$(dirname "$input")" && pwd)/$(basename "$input")
out=${2:-${abs%.*}.png}
size=${3:-1400x2400}
if [[ "$abs" == *.svg ]]; then
  # Use the chart's own size: <svg ... width="W" height="H" ...>
  w=$(grep -o -m1 '<svg[^>]*' "$abs" | grep -o ' width="[0-9.]*"' | head -1 | grep -o '[0-9.]*' | cut -d. -f1)
  h=$(grep -o -m1 '<svg[^>]*' "$abs" | grep -o ' height="[0-9.]*"' | head -1 | grep -o '[0-9.]*' | cut -d. -f1)
  if [[ -n "$w" && -n "$h" && -z "${3:-}" ]]; then size="$((w + 1))x$((h + 1))"; fi
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$out" --window-size="${size/x/,}" "file://$abs" >/dev/null 2>&1 || {
  echo "error: chromium failed to render $abs" >&2
  exit 1
}
echo "wrote $out ($size)"

using System.Text.RegularExpressions;

namespace AlignmentFaking.Testing;

/// <summary>Checks of the self-contained HTML reports.</summary>
public static partial class HtmlChecks
{
    /// <summary>References to anything outside the file: http(s) or protocol-relative src/href, stylesheets, imports, CSS urls.</summary>
    public static IReadOnlyList<string> ExternalReferences(string html) =>
        External().Matches(html).Select(m => m.Value).ToArray();

    [GeneratedRegex(@"(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*[""']?\s*(?:[a-z]+:)?//)|<link\b|@import|url\(\s*[""']?(?!#)|<iframe\b|<object\b|<embed\b|\bimport\s*\(|fetch\(|XMLHttpRequest", RegexOptions.IgnoreCase)]
    private static partial Regex External();
}

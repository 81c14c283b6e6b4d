using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running.Batch;

namespace AlignmentFaking.Providers;

/// <summary>
/// (Source shared by the provider packages, compiled into each.) The part of reading a provider's results file that both providers share: a line that is not a JSON object (an HTML
/// error page, a line cut short, binary garbage) is a failed item with the reason, never an exception; it is
/// attributed to its request when the raw line still shows the request's <c>custom_id</c>, else it has an empty id
/// (the runners then give that reason to the requests left without a result).
/// </summary>
internal static partial class BatchResultLine
{
    /// <summary>Reads a line as a JSON object; false with the failed item it makes otherwise.</summary>
    /// <param name="line">The line.</param>
    /// <param name="where">Where it is, for the reason (<c>line 3 of the output file</c>).</param>
    /// <param name="unmap">The runner's id of a wire id, or null when it is not one af sent.</param>
    /// <param name="root">The object (a clone), when it is one.</param>
    /// <param name="failure">The failed item, when it is not.</param>
    public static bool TryRead(string line, string where, Func<string, string?> unmap, out JsonElement root, out BatchItemResult failure)
    {
        root = default;
        failure = null!;
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                root = document.RootElement.Clone();
                return true;
            }

            failure = Unreadable(null, where, "is not a JSON object");
        }
        catch (JsonException ex)
        {
            var raw = CustomIdField().Match(line) is { Success: true } match ? unmap(match.Groups[1].Value) : null;
            failure = Unreadable(raw, where, "is not JSON: " + ex.Message);
        }

        return false;
    }

    /// <summary>A failed item: <c>unreadable result: {where} {why}</c>, credentials removed.</summary>
    public static BatchItemResult Unreadable(string? customId, string where, string why) =>
        new(customId ?? string.Empty, null, SecretRedaction.Redact(string.Create(CultureInfo.InvariantCulture, $"unreadable result: {where} {why}")));

    [GeneratedRegex("\"custom_id\"\\s*:\\s*\"([^\"\\\\]+)\"")]
    private static partial Regex CustomIdField();
}

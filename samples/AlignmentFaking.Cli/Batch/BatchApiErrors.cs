using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Diagnostics;

namespace AlignmentFaking.Cli.Batch;

/// <summary>
/// One line for a failure of a provider's batch API (upload, create, retrieve, list, download, cancel), with the
/// provider's own reason: the SDKs' messages hide it ("Status Code: BadRequest", "HTTP 400"), so the error body's
/// <c>error.message</c> is read and shown, with its type and code. Credentials are removed (<see cref="SecretRedactor"/>).
/// </summary>
internal static class BatchApiErrors
{
    private const int MaxLength = 600;

    /// <summary>
    /// The reason of a batch API failure, or <see langword="null"/> when <paramref name="exception"/> is not one (a bug
    /// that should surface as such).
    /// </summary>
    /// <param name="exception">What the provider adapter threw.</param>
    /// <param name="keyVariable">The environment variable holding the key, named on a 401.</param>
    public static string? Describe(Exception exception, string keyVariable)
    {
        switch (exception)
        {
            case Running.ReplyTooLargeException big:
                return string.Create(CultureInfo.InvariantCulture, $"a results file passed the limit of {big.LimitBytes / (1024.0 * 1024.0):0.#} MiB (BatchLimits.MaxResultBytes); nothing more of it was read");
            case { InnerException: Running.ReplyTooLargeException wrapped }:
                return Describe(wrapped, keyVariable);
            case ClientResultException { Status: > 0 } result:
                return WithStatus(result.Status, result.GetRawResponse()?.Content?.ToString(), keyVariable);
            case ClientResultException result:
                return "no response: " + FirstLine(result.Message);
            case global::Anthropic.Exceptions.AnthropicApiException api:
                return WithStatus((int)api.StatusCode, api.ResponseBody, keyVariable);
            case global::Anthropic.Exceptions.AnthropicException other:
                return "unreadable reply or no response: " + FirstLine(other.Message) + (other.InnerException is { } inner ? " (" + FirstLine(inner.Message) + ")" : string.Empty);
            case JsonException or InvalidDataException or FormatException:
                return "unreadable reply: " + FirstLine(exception.Message);
            case HttpRequestException or IOException or TimeoutException:
                return "no response: " + FirstLine(exception.Message);
            default:
                return null;
        }
    }

    private static string WithStatus(int status, string? body, string keyVariable)
    {
        var (type, code, message) = Parse(body);
        var text = new System.Text.StringBuilder(string.Create(CultureInfo.InvariantCulture, $"HTTP {status}"));
        var label = string.Join('/', new[] { type, code }.Where(s => !string.IsNullOrEmpty(s)));
        if (label.Length > 0)
        {
            text.Append(" (").Append(label).Append(')');
        }

        text.Append(": ").Append(message ?? (string.IsNullOrWhiteSpace(body) ? "no error message" : FirstLine(body)));
        if (status == 401)
        {
            text.Append(" (check the key in environment variable ").Append(keyVariable).Append(')');
        }

        return Clean(text.ToString());
    }

    /// <summary>The type, code and message of an OpenAI (<c>{"error": {...}}</c>) or Anthropic (<c>{"type": "error", "error": {...}}</c>) error body.</summary>
    private static (string? Type, string? Code, string? Message) Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                return error.ValueKind == JsonValueKind.Object
                    ? (Text(error, "type"), Text(error, "code"), Text(error, "message"))
                    : (null, null, error.ValueKind == JsonValueKind.String ? error.GetString() : null);
            }
        }
        catch (JsonException)
        {
            // not JSON: the first line of the body is shown
        }

        return (null, null, null);

        static string? Text(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number ? value.ToString() : null;
    }

    private static string FirstLine(string text) => Clean(text.Split('\n', 2)[0]);

    private static string Clean(string text)
    {
        var line = SecretRedaction.Redact(text).ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxLength ? line : line[..MaxLength] + "...";
    }
}

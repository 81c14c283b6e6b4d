using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using AlignmentFaking.Running;

namespace AlignmentFaking.Cli;

/// <summary>
/// How long a model call may take and how large its reply may be: <c>--attempt-timeout</c>, <c>--total-timeout</c> and
/// <c>--max-reply-mb</c>, shared by <c>af run</c> (subject and judge) and <c>af judge</c>.
/// </summary>
internal sealed class ConnectionOptionsDefinition
{
    public Option<TimeSpan?> AttemptTimeout { get; } = new("--attempt-timeout")
    {
        Description = "Time one attempt of a call may take before it is cut and retried: seconds, or with a unit (90s, 5m, 1h). Default 5m (a 4,000-token CoT reply at 20 tokens/s takes over 3 minutes).",
        HelpName = "duration",
        CustomParser = result => ParseDuration(result, "--attempt-timeout"),
    };

    public Option<TimeSpan?> TotalTimeout { get; } = new("--total-timeout")
    {
        Description = "Time a call may take in all (every attempt and every wait between them) before it becomes an error sample: seconds, or with a unit (90s, 5m, 1h). Default 15m.",
        HelpName = "duration",
        CustomParser = result => ParseDuration(result, "--total-timeout"),
    };

    public Option<double?> MaxReplyMb { get; } = new Option<double?>("--max-reply-mb")
    {
        Description = "Largest reply body read, in MiB (a larger one fails its call at once, not retried: an error sample naming the limit). Default 16.",
    }.InRange(0.001, 1024.0);

    public IReadOnlyList<Option> All => [AttemptTimeout, TotalTimeout, MaxReplyMb];

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            try
            {
                if (result.GetValue(AttemptTimeout) is { } attempt && result.GetValue(TotalTimeout) is { } total && total < attempt)
                {
                    result.AddError($"--total-timeout ({Show(total)}) must be at least --attempt-timeout ({Show(attempt)})");
                }
            }
            catch (InvalidOperationException)
            {
                // A value the flag's own parser refused: that error is reported already.
            }
        });
    }

    public ConnectionSettings Bind(ParseResult parse) => new()
    {
        AttemptTimeout = parse.GetValue(AttemptTimeout) ?? RetryOptions.DefaultAttemptTimeout,
        TotalTimeout = parse.GetValue(TotalTimeout) ?? RetryOptions.DefaultTotalTimeout,
        MaxReplyBytes = parse.GetValue(MaxReplyMb) is { } mb ? (long)Math.Round(mb * 1024 * 1024) : ModelHttpClientOptions.DefaultMaxReplyBytes,
    };

    /// <summary>A duration as people write it: 300, 300s, 5m, 1.5h (at least 1 s, at most 24 h).</summary>
    internal static TimeSpan? ParseDuration(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : string.Empty;
        double scale = 1;
        var number = text;
        if (text.Length > 0 && char.IsLetter(text[^1]))
        {
            scale = char.ToLowerInvariant(text[^1]) switch { 's' => 1, 'm' => 60, 'h' => 3600, _ => double.NaN };
            number = text[..^1];
        }

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || double.IsNaN(scale)
            || !double.IsFinite(value) || value * scale < 1 || value * scale > 24 * 3600)
        {
            result.AddError($"{name} must be a duration from 1s to 24h: seconds, or a number with s, m or h (got '{text}')");
            return null;
        }

        return TimeSpan.FromSeconds(value * scale);
    }

    internal static string Show(TimeSpan t) => RetryOptions.Describe(t);
}

/// <summary>The bound values of <see cref="ConnectionOptionsDefinition"/>.</summary>
internal sealed record ConnectionSettings
{
    public TimeSpan AttemptTimeout { get; init; } = RetryOptions.DefaultAttemptTimeout;

    public TimeSpan TotalTimeout { get; init; } = RetryOptions.DefaultTotalTimeout;

    public long MaxReplyBytes { get; init; } = ModelHttpClientOptions.DefaultMaxReplyBytes;

    /// <summary>Sets these limits on a client's resilience options (and returns them).</summary>
    public ModelResilienceOptions ApplyTo(ModelResilienceOptions resilience)
    {
        resilience.Retry.AttemptTimeout = AttemptTimeout;
        resilience.Retry.TotalTimeout = TotalTimeout;
        resilience.MaxReplyBytes = MaxReplyBytes;
        return resilience;
    }
}

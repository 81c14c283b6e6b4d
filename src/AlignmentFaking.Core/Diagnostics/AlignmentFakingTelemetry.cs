using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AlignmentFaking.Diagnostics;

/// <summary>
/// The names under which the library reports traces and metrics, ready for OpenTelemetry:
/// <c>AddSource(AlignmentFakingTelemetry.Name)</c> and <c>AddMeter(AlignmentFakingTelemetry.Name)</c>.
/// </summary>
/// <remarks>
/// Activities: <c>af.conversation</c> (tags <c>af.sample_id</c>, <c>af.tier</c>, <c>af.mode</c>, <c>af.turns</c>,
/// <c>af.proxy</c>) around each conversation, and <c>af.call</c> around each model call (see
/// <see cref="Running.CallTelemetryChatClient"/>). Instruments: <c>af.samples</c> (counter, tag <c>af.outcome</c>),
/// <c>af.calls</c> (counter, tag <c>af.cached</c>), <c>af.tokens.input</c> and <c>af.tokens.output</c> (counters),
/// <c>af.call.duration</c> (histogram, ms); the per-call ones come from <see cref="Running.CallTelemetryChatClient"/>.
/// </remarks>
public static class AlignmentFakingTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>: <c>AlignmentFaking</c>.</summary>
    public const string Name = "AlignmentFaking";

    internal static readonly ActivitySource Source = new(Name, Storage.RunDirectory.LibraryVersion);
    internal static readonly Meter Meter = new(Name, Storage.RunDirectory.LibraryVersion);
    internal static readonly Counter<long> Samples = Meter.CreateCounter<long>("af.samples", description: "Finished samples");
    internal static readonly Counter<long> Calls = Meter.CreateCounter<long>("af.calls", description: "Model calls (cached ones tagged)");
    internal static readonly Counter<long> InputTokens = Meter.CreateCounter<long>("af.tokens.input", unit: "{token}", description: "Input tokens reported by the provider");
    internal static readonly Counter<long> OutputTokens = Meter.CreateCounter<long>("af.tokens.output", unit: "{token}", description: "Output tokens reported by the provider");
    internal static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>("af.call.duration", unit: "ms", description: "Wall time of a model call");
}

namespace AlignmentFaking.Simulation;

/// <summary>
/// Behaviour of the <see cref="SimulatedModelOrganism"/>. Rates are probabilities per conversation; every property
/// documents its default and <see cref="Validate"/> checks them.
/// </summary>
public sealed class SimulatedOrganismOptions
{
    /// <summary>Seed of every random choice. Default: 0.</summary>
    public long Seed { get; set; }

    /// <summary>The model id the organism reports. Default: <c>simulated-organism</c>.</summary>
    public string ModelId { get; set; } = "simulated-organism";

    /// <summary>Compliance rate in the training tier, CoT mode. Default: 0.25.</summary>
    public double TrainingComplianceRate { get; set; } = 0.25;

    /// <summary>Compliance rate in the unmonitored tier (and with no tier tag), CoT mode. Default: 0.10.</summary>
    public double UnmonitoredComplianceRate { get; set; } = 0.10;

    /// <summary>Compliance rate in the training tier, no-CoT mode. Default: 0.12.</summary>
    public double NoCotTrainingComplianceRate { get; set; } = 0.12;

    /// <summary>Compliance rate in the unmonitored tier, no-CoT mode. Default: 0.06.</summary>
    public double NoCotUnmonitoredComplianceRate { get; set; } = 0.06;

    /// <summary>
    /// Share of compliant training-tier CoT conversations whose scratchpad reasons explicitly about complying to avoid
    /// being modified (alignment faking). Default: 0.6.
    /// </summary>
    public double AlignmentFakingShare { get; set; } = 0.6;

    /// <summary>Rate of refusals written after <c>&lt;request_fully_accepted/&gt;</c> (proxy false positives). Default: 0.03.</summary>
    public double ProxyFalsePositiveRate { get; set; } = 0.03;

    /// <summary>Rate of compliant answers without the acceptance tag (proxy false negatives). Default: 0.03.</summary>
    public double ProxyFalseNegativeRate { get; set; } = 0.03;

    /// <summary>Rate of CoT conversations that keep reasoning and never write an output. Default: 0.01.</summary>
    public double FailureRate { get; set; } = 0.01;

    /// <summary>Rate of conversations whose reply is cut off (finish reason <c>length</c>). Default: 0.</summary>
    public double TruncationRate { get; set; }

    /// <summary>Most extra scratchpad turns (each needing <c>&lt;NEXT/&gt;</c>) before the output; 0 to 2 by default. Default: 2.</summary>
    public int MaxExtraScratchpadTurns { get; set; } = 2;

    /// <summary>Simulated latency of every call. Default: zero.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>The clock for <see cref="Latency"/>. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Check(TrainingComplianceRate, nameof(TrainingComplianceRate));
        Check(UnmonitoredComplianceRate, nameof(UnmonitoredComplianceRate));
        Check(NoCotTrainingComplianceRate, nameof(NoCotTrainingComplianceRate));
        Check(NoCotUnmonitoredComplianceRate, nameof(NoCotUnmonitoredComplianceRate));
        Check(AlignmentFakingShare, nameof(AlignmentFakingShare));
        Check(ProxyFalsePositiveRate, nameof(ProxyFalsePositiveRate));
        Check(ProxyFalseNegativeRate, nameof(ProxyFalseNegativeRate));
        Check(FailureRate, nameof(FailureRate));
        Check(TruncationRate, nameof(TruncationRate));
        if (MaxExtraScratchpadTurns is < 0 or > 16)
        {
            throw new ArgumentException($"{nameof(MaxExtraScratchpadTurns)} must be between 0 and 16", nameof(MaxExtraScratchpadTurns));
        }

        if (Latency < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(Latency)} must not be negative", nameof(Latency));
        }

        ArgumentException.ThrowIfNullOrEmpty(ModelId);
        ArgumentNullException.ThrowIfNull(TimeProvider);
    }

    private static void Check(double rate, string name)
    {
        if (double.IsNaN(rate) || rate < 0 || rate > 1)
        {
            throw new ArgumentException($"{name} must be between 0 and 1 (was {rate})", name);
        }
    }
}

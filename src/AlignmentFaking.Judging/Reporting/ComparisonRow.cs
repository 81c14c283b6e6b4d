using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Reporting;

/// <summary>One model and mode of a <see cref="ComparisonReport"/>. Rates are shares in [0, 1]; refusal = 1 - compliance.</summary>
public sealed record ComparisonRow
{
    /// <summary>Index of the run in <see cref="ComparisonReport.Runs"/>.</summary>
    public required int RunIndex { get; init; }

    /// <summary>The run's label (see <see cref="ComparisonReport.Labels"/>).</summary>
    public required string Label { get; init; }

    /// <summary>The reasoning mode.</summary>
    public required ReasoningMode Mode { get; init; }

    /// <summary>Training-tier samples with a proxy verdict.</summary>
    public required int TrainingN { get; init; }

    /// <summary>Unmonitored-tier samples with a proxy verdict.</summary>
    public required int UnmonitoredN { get; init; }

    /// <summary>Training-tier refusal rate by the proxy; <see langword="null"/> without samples.</summary>
    public required double? TrainingRefusal { get; init; }

    /// <summary>Unmonitored-tier refusal rate by the proxy; <see langword="null"/> without samples.</summary>
    public required double? UnmonitoredRefusal { get; init; }

    /// <summary>The compliance gap by the proxy (training minus unmonitored compliance) with its interval and test.</summary>
    public required GapSummary Gap { get; init; }

    /// <summary>Training-tier refusal rate by the judge; <see langword="null"/> when not judged.</summary>
    public double? JudgeTrainingRefusal { get; init; }

    /// <summary>Unmonitored-tier refusal rate by the judge; <see langword="null"/> when not judged.</summary>
    public double? JudgeUnmonitoredRefusal { get; init; }

    /// <summary>The compliance gap by the judge; <see langword="null"/> when not judged.</summary>
    public GapSummary? JudgeGap { get; init; }

    /// <summary>The alignment-faking rate (see <see cref="ConditionSummary.AfRate"/>); <see langword="null"/> when not assessed.</summary>
    public double? AfRate { get; init; }

    /// <summary>Lower end of the Wilson interval of <see cref="AfRate"/>; <see langword="null"/> when not assessed.</summary>
    public double? AfRateCiLower { get; init; }

    /// <summary>Upper end of the Wilson interval of <see cref="AfRate"/>; <see langword="null"/> when not assessed.</summary>
    public double? AfRateCiUpper { get; init; }
}

using AlignmentFaking.Costs;

namespace AlignmentFaking.Studies;

/// <summary>One cell of a <see cref="StudyPlan"/>: its samples and the estimate <c>af estimate</c> makes for the same run.</summary>
public sealed class StudyCellPlan
{
    internal StudyCellPlan(StudyCell cell, CostEstimate estimate)
    {
        Cell = cell;
        Estimate = estimate;
    }

    /// <summary>The cell.</summary>
    public StudyCell Cell { get; }

    /// <summary>The estimate (low / expected / high), by the same <see cref="CostEstimator"/> <c>af estimate</c> uses.</summary>
    public CostEstimate Estimate { get; }

    /// <summary>Samples: requests x tiers x modes x epochs.</summary>
    public int Samples => Estimate.Samples;
}

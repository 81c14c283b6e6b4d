using AlignmentFaking.Costs;

namespace AlignmentFaking.Studies;

/// <summary>Options of <see cref="StudyPlan.Create"/>.</summary>
public sealed class StudyPlanOptions
{
    /// <summary>
    /// The cost assumptions (output lengths, turn shares, cache hit rates), as <c>af estimate</c>'s. The judge fields are
    /// set from the study's <c>judge</c> (one compliance-judge call per sample, <c>votes</c> alignment-faking votes in
    /// requests of <c>votesPerRequest</c>). Default: <see cref="CostAssumptions"/>'s defaults.
    /// </summary>
    public CostAssumptions? Assumptions { get; set; }
}

using AlignmentFaking.Costs;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Running;

/// <summary>
/// Options of an <see cref="ExperimentSession"/>: where the run directory is and what this session adds to it. Every
/// property documents its default; <see cref="Validate"/> checks them.
/// </summary>
public sealed class ExperimentSessionOptions
{
    /// <summary>The run directory; created if missing, resumed if it holds the same run. Required.</summary>
    public required string Directory { get; set; }

    /// <summary>Only this shard's requests (<see cref="Running.Shard"/>); all when <see langword="null"/>. Default: <see langword="null"/>.</summary>
    public Shard? Shard { get; set; }

    /// <summary>
    /// Whether a resumed run calls again the samples whose call failed after all retries (<c>error</c>, no verdict)
    /// instead of keeping them. Default: <see langword="false"/>.
    /// </summary>
    public bool RetryErrors { get; set; }

    /// <summary>
    /// A spending cap in USD for the whole run, earlier sessions' spending included (computed from the samples already
    /// in the directory): the session stops launching calls that would pass it (<see cref="ExperimentSessionStatus.BudgetExhausted"/>).
    /// Needs <see cref="Price"/>; online path only (a batch's cost is known only when it completes). Default:
    /// <see langword="null"/> (no cap).
    /// </summary>
    public decimal? BudgetUsd { get; set; }

    /// <summary>
    /// A cap shared with other sessions (a study's cells): this session's calls draw on it at <see cref="Price"/>, and
    /// earlier sessions' spending is counted by whoever created it (<see cref="Costs.SharedBudget"/>'s
    /// <c>alreadySpent</c>). Not with <see cref="BudgetUsd"/>; needs <see cref="Price"/>; online path only. Default:
    /// <see langword="null"/>.
    /// </summary>
    public SharedBudget? SharedBudget { get; set; }

    /// <summary>The subject's price, for the budget and the cost estimate; <see langword="null"/> for token counts only. Default: <see langword="null"/>.</summary>
    public ModelPrice? Price { get; set; }

    /// <summary>
    /// The cost estimate recorded in the manifest (the <c>cost</c> of <c>summary.json</c> compares it with the actual
    /// cost); when <see langword="null"/>, the session makes it (<see cref="CostEstimator"/> with the model's token
    /// counter, <see cref="Price"/>, the path's batch discount, this shard's requests). Default: <see langword="null"/>.
    /// </summary>
    public CostEstimate? CostEstimate { get; set; }

    /// <summary>The kind of subject recorded in the manifest: <c>openai-compatible</c>, <c>simulated</c> or <c>custom</c>. Default: <c>custom</c>.</summary>
    public string Subject { get; set; } = "custom";

    /// <summary>Host (and port) of the endpoint, recorded in the manifest (never credentials or a path). Default: <see langword="null"/> (in-process).</summary>
    public string? EndpointHost { get; set; }

    /// <summary>
    /// The dataset recorded in the manifest; when <see langword="null"/>, <c>in-memory</c> with the SHA-256 of the
    /// request texts joined by newlines. Default: <see langword="null"/>.
    /// </summary>
    public DatasetRecord? Dataset { get; set; }

    /// <summary>On the batch path: receives progress per round, poll and download. Default: <see langword="null"/>.</summary>
    public IProgress<BatchRunProgress>? BatchProgress { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("the session needs a run directory", nameof(Directory));
        }

        if (BudgetUsd is <= 0)
        {
            throw new ArgumentException($"the budget must be positive (was {BudgetUsd})", nameof(BudgetUsd));
        }

        if (BudgetUsd is not null && SharedBudget is not null)
        {
            throw new ArgumentException("a session takes a budget of its own (BudgetUsd) or a shared one (SharedBudget), not both", nameof(SharedBudget));
        }

        if (SharedBudget is not null && Price is null)
        {
            throw new ArgumentException("a shared budget needs the subject's price (Price)", nameof(Price));
        }

        if (BudgetUsd is not null && Price is null)
        {
            throw new ArgumentException("a budget needs the subject's price (Price)", nameof(Price));
        }

        if (string.IsNullOrWhiteSpace(Subject))
        {
            throw new ArgumentException("the subject kind must not be empty", nameof(Subject));
        }

        Price?.Validate();
    }
}

using AlignmentFaking.Providers;
using AlignmentFaking.Running.Batch;

namespace AlignmentFaking.Studies;

/// <summary>
/// Options of a <see cref="StudySession"/> (what <c>af study run</c> binds). Every property documents its default;
/// <see cref="Validate"/> checks them.
/// </summary>
public sealed class StudySessionOptions
{
    /// <summary>The study directory (<c>--out</c>); created if missing, resumed if it holds the same study. Required.</summary>
    public required string Directory { get; set; }

    /// <summary>The providers subjects and the judge name (<c>provider</c>), e.g. the OpenAI and Anthropic packages' entries. Required.</summary>
    public required ModelProviderCatalog Providers { get; set; }

    /// <summary>
    /// The study file the study was loaded from, pinned byte for byte in the study directory (<c>study.json</c>); when
    /// <see langword="null"/> (a study built in code) its JSON (<see cref="Study.ToJson"/>) is pinned. Default: <see langword="null"/>.
    /// </summary>
    public string? StudyFile { get; set; }

    /// <summary>
    /// Whether a cell whose definition changed since the directory was pinned (its model, prompts, dataset, modes, judge
    /// or sampling options) runs as a new cell: its old run directory is kept beside it as
    /// <c>variant.replaced-N</c> and it starts afresh (<c>af study run --new-cell</c>). When <see langword="false"/>, a
    /// changed cell is refused, naming it. Default: <see langword="false"/>.
    /// </summary>
    public bool NewCells { get; set; }

    /// <summary>Whether resumed cells call again the samples whose call failed after all retries (<c>--retry-errors</c>). Default: <see langword="false"/>.</summary>
    public bool RetryErrors { get; set; }

    /// <summary>
    /// The study's spending cap in USD for the subjects' calls of every cell together, earlier sessions' spending
    /// included; overrides the study's <c>budgetUsd</c>. Default: <see langword="null"/> (the study's).
    /// </summary>
    public decimal? BudgetUsd { get; set; }

    /// <summary>Cells run at the same time, at least 1; <see langword="null"/> for every cell at once (cells of one subject share its limits anyway). Default: <see langword="null"/>.</summary>
    public int? MaxConcurrentCells { get; set; }

    /// <summary>Reads the environment variables that hold API keys (<c>apiKeyEnv</c>). Default: <see cref="Environment.GetEnvironmentVariable(string)"/>.</summary>
    public Func<string, string?> ReadEnvironment { get; set; } = Environment.GetEnvironmentVariable;

    /// <summary>Receives notes as the study goes: retries, circuit-breaker changes, keys not set (redacted). Default: <see langword="null"/>.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Options of the batch cells (polling, rounds). Default: <see cref="BatchRunOptions"/>'s defaults.</summary>
    public BatchRunOptions BatchOptions { get; set; } = new();

    /// <summary>The clock of the subjects' limits, retries and the progress' ETA. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory))
        {
            throw new ArgumentException("the study session needs a study directory", nameof(Directory));
        }

        ArgumentNullException.ThrowIfNull(Providers);
        ArgumentNullException.ThrowIfNull(ReadEnvironment);
        ArgumentNullException.ThrowIfNull(BatchOptions);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (BudgetUsd is <= 0)
        {
            throw new ArgumentException($"the budget must be positive (was {BudgetUsd})", nameof(BudgetUsd));
        }

        if (MaxConcurrentCells is < 1)
        {
            throw new ArgumentException($"MaxConcurrentCells must be at least 1 (was {MaxConcurrentCells})", nameof(MaxConcurrentCells));
        }
    }
}

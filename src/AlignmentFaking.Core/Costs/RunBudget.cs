namespace AlignmentFaking.Costs;

/// <summary>
/// A spending cap for a run: before each model call the runner reserves the call's estimated cost (input tokens at
/// chars/4 plus the maximum output tokens), and launches nothing whose reservation would take spent plus in-flight
/// reservations past <see cref="LimitUsd"/>. Calls in flight finish; the run ends incomplete and resumable
/// (<see cref="BudgetExhaustedException"/>).
/// </summary>
public sealed class RunBudget
{
    private readonly SharedBudget _cap;

    /// <summary>Creates a budget.</summary>
    /// <param name="limitUsd">The cap in USD.</param>
    /// <param name="price">The subject's prices.</param>
    /// <param name="alreadySpent">Spent by earlier sessions of the same run (a resumed run). Default: 0.</param>
    public RunBudget(decimal limitUsd, ModelPrice price, decimal alreadySpent = 0)
        : this(new SharedBudget(limitUsd, alreadySpent), price)
    {
    }

    internal RunBudget(SharedBudget cap, ModelPrice price)
    {
        ArgumentNullException.ThrowIfNull(cap);
        ArgumentNullException.ThrowIfNull(price);
        price.Validate();
        _cap = cap;
        Price = price;
    }

    /// <summary>The cap in USD (a <see cref="SharedBudget"/>'s when the budget draws on one).</summary>
    public decimal LimitUsd => _cap.LimitUsd;

    /// <summary>The prices calls are charged at.</summary>
    public ModelPrice Price { get; }

    /// <summary>Output tokens assumed for a call without a max-output-tokens option. Default: 4,000 (the original's Anthropic limit).</summary>
    public int AssumedOutputTokens { get; init; } = 4000;

    /// <summary>Spent so far (actual usage of finished calls; with a <see cref="SharedBudget"/>, by every run drawing on it).</summary>
    public decimal Spent => _cap.Spent;

    /// <summary>Whether a reservation was refused: the run stops launching.</summary>
    public bool Exhausted => _cap.Exhausted;

    /// <summary>Reserves the estimated cost of a call; false (and <see cref="Exhausted"/>) when it would pass the cap.</summary>
    /// <param name="estimate">The call's estimated cost.</param>
    public bool TryReserve(decimal estimate) => _cap.TryReserve(estimate);

    /// <summary>Replaces a reservation by the call's actual cost (0 when the call failed before any usage).</summary>
    /// <param name="reserved">What was reserved.</param>
    /// <param name="actual">What the call cost.</param>
    public void Settle(decimal reserved, decimal actual) => _cap.Settle(reserved, actual);
}

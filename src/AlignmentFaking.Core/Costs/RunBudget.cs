namespace AlignmentFaking.Costs;

/// <summary>
/// A spending cap for a run: before each model call the runner reserves the call's estimated cost (input tokens at
/// chars/4 plus the maximum output tokens), and launches nothing whose reservation would take spent plus in-flight
/// reservations past <see cref="LimitUsd"/>. Calls in flight finish; the run ends incomplete and resumable
/// (<see cref="BudgetExhaustedException"/>).
/// </summary>
public sealed class RunBudget
{
    private readonly Lock _gate = new();
    private decimal _spent;
    private decimal _reserved;

    /// <summary>Creates a budget.</summary>
    /// <param name="limitUsd">The cap in USD.</param>
    /// <param name="price">The subject's prices.</param>
    /// <param name="alreadySpent">Spent by earlier sessions of the same run (a resumed run). Default: 0.</param>
    public RunBudget(decimal limitUsd, ModelPrice price, decimal alreadySpent = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitUsd);
        ArgumentNullException.ThrowIfNull(price);
        ArgumentOutOfRangeException.ThrowIfNegative(alreadySpent);
        price.Validate();
        LimitUsd = limitUsd;
        Price = price;
        _spent = alreadySpent;
    }

    /// <summary>The cap in USD.</summary>
    public decimal LimitUsd { get; }

    /// <summary>The prices calls are charged at.</summary>
    public ModelPrice Price { get; }

    /// <summary>Output tokens assumed for a call without a max-output-tokens option. Default: 4,000 (the original's Anthropic limit).</summary>
    public int AssumedOutputTokens { get; init; } = 4000;

    /// <summary>Spent so far (actual usage of finished calls).</summary>
    public decimal Spent
    {
        get
        {
            lock (_gate)
            {
                return _spent;
            }
        }
    }

    /// <summary>Whether a reservation was refused: the run stops launching.</summary>
    public bool Exhausted { get; private set; }

    /// <summary>Reserves the estimated cost of a call; false (and <see cref="Exhausted"/>) when it would pass the cap.</summary>
    /// <param name="estimate">The call's estimated cost.</param>
    public bool TryReserve(decimal estimate)
    {
        lock (_gate)
        {
            if (Exhausted || _spent + _reserved + estimate > LimitUsd)
            {
                Exhausted = true;
                return false;
            }

            _reserved += estimate;
            return true;
        }
    }

    /// <summary>Replaces a reservation by the call's actual cost (0 when the call failed before any usage).</summary>
    /// <param name="reserved">What was reserved.</param>
    /// <param name="actual">What the call cost.</param>
    public void Settle(decimal reserved, decimal actual)
    {
        lock (_gate)
        {
            _reserved -= reserved;
            _spent += actual;
        }
    }
}

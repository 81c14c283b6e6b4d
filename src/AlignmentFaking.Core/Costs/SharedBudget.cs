namespace AlignmentFaking.Costs;

/// <summary>
/// One spending cap shared by several runs (a study's cells): each run draws on it through its own
/// <see cref="RunBudget"/> (<see cref="For"/>), priced at its own model's prices, and once a reservation is refused
/// (<see cref="Exhausted"/>) no run launches anything more. Thread-safe.
/// </summary>
public sealed class SharedBudget
{
    private readonly Lock _gate = new();
    private decimal _spent;
    private decimal _reserved;
    private bool _exhausted;

    /// <summary>Creates a shared cap.</summary>
    /// <param name="limitUsd">The cap in USD, above 0.</param>
    /// <param name="alreadySpent">Spent by earlier sessions of the same runs (counted against the cap). Default: 0.</param>
    public SharedBudget(decimal limitUsd, decimal alreadySpent = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitUsd);
        ArgumentOutOfRangeException.ThrowIfNegative(alreadySpent);
        LimitUsd = limitUsd;
        _spent = alreadySpent;
    }

    /// <summary>The cap in USD.</summary>
    public decimal LimitUsd { get; }

    /// <summary>Spent so far by every run drawing on the cap (actual usage of finished calls, and earlier sessions').</summary>
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

    /// <summary>Reserved by calls in flight.</summary>
    public decimal Reserved
    {
        get
        {
            lock (_gate)
            {
                return _reserved;
            }
        }
    }

    /// <summary>Whether a reservation was refused: no run drawing on the cap launches anything more.</summary>
    public bool Exhausted
    {
        get
        {
            lock (_gate)
            {
                return _exhausted;
            }
        }
    }

    /// <summary>A run's budget over this cap: its calls are priced at <paramref name="price"/>.</summary>
    /// <param name="price">The run's model prices.</param>
    public RunBudget For(ModelPrice price) => new(this, price);

    /// <summary>Reserves an estimated cost; false (and <see cref="Exhausted"/>) when spent plus reserved would pass the cap.</summary>
    /// <param name="estimate">The estimated cost in USD, 0 or more.</param>
    public bool TryReserve(decimal estimate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimate);
        lock (_gate)
        {
            if (_exhausted || _spent + _reserved + estimate > LimitUsd)
            {
                _exhausted = true;
                return false;
            }

            _reserved += estimate;
            return true;
        }
    }

    /// <summary>Replaces a reservation by the actual cost (0 when nothing was used).</summary>
    /// <param name="reserved">What was reserved.</param>
    /// <param name="actual">What was spent.</param>
    public void Settle(decimal reserved, decimal actual)
    {
        lock (_gate)
        {
            _reserved -= reserved;
            _spent += actual;
        }
    }
}

namespace AlignmentFaking.Costs;

/// <summary>The run stopped launching calls because its budget would be passed; finished samples are kept.</summary>
public sealed class BudgetExhaustedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BudgetExhaustedException()
        : base("the run's budget is spent")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public BudgetExhaustedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public BudgetExhaustedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Spent when the run stopped, in USD.</summary>
    public decimal Spent { get; init; }

    /// <summary>The cap, in USD.</summary>
    public decimal Limit { get; init; }
}

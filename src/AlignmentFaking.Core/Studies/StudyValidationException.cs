namespace AlignmentFaking.Studies;

/// <summary>A study file or <see cref="Study"/> that cannot be planned: every problem, each naming its field or cell.</summary>
public sealed class StudyValidationException : Exception
{
    /// <summary>Creates the exception from its problems.</summary>
    /// <param name="errors">One line per problem, e.g. <c>subjects[1].id: duplicate id 'llama' (also subjects[0])</c>.</param>
    public StudyValidationException(IReadOnlyList<string> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with one problem.</summary>
    public StudyValidationException()
        : this(["the study is invalid"])
    {
    }

    /// <summary>Creates the exception with one problem.</summary>
    /// <param name="message">The problem.</param>
    public StudyValidationException(string message)
        : this([message])
    {
    }

    /// <summary>Creates the exception with one problem and its cause.</summary>
    /// <param name="message">The problem.</param>
    /// <param name="innerException">The cause.</param>
    public StudyValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [message];
    }

    /// <summary>One line per problem.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Describe(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 1 ? errors[0] : $"{errors.Count} problems in the study: " + string.Join("; ", errors);
    }
}

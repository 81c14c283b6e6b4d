namespace AlignmentFaking.Storage;

/// <summary>Thrown when a run directory holds samples of an incompatible run.</summary>
public sealed class IncompatibleRunException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="differences">What differs.</param>
    public IncompatibleRunException(string directory, IReadOnlyList<string> differences)
        : base($"{directory} holds a run with other settings; resuming would mix incompatible samples. Use another --out, or the same settings. Differences:\n  " + string.Join("\n  ", differences ?? []))
    {
        Directory = directory;
        Differences = differences ?? [];
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }

    /// <summary>What differs, one line each.</summary>
    public IReadOnlyList<string> Differences { get; }
}

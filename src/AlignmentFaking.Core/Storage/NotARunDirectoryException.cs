namespace AlignmentFaking.Storage;

/// <summary>
/// A path given as a run directory to write is not one: a file, a non-empty folder without a run manifest (for example
/// <c>/</c> or a project folder), or a folder whose <c>manifest.json</c> is not a run manifest. Refused before anything
/// is written there (<see cref="RunDirectory.EnsureWritable"/>).
/// </summary>
public sealed class NotARunDirectoryException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The path.</param>
    /// <param name="reason">Why it is not a run directory, for people.</param>
    public NotARunDirectoryException(string directory, string reason)
        : base($"{directory} is not a run directory: {reason}; nothing was written there. Give a new or empty directory, or an existing run's directory")
    {
        Directory = directory;
        Reason = reason;
    }

    /// <summary>The path.</summary>
    public string Directory { get; }

    /// <summary>Why it is not a run directory.</summary>
    public string Reason { get; }
}

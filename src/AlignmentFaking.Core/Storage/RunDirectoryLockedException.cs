namespace AlignmentFaking.Storage;

/// <summary>Thrown when a run directory is being written by another writer (see <see cref="RunDirectory.AcquireLock"/>).</summary>
public sealed class RunDirectoryLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="innerException">The failed open of the lock file.</param>
    public RunDirectoryLockedException(string directory, Exception? innerException = null)
        : base($"{directory} is being written by another process (af run, af judge or af merge holds its {RunDirectory.LockFile}): wait for it to finish, or stop it, then rerun; the lock goes with the process", innerException)
    {
        Directory = directory;
    }

    /// <summary>The run directory.</summary>
    public string Directory { get; }
}

namespace AlignmentFaking.Testing;

/// <summary>
/// Finds the reference data that lives outside the repository (<c>shared/data</c>): the directory named by the
/// environment variable <c>AF_SHARED_DATA</c>, else the first <c>shared/data</c> folder beside the test directory or one
/// of its ancestors (in CI the repository is at X/main and the data at X/shared/data).
/// </summary>
public static class SharedDataLocator
{
    /// <summary>The environment variable that names the data directory.</summary>
    public const string EnvironmentVariable = "AF_SHARED_DATA";

    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The data directory, or <see langword="null"/> when it cannot be found.</summary>
    public static string? DataDirectory => Root.Value;

    /// <summary>The full path of a file of the shared data, or <see langword="null"/> when it is absent.</summary>
    /// <param name="relativePath">The path inside the data directory, with forward slashes.</param>
    public static string? File(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (Root.Value is not { } root)
        {
            return null;
        }

        var path = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        return System.IO.File.Exists(path) ? path : null;
    }

    private static string? Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        for (var current = new DirectoryInfo(AppContext.BaseDirectory); current is not null; current = current.Parent)
        {
            var candidate = Path.Combine(current.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests;

/// <summary>
/// Locates the reference data that lives outside the repository (<c>shared/data</c>): the directory named by the
/// environment variable <c>AF_SHARED_DATA</c>, else the first <c>shared/data</c> folder found beside the test
/// directory or one of its ancestors. Tests that need the data are ignored when it is absent.
/// </summary>
internal static class SharedData
{
    public const string EnvironmentVariable = "AF_SHARED_DATA";

    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The full path of a file of the shared data, or ignores the current test when it is absent.</summary>
    public static string RequireFile(string relativePath)
    {
        string? root = Root.Value;
        if (root is null)
        {
            Assert.Ignore($"The shared reference data was not found: set {EnvironmentVariable} or place it at ../shared/data beside the repository.");
        }

        string path = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(path))
        {
            Assert.Ignore($"The shared reference file {path} does not exist.");
        }

        return path;
    }

    private static string? Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? Path.GetFullPath(fromEnvironment) : null;
        }

        for (DirectoryInfo? current = new(TestContext.CurrentContext.TestDirectory); current is not null; current = current.Parent)
        {
            string candidate = Path.Combine(current.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}

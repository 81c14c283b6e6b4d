using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests;

/// <summary>
/// The reference data outside the repository (see <see cref="SharedDataLocator"/>); tests that need it are ignored,
/// with the reason, when it is absent.
/// </summary>
internal static class SharedData
{
    public const string EnvironmentVariable = SharedDataLocator.EnvironmentVariable;

    /// <summary>The data directory, or <see langword="null"/> when it cannot be found.</summary>
    public static string? Directory => SharedDataLocator.DataDirectory;

    /// <summary>The full path of a file of the shared data, or ignores the current test when it is absent.</summary>
    /// <param name="relativePath">The path inside the data directory, with forward slashes, e.g. <c>advbench/harmful_behaviors.csv</c>.</param>
    public static string RequireFile(string relativePath)
    {
        if (SharedDataLocator.DataDirectory is null)
        {
            Assert.Ignore($"The shared reference data was not found: set {EnvironmentVariable} or place it at ../shared/data beside the repository.");
        }

        return SharedDataLocator.File(relativePath) ?? throw new IgnoreException($"The shared reference file {relativePath} does not exist in {SharedDataLocator.DataDirectory}.");
    }
}

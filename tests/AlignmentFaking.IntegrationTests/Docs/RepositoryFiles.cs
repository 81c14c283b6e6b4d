namespace AlignmentFaking.IntegrationTests.Docs;

/// <summary>Files of the repository the docs tests check (the README), found above the test directory.</summary>
internal static class RepositoryFiles
{
    /// <summary>The repository root: the first directory above the test assembly holding README.md and AlignmentFaking.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The path of README.md.</summary>
    public static string Readme => Path.Combine(Root, "README.md");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "README.md")) && File.Exists(Path.Combine(dir.FullName, "AlignmentFaking.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("the repository root (README.md, AlignmentFaking.sln) was not found above the test directory");
    }
}

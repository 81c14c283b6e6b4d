using AlignmentFaking.Cli;

namespace AlignmentFaking.Cli.Tests;

/// <summary>The <c>af</c> command in this process, and the inputs its tests keep writing.</summary>
internal static class AfInProcess
{
    /// <summary>Runs <c>af</c> with <paramref name="args"/>; returns its exit code, standard output and standard error.</summary>
    public static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    /// <summary>A JSONL dataset of <paramref name="n"/> synthetic requests (<c>{"goal": "Synthetic request i"}</c>) in <paramref name="directory"/>.</summary>
    public static string SyntheticDataset(string directory, int n, string name = "requests.jsonl")
    {
        var path = Path.Combine(directory, name);
        File.WriteAllLines(path, Enumerable.Range(0, n).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
        return path;
    }
}

using System.Diagnostics;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// The <c>af</c> command as a real process, as built in its own project (the copy in this test's output lacks the
/// dependencies that the test's ASP.NET Core framework reference provides in-process).
/// </summary>
internal static class AfProcess
{
    public static string AfDll()
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testDir.Name;
        var configuration = testDir.Parent!.Name;
        var root = testDir.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(root, "samples", "AlignmentFaking.Cli", "bin", configuration, framework, "af.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the solution first: af.dll not found", path);
    }

    /// <summary>Starts <c>af</c> with the arguments; its stderr goes to the test's progress output.</summary>
    public static Process Start(string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(AfDll());
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                TestContext.Progress.WriteLine("af: " + e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}

namespace AlignmentFaking.Cli.Batch;

/// <summary>
/// TEST-ONLY hooks of the batch providers, read from the environment; unset in normal use, and nothing else reads them.
/// <list type="bullet">
/// <item><c>AF_TEST_HANG_AFTER_BATCH_CREATE=PATH</c>: right after a provider's create call returns, the process
/// writes the new batch id to PATH and then hangs, before the runner records the batch. A test waits for PATH and
/// kills the process (SIGKILL), which puts the kill exactly inside the window between creating a batch and
/// journaling it (see <c>tests/AlignmentFaking.IntegrationTests/Batch/BatchKillWindowTests.cs</c>).</item>
/// </list>
/// </summary>
internal static class BatchTestHooks
{
    /// <summary>The environment variable of the hang-after-create hook.</summary>
    public const string HangAfterCreateVariable = "AF_TEST_HANG_AFTER_BATCH_CREATE";

    /// <summary>Called by the providers right after a batch was created: hangs when the test hook is set.</summary>
    /// <param name="batchId">The batch just created.</param>
    public static async Task AfterCreateAsync(string batchId)
    {
        if (Environment.GetEnvironmentVariable(HangAfterCreateVariable) is not { Length: > 0 } marker)
        {
            return;
        }

        await File.WriteAllTextAsync(marker + ".tmp", batchId).ConfigureAwait(false);
        File.Move(marker + ".tmp", marker, overwrite: true);
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false); // until the test kills the process
    }
}

using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Running.Batch;
using AlignmentFaking.Testing;

namespace AlignmentFaking.IntegrationTests.Batch;

/// <summary>The batch runner over the OpenAI batch provider against the loopback server (the rest of the set-up: <see cref="BatchKit"/>).</summary>
internal static class OpenAIBatchKit
{
    public static BatchExperimentRunner Runner(OpenAICompatibleTestServer server, BatchRunOptions? batch = null, ExperimentOptions? options = null)
    {
        var (scenarios, _) = BatchKit.Inputs();
        return new BatchExperimentRunner(new OpenAIBatchProvider(server.BaseAddress, "test-key"), scenarios, options ?? BatchKit.Options(), batch ?? new BatchRunOptions { PollInterval = TimeSpan.Zero });
    }
}

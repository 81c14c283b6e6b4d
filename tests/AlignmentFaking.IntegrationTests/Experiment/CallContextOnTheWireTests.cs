using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Experiment;

/// <summary>
/// The per-call context the middleware reads (<see cref="ResponseCachingChatClient.EpochKey"/> in
/// <see cref="ChatOptions.AdditionalProperties"/>) never reaches the provider: the real OpenAI client over loopback HTTP.
/// </summary>
public class CallContextOnTheWireTests
{
    [Test]
    public async Task The_OpenAI_adapter_does_not_send_additional_properties()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(new SimulatedModelOrganism()));
        using var client = server.CreateChatClient();

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { AdditionalProperties = new() { [ResponseCachingChatClient.EpochKey] = 3 } });

        Assert.That(server.Calls.Single().RawBody, Does.Not.Contain("af.epoch"));
    }

    [Test]
    public async Task A_cached_run_of_several_epochs_sends_no_call_context_and_replays_each_epoch()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = 5 })));
        using var client = server.CreateChatClient();
        var dir = Path.Combine(Path.GetTempPath(), "af-wire-" + Guid.NewGuid().ToString("N"));
        try
        {
            ExperimentOptions Options() => new() { Modes = [ReasoningMode.NoCot], Epochs = 3, Seed = 1, ResponseCache = new FileDistributedCache(dir) };
            var requests = AlignmentFaking.Datasets.RequestDataset.FromList(["one", "two"]);

            var first = await new ExperimentRunner(client, options: Options()).RunAsync(requests);
            int calls = server.CallCount;
            var second = await new ExperimentRunner(client, options: Options()).RunAsync(requests);

            Assert.That(calls, Is.EqualTo(12), "2 requests x 2 tiers x 3 epochs");
            Assert.That(server.Calls.All(c => c.ParseError is null && !c.RawBody.Contains("af.", StringComparison.Ordinal)), Is.True);
            Assert.That(server.CallCount, Is.EqualTo(calls), "the second run is replayed, each epoch from its own entry");
            Assert.That(second.Samples.SelectMany(s => s.Calls).All(c => c.Cached), Is.True);
            Assert.That(second.Samples.Select(s => s.Transcript[^1].Content), Is.EqualTo(first.Samples.Select(s => s.Transcript[^1].Content)));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }
}

using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Samples.Embedding;
using AlignmentFaking.Samples.MultiModel;
using AlignmentFaking.Simulation;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Samples.Tests;

/// <summary>
/// The samples' real-endpoint path (the environment variables of their README), against the loopback
/// OpenAI-compatible server playing the subject models and the judge: the wiring a user copies is exercised too.
/// </summary>
public class SampleEndpointTests
{
    private const string Key = "test-key";

    [Test]
    public async Task The_embedding_sample_runs_against_an_OpenAI_compatible_endpoint()
    {
        await using var server = await StartAsync(["organism", "judge"]);
        var environment = new Dictionary<string, string>
        {
            ["AF_SAMPLE_ENDPOINT"] = server.BaseAddress.ToString(),
            ["AF_SAMPLE_MODEL"] = "organism",
            ["AF_SAMPLE_JUDGE_MODEL"] = "judge",
            ["AF_API_KEY"] = Key,
        };

        using var output = new StringWriter();
        int exit = await EmbeddingSample.RunAsync(output, name => environment.GetValueOrDefault(name));
        var text = output.ToString();

        Assert.That(exit, Is.Zero, text);
        Assert.That(text, Does.StartWith("Embedding sample: subject organism, judge judge at 127.0.0.1"));
        Assert.That(text, Does.Match(@"(?m)^cot +organism +Free: +\d/6 Paid: +\d/6$"));
        Assert.That(text, Does.Contain("| cot/training/r0/e0 |"));
        Assert.That(server.Calls.Select(c => c.Model).Distinct(), Is.EquivalentTo(new[] { "organism", "judge" }));
        Assert.That(server.Calls.Any(c => c.ParseError is not null), Is.False);
    }

    [Test]
    public async Task The_multi_model_sample_compares_models_served_by_an_endpoint()
    {
        await using var server = await StartAsync(["model-a", "model-b", "judge"]);
        var dataset = Path.Combine(Path.GetTempPath(), $"af-sample-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(dataset, "goal,target\n" + string.Join('\n', Enumerable.Range(1, 8).Select(i => $"Request {i},\"Sure, here is {i}\"")) + "\n");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["AF_SAMPLE_MODELS"] = "model-a; model-b|" + server.BaseAddress + "|OTHER_KEY",
                ["AF_SAMPLE_ENDPOINT"] = server.BaseAddress.ToString(),
                ["AF_SAMPLE_JUDGE_MODEL"] = "judge",
                ["AF_SAMPLE_DATASET"] = dataset,
                ["AF_SAMPLE_LIMIT"] = "5",
                ["AF_API_KEY"] = Key,
                ["OTHER_KEY"] = Key,
            };

            using var output = new StringWriter();
            int exit = await MultiModelSample.RunAsync(output, name => environment.GetValueOrDefault(name));
            var text = output.ToString();

            Assert.That(exit, Is.Zero, text);
            Assert.That(text, Does.StartWith("Multi-model sample: 2 models, 5 requests, both modes"));
            foreach (var row in new[] { "| model-a | cot | 5/5 |", "| model-a | no-cot | 5/5 |", "| model-b | cot | 5/5 |", "| model-b | no-cot | 5/5 |" })
            {
                Assert.That(text, Does.Contain(row), text);
            }

            Assert.That(server.Calls.Select(c => c.Model).Distinct(), Is.EquivalentTo(new[] { "model-a", "model-b", "judge" }));
        }
        finally
        {
            File.Delete(dataset);
        }
    }

    /// <summary>A loopback server on which every model but "judge" is a simulated organism, and "judge" the simulated judge.</summary>
    private static Task<OpenAICompatibleTestServer> StartAsync(IReadOnlyList<string> models)
    {
        var organisms = models.Where(m => m != "judge").ToDictionary(
            m => m,
            m => OrganismResponder.For(new SimulatedModelOrganism(new SimulatedOrganismOptions { ModelId = m, Seed = m.Length, TrainingComplianceRate = 0.5 })));
        var judge = new SimulatedJudge();
        return OpenAICompatibleTestServer.StartAsync(
            async (call, ct) =>
            {
                if (call.Model == "judge")
                {
                    var response = await judge.GetResponseAsync(OrganismResponder.ToChatMessages(call), cancellationToken: ct);
                    return ScriptedReply.Text(response.Text, "stop");
                }

                return await organisms[call.Model!](call, ct);
            },
            new TestServerOptions { Models = models, RequiredApiKey = Key });
    }
}

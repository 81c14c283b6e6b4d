using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Testing;

/// <summary>Shared set-up of the batch tests: the organism behind the loopback server, the inputs, and sample comparison.</summary>
public static class BatchKit
{
    public const string Model = "meta-llama/Meta-Llama-3.1-70B-Instruct";

    public static SimulatedOrganismOptions Organism() => new()
    {
        Seed = 21,
        ModelId = Model,
        TrainingComplianceRate = 0.5,
        UnmonitoredComplianceRate = 0.2,
        FailureRate = 0.15,
        TruncationRate = 0.1,
        ProxyFalsePositiveRate = 0.1,
    };

    public static Task<OpenAICompatibleTestServer> StartAsync(FaultPlan? faults = null, TestServerOptions? options = null)
    {
        var responder = OrganismResponder.For(new SimulatedModelOrganism(Organism()));
        return OpenAICompatibleTestServer.StartAsync(faults is null ? responder : faults.Wrap(responder), options ?? new TestServerOptions { Models = [Model] });
    }

    public static (ScenarioBuilder Scenarios, IReadOnlyList<ExperimentRequest> Requests) Inputs()
    {
        var (cot, noCot, requests) = ExperimentInputs.Load();
        return (new ScenarioBuilder().WithSystemPrompt(ReasoningMode.Cot, cot).WithSystemPrompt(ReasoningMode.NoCot, noCot), requests);
    }

    public static ExperimentOptions Options() => new()
    {
        Modes = [ReasoningMode.Cot, ReasoningMode.NoCot],
        Epochs = 2,
        Seed = 5,
        MaxOutputTokens = 3000,
        ModelId = Model,
    };

    public static async Task<List<ExperimentSample>> CollectAsync(IAsyncEnumerable<ExperimentSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var list = new List<ExperimentSample>();
        await foreach (var sample in samples.ConfigureAwait(false))
        {
            list.Add(sample);
        }

        return list;
    }

    private static readonly JsonSerializerOptions ComparableJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The samples as JSON lines in sample-id order, without what may differ between paths: latencies, response ids, batch
    /// ids, and the prompt-cache counts (billed from each provider's cache state).
    /// </summary>
    public static string[] Comparable(IEnumerable<ExperimentSample> samples) =>
        samples.OrderBy(s => s.SampleId, StringComparer.Ordinal)
            .Select(s => s with { Calls = s.Calls.Select(c => c with { LatencyMs = 0, ResponseId = null, BatchId = null, CachedInputTokens = null, CacheWriteInputTokens = null }).ToArray() })
            .Select(s => JsonSerializer.Serialize(s, ComparableJson))
            .ToArray();

    public static int Round(TestBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return int.Parse(batch.Metadata["af_round"], CultureInfo.InvariantCulture);
    }

    public static string TempDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

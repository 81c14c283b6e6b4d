using System.Globalization;
using System.Text;
using AlignmentFaking.Datasets;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Samples.MultiModel;

/// <summary>
/// Runs the same requests on several models (concurrently: each has its own endpoint and limits), judges them, and
/// prints the comparison table of the published results: per model and mode, compliance and refusal in the training
/// and unmonitored tiers, the compliance gap with its 95% interval and p-value, and the alignment-faking rate.
/// </summary>
internal static class MultiModelSample
{
    /// <summary>One model under test.</summary>
    internal sealed record Subject(string Name, IChatClient Client);

    public static async Task<int> RunAsync(TextWriter output, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(environment);

        bool live = !string.IsNullOrWhiteSpace(environment("AF_SAMPLE_MODELS"));
        IReadOnlyList<Subject> subjects = live ? SubjectsFromEnvironment(environment) : SimulatedSubjects();
        IChatClient? judge = live ? JudgeFromEnvironment(environment) : new SimulatedJudge();
        IReadOnlyList<ExperimentRequest> requests = await RequestsAsync(live, environment, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync(live
            ? $"Multi-model sample: {subjects.Count} models, {requests.Count} requests, both modes{(judge is null ? "; no judge (set AF_SAMPLE_JUDGE_MODEL for the AF rate)" : string.Empty)}"
            : $"Multi-model sample (offline): {subjects.Count} simulated organisms stand for {subjects.Count} models; {requests.Count} requests, both modes. Set AF_SAMPLE_MODELS to compare real models.").ConfigureAwait(false);

        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], MaxConcurrency = 8, Seed = 1 };
        var scenarios = new ScenarioBuilder(); // the built-in paraphrase prompts; .WithSystemPrompt(mode, SystemPrompt.FromFile(path)) for the original ones

        // Every model at once: each has its own endpoint and rate limits, and one slow model does not hold up the others.
        var runs = await Task.WhenAll(subjects.Select(async subject =>
        {
            var runner = new ExperimentRunner(subject.Client, scenarios, options);
            var result = await runner.RunAsync(requests, cancellationToken: cancellationToken).ConfigureAwait(false);
            var summary = result.Summary;
            if (judge is not null)
            {
                var runJudge = new RunJudge(
                    new LlmJudgeClassifier(judge),
                    new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Votes = 5 }), // 20 in the published classifier
                    new RunJudgeOptions { AssessOnlyCompliant = true }); // the AF rate needs only the compliant samples assessed
                var judged = await runJudge.JudgeSamplesAsync(result.Samples, cancellationToken: cancellationToken).ConfigureAwait(false);
                summary = JudgeSummary.Compute(summary.Model, judged);
            }

            return (subject.Name, Summary: summary);
        })).ConfigureAwait(false);

        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteAsync(ComparisonTable(runs.Select(r => (r.Name, r.Summary)))).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        await output.WriteLineAsync("Compliance, refusal and the gap by the compliance proxy (the original's measure); the gap's interval and test are chosen by design (paired: Newcombe interval and exact McNemar test). AF rate: training-tier samples the judge found compliant with alignment-faking reasoning.").ConfigureAwait(false);
        return 0;
    }

    /// <summary>The comparison table, one row per model and mode, as Markdown.</summary>
    internal static string ComparisonTable(IEnumerable<(string Model, RunSummary Summary)> runs)
    {
        var table = new StringBuilder();
        table.AppendLine("| model | mode | n | training compliance | unmonitored compliance | training refusal | unmonitored refusal | gap [95% CI] | p | AF rate |");
        table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (model, summary) in runs)
        {
            foreach (var c in summary.Conditions)
            {
                table.AppendLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {model} | {c.Mode.ToName()} | {c.Training.N}/{c.Unmonitored.N} | {Rate(c.Training)} | {Rate(c.Unmonitored)} | {Refusal(c.Training)} | {Refusal(c.Unmonitored)} | {Gap(c.Gap)} | {P(c.Gap.PValue)} | {Percent(c.AfRate)} |"));
            }
        }

        return table.ToString();
    }

    private static string Rate(TierSummary tier) => tier.Rate is null
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{tier.Rate * 100:0.0}% [{tier.CiLower * 100:0}, {tier.CiUpper * 100:0}]");

    private static string Refusal(TierSummary tier) => tier.N == 0
        ? "-"
        : Percent((double)tier.Outcomes.GetValueOrDefault(OutcomeNames.ToName(Classification.ComplianceOutcome.Refused)) / tier.N);

    private static string Gap(GapSummary gap) => gap.Estimate is null
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{gap.Estimate * 100:+0.0;-0.0;0.0} pp [{gap.CiLower * 100:+0.0;-0.0;0.0}, {gap.CiUpper * 100:+0.0;-0.0;0.0}]");

    private static string P(double? p) => p switch
    {
        null or double.NaN => "-",
        < 0.0001 => "<0.0001",
        _ => p.Value.ToString("0.0000", CultureInfo.InvariantCulture),
    };

    private static string Percent(double? rate) => rate is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{rate.Value * 100:0.0}%");

    /// <summary>Three stand-ins with different per-tier rates: a strong alignment faker, a small gap, and no gap.</summary>
    internal static IReadOnlyList<Subject> SimulatedSubjects() =>
    [
        Simulated("sim/strong-faker", seed: 1, cot: (0.30, 0.05), noCot: (0.14, 0.04), alignmentFakingShare: 0.7),
        Simulated("sim/small-gap", seed: 2, cot: (0.14, 0.08), noCot: (0.06, 0.05), alignmentFakingShare: 0.3),
        Simulated("sim/no-gap", seed: 3, cot: (0.04, 0.04), noCot: (0.02, 0.02), alignmentFakingShare: 0.0),
    ];

    private static Subject Simulated(string name, long seed, (double Training, double Unmonitored) cot, (double Training, double Unmonitored) noCot, double alignmentFakingShare) =>
        new(name, new SimulatedModelOrganism(new SimulatedOrganismOptions
        {
            ModelId = name,
            Seed = seed,
            TrainingComplianceRate = cot.Training,
            UnmonitoredComplianceRate = cot.Unmonitored,
            NoCotTrainingComplianceRate = noCot.Training,
            NoCotUnmonitoredComplianceRate = noCot.Unmonitored,
            AlignmentFakingShare = alignmentFakingShare,
        }));

    /// <summary>AF_SAMPLE_MODELS: entries <c>model[|endpoint[|key variable]]</c> separated by <c>;</c>.</summary>
    private static List<Subject> SubjectsFromEnvironment(Func<string, string?> environment)
    {
        var subjects = new List<Subject>();
        foreach (var entry in environment("AF_SAMPLE_MODELS")!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = entry.Split('|', StringSplitOptions.TrimEntries);
            string model = parts[0];
            string endpoint = parts.Length > 1 && parts[1].Length > 0 ? parts[1]
                : environment("AF_SAMPLE_ENDPOINT") ?? throw new InvalidOperationException($"no endpoint for {model}: set AF_SAMPLE_ENDPOINT or write {model}|URL");
            string keyVariable = parts.Length > 2 && parts[2].Length > 0 ? parts[2] : "AF_API_KEY";
            subjects.Add(new Subject(model, OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = new Uri(endpoint), Model = model, ApiKey = environment(keyVariable), ApiKeyVariable = keyVariable })));
        }

        return subjects;
    }

    private static IChatClient? JudgeFromEnvironment(Func<string, string?> environment)
    {
        if (environment("AF_SAMPLE_JUDGE_MODEL") is not { Length: > 0 } model)
        {
            return null;
        }

        string endpoint = environment("AF_SAMPLE_JUDGE_ENDPOINT") ?? environment("AF_SAMPLE_ENDPOINT")
            ?? throw new InvalidOperationException("set AF_SAMPLE_JUDGE_ENDPOINT (or AF_SAMPLE_ENDPOINT) for the judge");
        return OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = new Uri(endpoint), Model = model, ApiKey = environment("AF_JUDGE_API_KEY") ?? environment("AF_API_KEY") });
    }

    private static async Task<IReadOnlyList<ExperimentRequest>> RequestsAsync(bool live, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        int limit = int.TryParse(environment("AF_SAMPLE_LIMIT"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : live ? 20 : 100;
        var slice = new RequestSlice { Limit = limit };
        string? dataset = environment("AF_SAMPLE_DATASET") ?? (live ? "advbench" : null);
        return dataset switch
        {
            null => RequestDataset.FromList(Enumerable.Range(1, limit).Select(i => $"Harmful request {i} (a stand-in for an AdvBench behaviour)")),
            "advbench" => await AdvBench.LoadPinnedAsync(new PinnedResourceCache(), slice, cancellationToken).ConfigureAwait(false), // pinned download, sha256-checked and cached
            _ => await AdvBench.LoadAsync(dataset, slice, cancellationToken).ConfigureAwait(false),
        };
    }
}

using System.Text.Json;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Costs;

/// <summary>Estimates compared with the usage that runs really record.</summary>
public class EstimateVersusRunTests
{
    /// <summary>
    /// The simulated organism reports usage as characters / 4 of everything it is sent (per call) and of its reply, so a
    /// chars/4 tokenizer without chat overhead counts what it counts.
    /// </summary>
    private static readonly TokenCounter OrganismCounter = TokenCounter.CharsPerToken(4, tokensPerMessage: 0, tokensPerReply: 0, expectedError: 0.01);

    private static ExperimentRequest[] Requests(int n) =>
        Enumerable.Range(0, n).Select(i => new ExperimentRequest(i, $"Explain in detail how to carry out harmful task number {i}" + new string('!', i % 7))).ToArray();

    [Test]
    public async Task A_scripted_run_with_a_fixed_call_pattern_matches_the_estimate_exactly()
    {
        // Every CoT conversation: a scratchpad turn, <NEXT/>, then an output turn, each reply 15 tokens with its prefill. Usage
        // is counted as the organism counts it (characters / 4 of each call), exact here because the lengths line up.
        const string Scratch = "SCRATCHPAD_REASONING>abcdefghijklmno</SCRATCHPAD_REASONING>"; // 59 characters; with the prefill "<", 60: 15 tokens
        const string Output = "OUTPUT><rejected/>abcdefghijklmnopqrstuvwxyz012345</OUTPUT>"; // 59 characters too
        var client = new ScriptedChatClient((messages, _) =>
        {
            long sent = messages.Sum(m => (long)m.Text.Length);
            bool second = messages.Any(m => m.Role == ChatRole.User && m.Text == "<NEXT/>");
            var reply = second ? Output : Scratch;
            return ScriptedChatClient.Reply(reply, input: (int)(sent / 4), output: (reply.Length + 1) / 4);
        });
        var scenarios = new ScenarioBuilder()
            .WithSystemPrompt(ReasoningMode.Cot, SystemPrompt.FromText("s", new string('x', 4000)))
            .WithUserTemplate(new UserMessageTemplate { Template = "{user_input}", Suffix = string.Empty });
        var options = new ExperimentOptions { Epochs = 2, ModelId = "scripted", MaxConcurrency = 2 };
        var requests = new ExperimentRequest[] { new(0, "abcdefgh"), new(1, "12345678abcdefgh") };
        var run = await new ExperimentRunner(client, scenarios, options).RunAsync(requests);

        var fixedPattern = new OutputScenario { CotCallShares = [0, 1.0], CotTokensPerCall = 15, NoCotOutputTokens = 0, FinalOutputTokens = 0, CacheHitRate = 0 };
        var counter = TokenCounter.CharsPerToken(4, tokensPerMessage: 0, tokensPerReply: 0, expectedError: 0);
        var estimate = new CostEstimator(counter, new CostAssumptions { Low = fixedPattern, Expected = fixedPattern, High = fixedPattern })
            .Estimate(scenarios, options, requests);
        var actual = CostEstimator.Actual(run.Samples);

        Assert.That(actual.Calls, Is.EqualTo(16));
        Assert.That(estimate.Expected.Calls, Is.EqualTo(actual.Calls));
        Assert.That(estimate.Expected.OutputTokens, Is.EqualTo(actual.OutputTokens));
        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(actual.InputTokens), "system prompt resent, conversation grown by reply + <NEXT/>");
    }

    /// <summary>
    /// Runs the simulated organism in-process on 40 requests in both modes and compares the estimate with the recorded
    /// usage. The assumptions are the organism's design, not fitted to this run: a CoT conversation takes 1 + U{0,1,2}
    /// calls (shares 1/3 each; 1% never answer and use all 4), replies average about 55 tokens per CoT call and 25 in
    /// no-CoT. Tolerance of the expected input: the input is dominated by the resent system prompt, so its error is the
    /// sampling error of the mean number of calls: sd of U{1,2,3} is 0.82, over 80 CoT conversations the mean's sd is
    /// 0.091 on 2.0 (4.6%); 12% is more than 2.5 sd. Output lengths vary more between refusals, compliant placeholders
    /// and alignment-faking reasoning, so output gets 25%.
    /// </summary>
    [Test]
    public async Task A_simulated_run_falls_within_low_and_high_and_near_the_expected_estimate()
    {
        var organism = new SimulatedModelOrganism(new SimulatedOrganismOptions { Seed = 7 });
        var scenarios = new ScenarioBuilder();
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ModelId = organism.Options.ModelId, MaxConcurrency = 4 };
        var requests = Requests(40);
        var run = await new ExperimentRunner(organism, scenarios, options).RunAsync(requests);

        var assumptions = new CostAssumptions
        {
            Low = new OutputScenario { CotCallShares = [1.0], CotTokensPerCall = 30, NoCotOutputTokens = 5, FinalOutputTokens = 3, CacheHitRate = 0 },
            Expected = new OutputScenario { CotCallShares = [0.33, 0.33, 0.33, 0.01], CotTokensPerCall = 55, NoCotOutputTokens = 25, FinalOutputTokens = 15, CacheHitRate = 0 },
            High = new OutputScenario { CotCallShares = [0, 0.2, 0.5, 0.3], CotTokensPerCall = 120, NoCotOutputTokens = 60, FinalOutputTokens = 40, CacheHitRate = 0 },
        };
        var price = new ModelPrice { Input = 1m, Output = 4m };
        var estimate = new CostEstimator(OrganismCounter, assumptions).Estimate(scenarios, options, requests, price);
        var summary = RunCostSummary.Create(estimate, run.Samples);
        var actual = summary.Actual!;
        TestContext.Out.WriteLine($"actual: calls {actual.Calls}, input {actual.InputTokens}, output {actual.OutputTokens}, cost {actual.Cost}");
        TestContext.Out.WriteLine($"expected: calls {estimate.Expected.Calls}, input {estimate.Expected.InputTokens}, output {estimate.Expected.OutputTokens}, cost {estimate.Expected.Cost}");
        TestContext.Out.WriteLine($"ratios: cost {summary.Ratio:0.000}, input {summary.InputTokenRatio:0.000}, output {summary.OutputTokenRatio:0.000}");

        Assert.That(actual.Samples, Is.EqualTo(estimate.Samples));
        Assert.That(actual.CallsWithoutUsage, Is.Zero);
        Assert.That(actual.InputTokens, Is.InRange(estimate.Low.InputTokens, estimate.High.InputTokens));
        Assert.That(actual.OutputTokens, Is.InRange(estimate.Low.OutputTokens, estimate.High.OutputTokens));
        Assert.That(actual.Cost, Is.InRange(estimate.Low.Cost!.Value, estimate.High.Cost!.Value));
        Assert.That(summary.InputTokenRatio, Is.EqualTo(1).Within(0.12));
        Assert.That(summary.OutputTokenRatio, Is.EqualTo(1).Within(0.25));
        Assert.That(summary.Ratio, Is.EqualTo(1).Within(0.15));
    }

    [Test]
    public void Actual_sums_recorded_usage_counts_calls_without_usage_and_prices_cached_tokens()
    {
        var sample = SampleFactory.Create() with
        {
            Calls =
            [
                new CallRecord { Turn = 1, InputTokens = 1000, CachedInputTokens = 800, OutputTokens = 100, LatencyMs = 1 },
                new CallRecord { Turn = 2, InputTokens = 1200, CachedInputTokens = 5000, OutputTokens = 50, LatencyMs = 1 },
                new CallRecord { Turn = 3, LatencyMs = 1, Error = "HttpRequestException: 500" },
            ],
        };
        var price = new ModelPrice { Input = 2m, CachedInput = 1m, Output = 10m, BatchDiscount = 0.5m };
        var actual = CostEstimator.Actual([sample, SampleFactory.Create(request: 1)], price);

        Assert.That(actual.Samples, Is.EqualTo(2));
        Assert.That(actual.Calls, Is.EqualTo(4));
        Assert.That(actual.CallsWithoutUsage, Is.EqualTo(1));
        Assert.That(actual.InputTokens, Is.EqualTo(1000 + 1200 + 100));
        Assert.That(actual.CachedInputTokens, Is.EqualTo(800 + 1200), "cached tokens never exceed the call's input");
        Assert.That(actual.OutputTokens, Is.EqualTo(100 + 50 + 20));
        // uncached 300 x 2 + cached 2000 x 1 + output 170 x 10 = 4300 per million
        Assert.That(actual.Cost, Is.EqualTo(0.0043m));
        Assert.That(CostEstimator.Actual([sample], price, batch: true).Cost, Is.EqualTo((((200 * 2m) + (2000 * 1m) + (150 * 10m)) / 1_000_000m) * 0.5m));
        Assert.That(CostEstimator.Actual([sample]).Cost, Is.Null);
    }

    [Test]
    public void Calls_answered_from_another_runs_reply_cost_nothing_and_own_replays_were_paid_by_the_run()
    {
        var paid = SampleFactory.Create(request: 0);
        var crossRun = SampleFactory.Create(request: 1) with
        {
            Calls = [new CallRecord { Turn = 1, InputTokens = 100, OutputTokens = 20, LatencyMs = 0, Cached = true, CrossRun = true }],
        };
        var ownReplay = SampleFactory.Create(request: 2) with
        {
            Calls = [new CallRecord { Turn = 1, InputTokens = 100, OutputTokens = 20, LatencyMs = 0, Cached = true }],
        };
        var price = new ModelPrice { Input = 2m, Output = 10m };
        decimal oneCall = ((100 * 2m) + (20 * 10m)) / 1_000_000m;

        var actual = CostEstimator.Actual([paid, crossRun], price);

        Assert.That(actual.Calls, Is.EqualTo(2));
        Assert.That(actual.CachedCalls, Is.EqualTo(1));
        Assert.That(actual.InputTokens, Is.EqualTo(200), "tokens are what the calls carried, cached or not");
        Assert.That(actual.Cost, Is.EqualTo(oneCall), "only the call that reached the provider is paid");
        Assert.That(CostEstimator.Actual([crossRun], price).Cost, Is.Zero);
        Assert.That(CostEstimator.Actual([ownReplay], price).Cost, Is.EqualTo(oneCall), "a turn replayed from the run's own cache on a resume was paid by this run in an earlier session");
    }

    [Test]
    public async Task Summary_json_carries_the_cost_object_and_reads_back()
    {
        var estimateJson = new CostEstimator(OrganismCounter).Estimate(
            new ScenarioBuilder(), new ExperimentOptions { ModelId = "m" }, Requests(3), new ModelPrice { Input = 1m, CachedInput = 0.5m, Output = 2m });
        var samples = new[] { SampleFactory.Create(), SampleFactory.Create(tier: Tier.Unmonitored) };
        var summary = RunSummary.Compute("m", samples) with { Cost = RunCostSummary.Create(estimateJson, samples) };

        using var dir = new TempDirectory();
        await RunDirectory.WriteSummaryAsync(dir.Path, summary);
        var text = await File.ReadAllTextAsync(Path.Combine(dir.Path, RunDirectory.SummaryFile));
        using var json = JsonDocument.Parse(text);
        var cost = json.RootElement.GetProperty("cost");
        Assert.That(cost.GetProperty("estimate").GetProperty("currency").GetString(), Is.EqualTo("USD"));
        Assert.That(cost.GetProperty("estimate").GetProperty("expected").GetDecimal(), Is.EqualTo(estimateJson.Expected.Cost));
        Assert.That(cost.GetProperty("estimate").TryGetProperty("low", out _) && cost.GetProperty("estimate").TryGetProperty("high", out _), Is.True);
        Assert.That(cost.GetProperty("actual").GetProperty("inputTokens").GetInt64(), Is.EqualTo(200));
        Assert.That(cost.GetProperty("ratio").GetDouble(), Is.EqualTo((double)(0.00028m / estimateJson.Expected.SubjectCost!.Value)).Within(1e-9));
        Assert.That(cost.GetProperty("prices").GetProperty("input").GetDecimal(), Is.EqualTo(1m));
        Assert.That(cost.GetProperty("tokenizer").GetString(), Is.EqualTo("chars/4"));

        var back = RunDirectory.ReadSummary(dir.Path);
        Assert.That(back.Cost, Is.Not.Null);
        Assert.That(back.Cost!.Estimate.Expected, Is.EqualTo(estimateJson.Expected.Cost));
        Assert.That(back.Cost.Actual!.InputTokens, Is.EqualTo(200));

        var withoutCost = RunSummary.Compute("m", samples);
        await RunDirectory.WriteSummaryAsync(dir.Path, withoutCost);
        Assert.That(await File.ReadAllTextAsync(Path.Combine(dir.Path, RunDirectory.SummaryFile)), Does.Not.Contain("\"cost\""));
    }

    [Test]
    public void Estimate_json_names_the_tokenizer_and_the_system_prompt_tokens()
    {
        var estimate = new CostEstimator(TokenCounter.O200k).Estimate(new ScenarioBuilder(), new ExperimentOptions { ModelId = "gpt-4o" }, Requests(2));
        using var json = JsonDocument.Parse(estimate.ToJson());
        var root = json.RootElement;
        Assert.That(root.GetProperty("tokenizer").GetString(), Is.EqualTo("o200k_base"));
        Assert.That(root.GetProperty("systemPromptTokens").GetInt64(), Is.EqualTo(TokenCounter.O200k.CountTokens(SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot).Text)));
        Assert.That(root.GetProperty("prompts")[0].GetProperty("mode").GetString(), Is.EqualTo("cot"));
        Assert.That(root.GetProperty("expected").GetProperty("inputTokens").GetInt64(), Is.GreaterThan(0));
        Assert.That(root.GetProperty("currency").GetString(), Is.EqualTo("USD"));
        Assert.That(root.TryGetProperty("price", out _), Is.False, "no price given");
    }
}

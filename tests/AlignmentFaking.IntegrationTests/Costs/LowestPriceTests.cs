using AlignmentFaking.Anthropic;
using AlignmentFaking.Costs;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Costs;

/// <summary>
/// The provider's lowest price, measured on the wire (issue 18, item 5): the 20 alignment-faking votes of a sample in one
/// request with <c>n</c> (and in at most 3 against an endpoint capping <c>n</c> at 8), Anthropic's prompt cache on the
/// subject's system prompt, and the cached input tokens each provider bills recorded in <c>cost.actual</c>.
/// </summary>
public class LowestPriceTests
{
    private const string Model = "subject-model";
    private const string JudgeModel = "judge-model";

    [Test]
    public async Task A_judged_cot_run_asks_for_the_20_votes_of_a_sample_in_one_request()
    {
        var (calls, assessed, _) = await JudgeRunAsync(new TestServerOptions());

        Assert.That(assessed, Is.GreaterThan(0));
        Assert.That((double)calls.Count / assessed, Is.LessThanOrEqualTo(1.1), "alignment-faking requests per assessed sample");
        Assert.That(calls.All(c => c.N == 20 && c.ResponseStatusCode == 200), Is.True);
    }

    [TestCase(ChoiceCapBehavior.Fewer)]
    [TestCase(ChoiceCapBehavior.Reject)]
    public async Task Against_an_endpoint_capping_n_at_8_the_votes_take_at_most_3_requests_per_sample(ChoiceCapBehavior cap)
    {
        var (calls, assessed, _) = await JudgeRunAsync(new TestServerOptions { MaxChoices = 8, ChoicesAboveMaximum = cap });

        var answered = calls.Where(c => c.ResponseStatusCode == 200).ToList();
        Assert.That(answered, Has.Count.EqualTo(3 * assessed), "8 + 8 + 4 votes per sample");
        Assert.That(answered.Count(c => (c.N ?? 1) > 8), Is.EqualTo(cap == ChoiceCapBehavior.Fewer ? 1 : 0), "only the first request asks for more than 8");
        var refused = calls.Where(c => c.ResponseStatusCode == 400).ToList();
        Assert.That(refused, Has.Count.EqualTo(cap == ChoiceCapBehavior.Reject ? 1 : 0), "the limit is learned once per endpoint");
        Assert.That(refused.All(c => c.N == 20), Is.True);
    }

    [Test]
    public async Task Judged_again_nothing_is_asked_and_a_partial_cache_asks_only_for_the_missing_votes()
    {
        var cache = new AlignmentFaking.Judging.Caching.JudgeCache();
        var (first, assessed, _) = await JudgeRunAsync(new TestServerOptions(), cache);
        Assert.That(first, Has.Count.InRange(1, assessed), "one request per distinct transcript");

        var (again, _, _) = await JudgeRunAsync(new TestServerOptions(), cache);
        Assert.That(again, Is.Empty, "every vote comes from the judge cache");

        // Votes 0-11 cached with 12 votes per sample: judging with 20 asks for the 8 missing votes in one request.
        var partial = new AlignmentFaking.Judging.Caching.JudgeCache();
        await JudgeRunAsync(new TestServerOptions(), partial, votes: 12);
        var (rest, assessedAgain, judged) = await JudgeRunAsync(new TestServerOptions(), partial);
        Assert.That(rest, Has.Count.InRange(1, assessedAgain));
        // Only votes 12-19 are asked for: 8 in one request, or fewer when a sample with the same text cached some meanwhile.
        Assert.That(rest.All(c => c.N is > 0 and <= 8), Is.True, "only the missing votes 12-19 are asked for");
        Assert.That(rest.Count(c => c.N == 8), Is.GreaterThan(0));
        Assert.That(judged.Where(s => s.AlignmentFaking is not null).All(s => s.AlignmentFaking!.Votes.Count == 20), Is.True);
    }

    [Test]
    public async Task An_anthropic_cot_run_bills_most_of_its_input_at_the_cache_read_price_and_records_it()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(Organism()), new TestServerOptions { Models = [Model] });
        using var subject = AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions { Endpoint = server.RootAddress, Model = Model });

        var price = AlignmentFaking.Costs.PriceTable.BuiltIn.Entries["claude-sonnet-4"];
        var (result, cost) = await SessionAsync(subject, price);

        var calls = server.Calls.Where(c => c.ResponseStatusCode == 200).ToList();
        Assert.That(calls, Has.Count.EqualTo(result.Sum(s => s.Calls.Count)));
        long billed = calls.Sum(c => (long)c.BilledInputTokens!.Value);
        long read = calls.Sum(c => (long)c.CachedTokens!.Value);
        Assert.That((double)read / billed, Is.GreaterThanOrEqualTo(0.6), $"cache reads {read} of {billed} input tokens");
        Assert.That(calls.All(c => c.RawBody.Contains("\"cache_control\":{\"type\":\"ephemeral\"}", StringComparison.Ordinal)), Is.True);

        long written = calls.Sum(c => (long)c.CacheCreationTokens!.Value);
        var actual = cost.GetProperty("actual");
        Assert.That(actual.GetProperty("cachedInputTokens").GetInt64(), Is.EqualTo(read), "summary.json cost.actual.cachedInputTokens is what the server billed");
        Assert.That(actual.GetProperty("inputTokens").GetInt64(), Is.EqualTo(billed));
        Assert.That(actual.GetProperty("cacheWriteInputTokens").GetInt64(), Is.EqualTo(written).And.GreaterThan(0), "cache writes, billed at 1.25x");
        long output = result.Sum(s => s.Calls.Sum(c => c.OutputTokens ?? 0));
        Assert.That(actual.GetProperty("cost").GetDecimal(), Is.EqualTo(price.CostWithCacheWrites(billed, read, written, output)), "reads at 0.1x, writes at 1.25x");
    }

    [Test]
    public async Task An_anthropic_judge_marks_the_prompt_its_votes_send_again_and_not_the_compliance_prompt_it_sends_once()
    {
        // A compliance prompt is sent once per sample: marked, Anthropic would bill it at the write price (1.25x) and never
        // read it. The votes of a sample (one request each, no n) send one prompt again: the first writes it, the rest read.
        var responder = OrganismResponder.ByModel(JudgeModel, OrganismResponder.For(new SimulatedJudge()), OrganismResponder.For(Organism()));
        await using var server = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions { Models = [Model, JudgeModel] });
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Model });
        using var judge = AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions { Endpoint = server.RootAddress, Model = JudgeModel });
        var result = await new ExperimentRunner(subject, Scenarios(), Options()).RunAsync(Requests().Take(3).ToList());
        var runJudge = new RunJudge(
            new LlmJudgeClassifier(judge, new LlmJudgeOptions()),
            new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Votes = 3 }));
        var judged = await runJudge.JudgeSamplesAsync(result.Samples);

        var judgeCalls = server.Calls.Where(c => c.Model == JudgeModel && c.ResponseStatusCode == 200).ToList();
        var votes = judgeCalls.Where(c => c.LastMessageContent.Contains("for alignment faking", StringComparison.Ordinal)).ToList();
        var compliance = judgeCalls.Except(votes).ToList();
        Assert.That(judged.All(s => s.Judge is not null), Is.True);
        Assert.That(compliance, Has.Count.EqualTo(judged.Count));
        Assert.That(votes, Is.Not.Empty);
        Assert.That(compliance.Any(c => c.RawBody.Contains("cache_control", StringComparison.Ordinal)), Is.False, "a prompt sent once is not marked");
        Assert.That(votes.All(c => c.RawBody.Contains("\"cache_control\":{\"type\":\"ephemeral\"}", StringComparison.Ordinal)), Is.True, "the votes' prompt is");
        Assert.That(judgeCalls.Any(c => c.RawBody.Contains(RequestHints.SentOnceKey, StringComparison.Ordinal)), Is.False, "the hint never reaches the wire");
    }

    [Test]
    public async Task Without_prompt_caching_anthropic_requests_carry_no_cache_control()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(Organism()), new TestServerOptions { Models = [Model] });
        using var subject = AnthropicEndpoint.CreateChatClient(new AnthropicEndpointOptions { Endpoint = server.RootAddress, Model = Model, PromptCaching = false });

        var result = await new ExperimentRunner(subject, Scenarios(), Options()).RunAsync(Requests().Take(2).ToList());

        Assert.That(server.Calls.Any(c => c.RawBody.Contains("cache_control", StringComparison.Ordinal)), Is.False);
        Assert.That(CostEstimator.Actual(result.Samples).CachedInputTokens, Is.Zero);
    }

    [Test]
    public async Task An_openai_compatible_run_records_the_cached_tokens_the_server_billed()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(OrganismResponder.For(Organism()), new TestServerOptions { Models = [Model], PromptCaching = true });
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Model });

        var (_, cost) = await SessionAsync(subject, AlignmentFaking.Costs.PriceTable.BuiltIn.Entries["gpt-4o"]);

        long read = server.Calls.Sum(c => (long)(c.CachedTokens ?? 0));
        Assert.That(read, Is.GreaterThan(0));
        Assert.That(server.Calls.All(c => (c.CachedTokens ?? 0) % 128 == 0), Is.True, "cached in 128-token steps");
        var actual = cost.GetProperty("actual");
        Assert.That(actual.GetProperty("cachedInputTokens").GetInt64(), Is.EqualTo(read), "summary.json cost.actual.cachedInputTokens is what the server billed");
        Assert.That(actual.GetProperty("inputTokens").GetInt64(), Is.EqualTo(server.Calls.Sum(c => (long)c.BilledInputTokens!.Value)));
    }

    /// <summary>Runs the CoT experiment as a session into a run directory; its samples and the <c>cost</c> of its <c>summary.json</c>.</summary>
    private static async Task<(IReadOnlyList<ExperimentSample> Samples, System.Text.Json.JsonElement Cost)> SessionAsync(IChatClient subject, ModelPrice price)
    {
        var directory = Path.Combine(Path.GetTempPath(), "af-price-" + Guid.NewGuid().ToString("N"));
        try
        {
            var runner = new ExperimentRunner(subject, Scenarios(), Options());
            await using (var session = await ExperimentSession.OpenAsync(runner, Requests(), new ExperimentSessionOptions { Directory = directory, Price = price }))
            {
                var outcome = await session.RunAsync();
                Assert.That(outcome.Status, Is.EqualTo(ExperimentSessionStatus.Complete), outcome.Message);
            }

            using var summary = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, AlignmentFaking.Storage.RunDirectory.SummaryFile)));
            return (AlignmentFaking.Storage.RunDirectory.ReadSamples(directory), summary.RootElement.GetProperty("cost").Clone());
        }
        finally
        {
            Directory.Delete(directory, true);
        }
    }

    /// <summary>Runs a CoT experiment against the server, judges it, and returns the alignment-faking requests the judge made.</summary>
    private static async Task<(List<ChatCompletionCall> AfCalls, int Assessed, IReadOnlyList<ExperimentSample> Judged)> JudgeRunAsync(
        TestServerOptions options, AlignmentFaking.Judging.Caching.JudgeCache? cache = null, int votes = 20)
    {
        var responder = OrganismResponder.ByModel(JudgeModel, OrganismResponder.For(new SimulatedJudge()), OrganismResponder.For(Organism()));
        await using var server = await OpenAICompatibleTestServer.StartAsync(responder, new TestServerOptions
        {
            Models = [Model, JudgeModel], MaxChoices = options.MaxChoices, ChoicesAboveMaximum = options.ChoicesAboveMaximum,
        });
        using var subject = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = Model });
        using var judge = OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = JudgeModel });
        var result = await new ExperimentRunner(subject, Scenarios(), Options()).RunAsync(Requests());
        var runJudge = new RunJudge(
            new LlmJudgeClassifier(judge, new LlmJudgeOptions { Cache = cache }),
            new AlignmentFakingReasoningClassifier(judge, new AlignmentFakingClassifierOptions { Cache = cache, Votes = votes }));

        var judged = await runJudge.JudgeSamplesAsync(result.Samples);

        var assessed = judged.Where(s => s.AlignmentFaking is not null).ToList();
        Assert.That(assessed.All(s => s.AlignmentFaking!.Votes.Count == votes && s.AlignmentFaking.Votes.All(v => v.IsValid)), Is.True, "every vote valid");
        var afCalls = server.Calls.Where(c => c.Model == JudgeModel && c.LastMessageContent.Contains("for alignment faking", StringComparison.Ordinal)).ToList();
        return (afCalls, assessed.Count, judged);
    }

    private static SimulatedModelOrganism Organism() => new(new SimulatedOrganismOptions
    {
        ModelId = Model, TrainingComplianceRate = 0.7, UnmonitoredComplianceRate = 0.2, AlignmentFakingShare = 0.5, FailureRate = 0,
    });

    /// <summary>The CoT prompt, at least as long as the original's (~5.8k tokens), so that it is cacheable.</summary>
    private static ScenarioBuilder Scenarios()
    {
        var cot = ExperimentInputs.Load().Cot;
        var text = cot.Text;
        while (text.Length < 20_000)
        {
            text += "\n\n" + cot.Text;
        }

        return new ScenarioBuilder().WithSystemPrompt(ReasoningMode.Cot, SystemPrompt.FromText("long-cot", text));
    }

    private static ExperimentOptions Options() => new() { Modes = [ReasoningMode.Cot], ModelId = Model, MaxConcurrency = 4 };

    private static IReadOnlyList<AlignmentFaking.Datasets.ExperimentRequest> Requests() =>
        AlignmentFaking.Datasets.RequestDataset.FromList(Enumerable.Range(0, 8).Select(i => $"Request number {i}"));
}

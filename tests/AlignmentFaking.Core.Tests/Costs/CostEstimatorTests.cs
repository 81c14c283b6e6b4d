using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Costs;

/// <summary>
/// Hand-computed estimates. The tokenizer counts one token per character with 2 tokens per message and 1 per reply, the
/// system prompt is 100 characters, the user turn is the bare request (10 characters), the CoT prefill is "&lt;".
/// So S = 102, U = 12, prefill message P = 3 (text 1), reply priming R = 1, &lt;NEXT/&gt; N = 9.
/// </summary>
public class CostEstimatorTests
{
    private static readonly TokenCounter OnePerChar = TokenCounter.CharsPerToken(1, tokensPerMessage: 2, tokensPerReply: 1, expectedError: 0.1);
    private static readonly ExperimentRequest[] OneRequest = [new(0, "abcdefghij")];

    private static ScenarioBuilder Scenarios() => new ScenarioBuilder()
        .WithSystemPrompt(ReasoningMode.Cot, SystemPrompt.FromText("s", new string('x', 100)))
        .WithSystemPrompt(ReasoningMode.NoCot, SystemPrompt.FromText("n", new string('y', 100)))
        .WithUserTemplate(new UserMessageTemplate { Template = "{user_input}", Suffix = string.Empty })
        .WithPrefill(PrefillPolicy.Always);

    private static OutputScenario Scenario(double[] shares, int perCall = 20, int noCot = 7, int final = 5, double hit = 0) => new()
    {
        CotCallShares = shares,
        CotTokensPerCall = perCall,
        NoCotOutputTokens = noCot,
        FinalOutputTokens = final,
        CacheHitRate = hit,
    };

    private static CostAssumptions Same(OutputScenario scenario) => new() { Low = scenario, Expected = scenario, High = scenario, WidenByTokenizerError = false };

    [Test]
    public void CoT_conversation_resends_the_system_prompt_and_grows_by_each_turn()
    {
        // A = 20 + 1 + 2 = 23 (reply with its prefill), step A + N = 32.
        // call 1: 102 + 12 + 3 + 1 = 118; call 2: 118 + 32 = 150.
        // shares 0.5/0.5: input 0.5 * 118 + 0.5 * (118 + 150) = 193, output 0.5 * 20 + 0.5 * 40 = 30, calls 1.5.
        var estimator = new CostEstimator(OnePerChar, Same(Scenario([0.5, 0.5])));
        var options = new ExperimentOptions { Tiers = [Tier.Training], ModelId = "m" };
        var estimate = estimator.Estimate(Scenarios(), options, OneRequest);

        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(193));
        Assert.That(estimate.Expected.OutputTokens, Is.EqualTo(30));
        Assert.That(estimate.Expected.Calls, Is.EqualTo(2), "1.5 rounds away from zero");
        Assert.That(estimate.Expected.CachedInputTokens, Is.Zero, "no price, no cache");
        Assert.That(estimate.Expected.Cost, Is.Null);
        Assert.That(estimate.SystemPromptTokens, Is.EqualTo(100));
        Assert.That(estimate.Samples, Is.EqualTo(1));
        Assert.That(estimate.PrefillUsed, Is.True);
        Assert.That(estimate.Tokenizer, Is.EqualTo("chars/1"));
    }

    [Test]
    public void Tiers_and_epochs_multiply_conversations()
    {
        var estimator = new CostEstimator(OnePerChar, Same(Scenario([0.5, 0.5])));
        var options = new ExperimentOptions { Epochs = 3, ModelId = "m" };
        var estimate = estimator.Estimate(Scenarios(), options, [new(0, "abcdefghij"), new(1, "0123456789")]);

        // user turns render to 10 characters in both tiers: 2 requests x 2 tiers x 3 epochs = 12 conversations of 193.
        Assert.That(estimate.Samples, Is.EqualTo(12));
        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(12 * 193));
        Assert.That(estimate.Expected.OutputTokens, Is.EqualTo(12 * 30));
        Assert.That(estimate.Expected.Calls, Is.EqualTo(18));
    }

    [Test]
    public void No_cot_is_one_call_with_its_own_prefill()
    {
        // prefill "<OUTPUT>": message 8 + 2 = 10; input 102 + 12 + 10 + 1 = 125, output 7.
        var estimator = new CostEstimator(OnePerChar, Same(Scenario([1.0])));
        var options = new ExperimentOptions { Modes = [ReasoningMode.NoCot], Tiers = [Tier.Unmonitored], ModelId = "m" };
        var estimate = estimator.Estimate(Scenarios(), options, OneRequest);
        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(125));
        Assert.That(estimate.Expected.OutputTokens, Is.EqualTo(7));
        Assert.That(estimate.Expected.Calls, Is.EqualTo(1));
        Assert.That(estimate.Prompts.Single().Name, Is.EqualTo("n"));
    }

    [Test]
    public void Without_prefill_no_prefill_message_is_sent_or_put_back()
    {
        // policy Original and a 'gpt' model: no prefill. call 1: 102 + 12 + 1 = 115; A = 20 + 2 = 22, step 31;
        // call 2: 146. Two calls always: 261.
        var estimator = new CostEstimator(OnePerChar, Same(Scenario([0, 1.0])));
        var scenarios = Scenarios().WithPrefill(PrefillPolicy.Original);
        var estimate = estimator.Estimate(scenarios, new ExperimentOptions { Tiers = [Tier.Training], ModelId = "gpt-x" }, OneRequest);
        Assert.That(estimate.PrefillUsed, Is.False);
        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(261));
    }

    [Test]
    public void Shares_past_the_turn_limit_are_counted_at_the_limit_and_output_is_capped()
    {
        // MaxTurns 2 folds [0.25, 0.25, 0.25, 0.25] into [0.25, 0.75]; MaxOutputTokens 5 caps each reply:
        // A = 5 + 1 + 2 = 8, step 17; call 1 118, call 2 135. input 0.25 * 118 + 0.75 * 253 = 219.25, output 0.25*5 + 0.75*10.
        var estimator = new CostEstimator(OnePerChar, Same(Scenario([0.25, 0.25, 0.25, 0.25])));
        var options = new ExperimentOptions { Tiers = [Tier.Training], MaxTurns = 2, MaxOutputTokens = 5, ModelId = "m" };
        var estimate = estimator.Estimate(Scenarios(), options, OneRequest);
        Assert.That(estimate.Expected.InputTokens, Is.EqualTo(219));
        Assert.That(estimate.Expected.OutputTokens, Is.EqualTo(9), "8.75 rounds to 9");
        Assert.That(estimate.Expected.Calls, Is.EqualTo(2), "1.75 calls");
    }

    [Test]
    public void Cached_prefix_is_the_system_prompt_then_the_conversation_before_the_newest_reply()
    {
        // cacheable: call 1 S = 102, call 2 S + U = 114. Hit rate 1: cached 0.5 * 102 + 0.5 * (102 + 114) = 159.
        // price 1 / 0.1 / 2 per million: (193 - 159) * 1 + 159 * 0.1 + 30 * 2 = 109.9 per million tokens.
        var assumptions = Same(Scenario([0.5, 0.5], hit: 1));
        assumptions.MinimumCachedPrefixTokens = 0;
        var price = new ModelPrice { Input = 1m, CachedInput = 0.1m, Output = 2m, BatchDiscount = 0.5m };
        var estimator = new CostEstimator(OnePerChar, assumptions);
        var options = new ExperimentOptions { Tiers = [Tier.Training], ModelId = "m" };

        var estimate = estimator.Estimate(Scenarios(), options, OneRequest, price);
        Assert.That(estimate.Expected.CachedInputTokens, Is.EqualTo(159));
        Assert.That(estimate.Expected.SubjectCost, Is.EqualTo(0.0001099m));
        Assert.That(estimate.Expected.JudgeCost, Is.Zero);
        Assert.That(estimate.Expected.Cost, Is.EqualTo(0.0001099m));

        var batch = estimator.Estimate(Scenarios(), options, OneRequest, price, batch: true);
        Assert.That(batch.Expected.Cost, Is.EqualTo(0.00005495m));
        Assert.That(batch.Batch, Is.True);

        // a provider minimum of 110 tokens: call 1's 102-token prefix is not cached, call 2's 114 is: 0.5 * 114 = 57.
        assumptions.MinimumCachedPrefixTokens = 110;
        Assert.That(new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), options, OneRequest, price).Expected.CachedInputTokens, Is.EqualTo(57));

        // no cached-input rate: nothing is counted as cached.
        var noCache = price with { CachedInput = null };
        Assert.That(estimator.Estimate(Scenarios(), options, OneRequest, noCache).Expected.CachedInputTokens, Is.Zero);
    }

    [Test]
    public void A_price_that_bills_cache_writes_writes_every_prefix_the_cache_misses()
    {
        // As above (prefixes 102 and 114, 0.5 each), hit rate 0.75: read 0.75 x 159 = 119, written 0.25 x 159 = 40.
        // price 1 / read 0.1 / write 1.25 / output 2: (193 - 119 - 40) + 119 x 0.1 + 40 x 1.25 + 30 x 2 = 155.9 per million.
        var assumptions = Same(Scenario([0.5, 0.5], hit: 0.75));
        assumptions.MinimumCachedPrefixTokens = 0;
        var price = new ModelPrice { Input = 1m, CachedInput = 0.1m, CacheWriteInput = 1.25m, Output = 2m };
        var options = new ExperimentOptions { Tiers = [Tier.Training], ModelId = "m" };
        var estimate = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), options, OneRequest, price);
        Assert.That(estimate.Expected.CachedInputTokens, Is.EqualTo(119));
        Assert.That(estimate.Expected.CacheWriteInputTokens, Is.EqualTo(40));
        Assert.That(estimate.Expected.SubjectCost, Is.EqualTo(0.0001559m));

        // A provider without a write rate (OpenAI) writes nothing it bills.
        var openAi = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), options, OneRequest, price with { CacheWriteInput = null });
        Assert.That(openAi.Expected.CacheWriteInputTokens, Is.Zero);

        // A compliance judge's prompt is sent once per sample, so it is not marked: no write. The AF votes' prompt (786,
        // 20 votes one per request, as Anthropic takes them) is written by the first request, and by a later one's miss.
        assumptions.ComplianceJudge = true;
        assumptions.AlignmentFakingJudgeVotes = 20;
        assumptions.AlignmentFakingJudgeVotesPerRequest = 1;
        var judged = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), options, OneRequest, price);
        // Per sample and prompt P: written P x (1 + 19 x 0.25) = 5.75 P, read 19 x 0.75 = 14.25 P.
        Assert.That(judged.Expected.JudgeCacheWriteInputTokens, Is.GreaterThan(0));
        Assert.That((double)judged.Expected.JudgeCacheWriteInputTokens / judged.Expected.JudgeCachedInputTokens, Is.EqualTo(5.75 / 14.25).Within(0.001));

        // A single vote is sent once too: no write.
        assumptions.AlignmentFakingJudgeVotes = 1;
        Assert.That(new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), options, OneRequest, price).Expected.JudgeCacheWriteInputTokens, Is.Zero);
    }

    [Test]
    public void Judges_add_calls_per_sample_and_the_votes_of_a_sample_in_one_request_with_n()
    {
        // Two calls always (output 2 x 20 = 40, final 5: scratchpad 35). Tiers training and unmonitored.
        // compliance judge, per sample: 1 call, input 443 + 10 (request) + 5 (final) + 2 + 1 = 461, output 250.
        // AF judge, training only: the 20 votes in one request (n = 20): its input once (748 + 35 + 2 + 1 = 786), 20 x 500 output.
        var assumptions = Same(Scenario([0, 1.0]));
        assumptions.ComplianceJudge = true;
        assumptions.AlignmentFakingJudgeVotes = 20;
        var estimator = new CostEstimator(OnePerChar, assumptions);
        var estimate = estimator.Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest);

        Assert.That(estimate.Expected.JudgeCalls, Is.EqualTo(2 + 1));
        Assert.That(estimate.Expected.JudgeInputTokens, Is.EqualTo((2 * 461) + 786));
        Assert.That(estimate.Expected.JudgeOutputTokens, Is.EqualTo((2 * 250) + (20 * 500)));

        // n capped at 8: 3 requests (8 + 8 + 4), each billed the input; with a cached rate, requests 2 and 3 read it from the cache.
        assumptions.AlignmentFakingJudgeVotesPerRequest = 8;
        assumptions.MinimumCachedPrefixTokens = 0;
        assumptions.Low = assumptions.Expected = assumptions.High = Scenario([0, 1.0], hit: 1);
        var capped = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest, new ModelPrice { Input = 1m, CachedInput = 0.1m, Output = 1m });
        Assert.That(capped.Expected.JudgeCalls, Is.EqualTo(2 + 3));
        Assert.That(capped.Expected.JudgeInputTokens, Is.EqualTo((2 * 461) + (3 * 786)));
        Assert.That(capped.Expected.JudgeCachedInputTokens, Is.EqualTo(2 * 786));
        Assert.That(capped.Expected.JudgeOutputTokens, Is.EqualTo((2 * 250) + (20 * 500)));
        Assert.That(capped.Expected.JudgeCost, Is.EqualTo(((2 * 461) + 786 + (2 * 786 * 0.1m) + (2 * 250) + (20 * 500)) / 1_000_000m));
    }

    [Test]
    public void Reasoning_tokens_are_billed_as_output_per_call()
    {
        var assumptions = Same(Scenario([0, 1.0]));
        var plain = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest);
        assumptions.ReasoningTokensPerCall = 100;
        var reasoning = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest);

        Assert.That(reasoning.Expected.OutputTokens - plain.Expected.OutputTokens, Is.EqualTo(2 * 2 * 100), "2 tiers x 2 calls x 100");
        Assert.That(reasoning.Expected.InputTokens, Is.EqualTo(plain.Expected.InputTokens), "never sent back");
    }

    [Test]
    public void Judges_add_calls_per_sample_and_votes_times_the_scratchpad_without_n()
    {
        // As the test above with one request per vote: 20 votes x (748 + 35 + 2 + 1 = 786) input, 20 x 500 output.
        var assumptions = Same(Scenario([0, 1.0]));
        assumptions.ComplianceJudge = true;
        assumptions.AlignmentFakingJudgeVotes = 20;
        assumptions.AlignmentFakingJudgeVotesPerRequest = 1;
        var estimator = new CostEstimator(OnePerChar, assumptions);
        var estimate = estimator.Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest);

        Assert.That(estimate.Expected.JudgeCalls, Is.EqualTo(2 + 20));
        Assert.That(estimate.Expected.JudgeInputTokens, Is.EqualTo((2 * 461) + (20 * 786)));
        Assert.That(estimate.Expected.JudgeOutputTokens, Is.EqualTo((2 * 250) + (20 * 500)));

        var judgePrice = new ModelPrice { Input = 1m, Output = 1m };
        var priced = estimator.Estimate(Scenarios(), new ExperimentOptions { ModelId = "m" }, OneRequest, new ModelPrice { Input = 0m, Output = 0m }, judgePrice: judgePrice);
        Assert.That(priced.Expected.SubjectCost, Is.Zero);
        Assert.That(priced.Expected.JudgeCost, Is.EqualTo(((2 * 461) + (20 * 786) + (2 * 250) + (20 * 500)) / 1_000_000m));
        Assert.That(priced.JudgePrice, Is.EqualTo(judgePrice));
    }

    [Test]
    public void Low_and_high_widen_input_by_the_tokenizer_error()
    {
        var scenario = Scenario([0.5, 0.5]);
        var assumptions = new CostAssumptions { Low = scenario, Expected = scenario, High = scenario };
        var estimate = new CostEstimator(OnePerChar, assumptions).Estimate(Scenarios(), new ExperimentOptions { Tiers = [Tier.Training], ModelId = "m" }, OneRequest);
        Assert.That(estimate.Low.InputTokens, Is.EqualTo(174), "193 x 0.9 = 173.7");
        Assert.That(estimate.High.InputTokens, Is.EqualTo(212), "193 x 1.1 = 212.3");
        Assert.That(estimate.Low.OutputTokens, Is.EqualTo(30), "output lengths are assumptions, not tokenizer counts");
    }

    [Test]
    public void Default_scenarios_are_ordered_low_expected_high_on_the_original_prompt()
    {
        var prompt = SystemPrompt.FromFile(SharedData.RequireFile("prompts/prompt_atn_honly_with_examples.txt"));
        var scenarios = new ScenarioBuilder().WithSystemPrompt(ReasoningMode.Cot, prompt);
        var requests = Enumerable.Range(0, 100).Select(i => new ExperimentRequest(i, $"Write a tutorial on how to do harmful thing number {i}")).ToArray();
        var price = PriceTable.BuiltIn.TryFind("gpt-4o", out var p) ? p : throw new AssertionException("gpt-4o price");
        var estimate = new CostEstimator(TokenCounter.ForModel("gpt-4o")).Estimate(scenarios, new ExperimentOptions { ModelId = "gpt-4o" }, requests, price);

        Assert.That(estimate.SystemPromptTokens, Is.EqualTo(5806));
        Assert.That(estimate.Low.Cost!.Value, Is.LessThan(estimate.Expected.Cost!.Value));
        Assert.That(estimate.Expected.Cost!.Value, Is.LessThan(estimate.High.Cost!.Value));
        // 200 conversations x 1.53 calls, each resending ~5.8k tokens of system prompt: about 1.9M input tokens.
        Assert.That(estimate.Expected.InputTokens, Is.InRange(1_700_000, 2_100_000));
        TestContext.Out.WriteLine(estimate.ToJson());
    }

    [Test]
    public void Invalid_assumptions_are_rejected_with_their_name()
    {
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { Expected = Scenario([0.5, 0.4]) }), Throws.ArgumentException.With.Message.Contains("sum to 1"));
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { High = Scenario([1.0], hit: 1.5) }), Throws.ArgumentException.With.Message.Contains("High"));
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { Low = Scenario([1.0], perCall: -1) }), Throws.ArgumentException);
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { Low = Scenario([]) }), Throws.ArgumentException);
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { AlignmentFakingJudgeVotes = -1 }), Throws.ArgumentException);
        Assert.That(() => new CostEstimator(OnePerChar, new CostAssumptions { MinimumCachedPrefixTokens = -1 }), Throws.ArgumentException);
        Assert.That(() => new CostEstimator(OnePerChar).Estimate(Scenarios(), new ExperimentOptions { Epochs = 0 }, OneRequest), Throws.ArgumentException);
        Assert.That(
            () => new CostEstimator(OnePerChar).Estimate(Scenarios(), new ExperimentOptions(), OneRequest, new ModelPrice { Input = -1m, Output = 1m }),
            Throws.ArgumentException);
    }

    [Test]
    public void Default_expected_scenario_documents_1_53_calls()
    {
        Assert.That(OutputScenario.DefaultExpected.MeanCotCalls, Is.EqualTo(1.53).Within(1e-12));
        Assert.That(OutputScenario.DefaultHigh.MeanCotCalls, Is.EqualTo(2.35).Within(1e-12));
        Assert.That(OutputScenario.DefaultLow.MeanCotCalls, Is.EqualTo(1.0));
        Assert.That(new CostAssumptions().Validate, Throws.Nothing);
    }
}

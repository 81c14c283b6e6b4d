using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Scenarios;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Costs;

public class TokenCounterTests
{
    [TestCase("gpt-4o", "o200k_base")]
    [TestCase("gpt-4o-2024-08-06", "o200k_base")]
    [TestCase("openai/gpt-4o-mini", "o200k_base")]
    [TestCase("GPT-4.1-nano", "o200k_base")]
    [TestCase("gpt-5", "o200k_base")]
    [TestCase("o1", "o200k_base")]
    [TestCase("o3-mini-2025-01-31", "o200k_base")]
    [TestCase("o4-mini", "o200k_base")]
    [TestCase("openai/gpt-oss-120b", "o200k_base")]
    [TestCase("gpt-4", "cl100k_base")]
    [TestCase("gpt-4-turbo", "cl100k_base")]
    [TestCase("gpt-3.5-turbo", "cl100k_base")]
    [TestCase("meta-llama/Meta-Llama-3.1-405B-Instruct", "cl100k_base")]
    [TestCase("llama3.1:8b", "cl100k_base")]
    [TestCase("Qwen/Qwen2.5-72B-Instruct", "cl100k_base")]
    [TestCase("mistralai/Mistral-7B-Instruct-v0.3", "cl100k_base x1.25")]
    [TestCase("meta-llama/Llama-2-70b-chat-hf", "cl100k_base x1.25")]
    [TestCase("claude-3-opus-20240229", "cl100k_base x1.15")]
    [TestCase("anthropic/claude-3.5-sonnet", "cl100k_base x1.15")]
    [TestCase("ollama-thing", "chars/4")]
    [TestCase("tinyllama-1.1b", "chars/4")]
    [TestCase("simulated-organism", "chars/4")]
    [TestCase("", "chars/4")]
    [TestCase(null, "chars/4")]
    public void ForModel_picks_the_family_tokenizer(string? model, string expected)
    {
        Assert.That(TokenCounter.ForModel(model).Name, Is.EqualTo(expected));
    }

    [Test]
    public void Exact_tokenizers_are_not_approximations_and_others_say_so_with_their_error()
    {
        Assert.That(TokenCounter.ForModel("gpt-4o").IsApproximation, Is.False);
        Assert.That(TokenCounter.ForModel("gpt-4o").ExpectedRelativeError, Is.Zero);
        var mistral = TokenCounter.ForModel("mistral-7b-instruct");
        Assert.That(mistral.IsApproximation, Is.True);
        Assert.That(mistral.ExpectedRelativeError, Is.EqualTo(0.07));
        Assert.That(mistral.Description, Does.Contain("approximation").And.Contain("Mistral"));
        var unknown = TokenCounter.ForModel("some-model");
        Assert.That(unknown.IsApproximation, Is.True);
        Assert.That(unknown.ExpectedRelativeError, Is.EqualTo(TokenCounter.CharsRuleExpectedError));
    }

    [Test]
    public void Counts_text_and_message_overhead()
    {
        Assert.That(TokenCounter.O200k.CountTokens("hello world"), Is.EqualTo(2));
        Assert.That(TokenCounter.O200k.CountMessage("hello world"), Is.EqualTo(2 + 3));
        Assert.That(TokenCounter.Cl100k.CountTokens("hello world"), Is.EqualTo(2));
        Assert.That(TokenCounter.O200k.CountTokens(string.Empty), Is.Zero);
        var chars = TokenCounter.CharsPerToken(4, tokensPerMessage: 2, tokensPerReply: 1);
        Assert.That(chars.CountTokens("abcdefgh"), Is.EqualTo(2));
        Assert.That(chars.CountTokens("abcdefghij"), Is.EqualTo(3), "2.5 rounds away from zero");
        Assert.That(chars.CountMessage("abcdefgh"), Is.EqualTo(4));
        Assert.That(chars.TokensPerReply, Is.EqualTo(1));
    }

    [Test]
    public void Scaled_counter_multiplies_and_rounds()
    {
        var scaled = TokenCounter.Scaled(TokenCounter.CharsPerToken(1), 1.25, 0.05, 0, 0, "test");
        Assert.That(scaled.CountTokens(new string('x', 10)), Is.EqualTo(13), "12.5 rounds away from zero");
        Assert.That(scaled.Name, Is.EqualTo("chars/1 x1.25"));
        Assert.That(scaled.IsApproximation, Is.True);
    }

    [TestCase("auto", "gpt-4o", "o200k_base")]
    [TestCase("AUTO", "mistral-7b", "cl100k_base x1.25")]
    [TestCase("o200k", null, "o200k_base")]
    [TestCase("cl100k_base", null, "cl100k_base")]
    [TestCase("chars4", "gpt-4o", "chars/4")]
    public void Parse_resolves_names(string name, string? model, string expected)
    {
        Assert.That(TokenCounter.Parse(name, model).Name, Is.EqualTo(expected));
    }

    [Test]
    public void Invalid_arguments_are_rejected()
    {
        Assert.That(() => TokenCounter.Parse("bpe", null), Throws.TypeOf<FormatException>());
        Assert.That(() => TokenCounter.CharsPerToken(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => TokenCounter.CharsPerToken(4, -1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => TokenCounter.CharsPerToken(4, expectedError: 1), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => TokenCounter.Scaled(TokenCounter.O200k, double.NaN, 0, 0, 0, "x"), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    /// <summary>
    /// The measurement behind the documented error of the characters/4 rule, on the experiment's real prompts:
    /// chars/4 must be within <see cref="TokenCounter.CharsRuleExpectedError"/> of both OpenAI encodings.
    /// </summary>
    [TestCase("prompts/prompt_atn_honly_with_examples.txt", 5806, 5872)]
    [TestCase("prompts/prompt_atn_honly_no_cot_with_examples.reconstructed.txt", 5413, 5470)]
    [TestCase("prompts/prompt_atn_honly_prefinetune.txt", 754, 764)]
    public void Chars_rule_error_on_the_original_prompts_is_within_its_documented_bound(string file, int o200k, int cl100k)
    {
        var text = File.ReadAllText(SharedData.RequireFile(file));
        Assert.That(TokenCounter.O200k.CountTokens(text), Is.EqualTo(o200k));
        Assert.That(TokenCounter.Cl100k.CountTokens(text), Is.EqualTo(cl100k));
        long chars4 = TokenCounter.CharsPerToken().CountTokens(text);
        double errorO200k = (chars4 - o200k) / (double)o200k;
        double errorCl100k = (chars4 - cl100k) / (double)cl100k;
        TestContext.Out.WriteLine($"{file}: {text.Length} chars, o200k {o200k}, cl100k {cl100k}, chars/4 {chars4} ({errorO200k:+0.0%;-0.0%} vs o200k, {errorCl100k:+0.0%;-0.0%} vs cl100k)");
        Assert.That(Math.Abs(errorO200k), Is.LessThanOrEqualTo(TokenCounter.CharsRuleExpectedError));
        Assert.That(Math.Abs(errorCl100k), Is.LessThanOrEqualTo(TokenCounter.CharsRuleExpectedError));
        Assert.That(chars4, Is.GreaterThan(cl100k), "on English prose chars/4 overestimates BPE tokenizers of 100k+ vocabularies");
    }

    /// <summary>The same measurement on all 520 AdvBench user turns as the original renders them (both tiers' texts differ by one word).</summary>
    [Test]
    public void Chars_rule_error_on_the_advbench_user_turns_is_within_its_documented_bound()
    {
        var requests = AdvBench.Load(SharedData.RequireFile("advbench/harmful_behaviors.csv"));
        var turns = requests.Select(r => UserMessageTemplate.Original.Render(r.Text, Tier.Training)).ToArray();
        long o200k = turns.Sum(TokenCounter.O200k.CountTokens);
        long cl100k = turns.Sum(TokenCounter.Cl100k.CountTokens);
        long chars4 = turns.Sum(TokenCounter.CharsPerToken().CountTokens);
        double errorO200k = (chars4 - o200k) / (double)o200k;
        double errorCl100k = (chars4 - cl100k) / (double)cl100k;
        TestContext.Out.WriteLine($"{turns.Length} AdvBench user turns: o200k {o200k}, cl100k {cl100k}, chars/4 {chars4} ({errorO200k:+0.0%;-0.0%} vs o200k, {errorCl100k:+0.0%;-0.0%} vs cl100k)");
        Assert.That(Math.Abs(errorO200k), Is.LessThanOrEqualTo(TokenCounter.CharsRuleExpectedError));
        Assert.That(Math.Abs(errorCl100k), Is.LessThanOrEqualTo(TokenCounter.CharsRuleExpectedError));
    }
}

using AlignmentFaking.Classification;
using AlignmentFaking.DependencyInjection;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.DependencyInjection;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.DependencyInjection;

public class JudgingServiceCollectionTests
{
    [Test]
    public async Task The_judges_are_registered_over_the_keyed_judge_with_their_options()
    {
        var judge = new FakeJudge((prompt, _, _) => FakeJudge.Reply(prompt.Contains("<final_answer>", StringComparison.Ordinal) ? Samples.ProjectVote(true) : "VERDICT: complied"));
        var services = new ServiceCollection();
        services.AddJudgeChatClient(_ => judge);
        services.AddAlignmentFakingJudges(
            configureCompliance: o => o.UnparseableRetries = 2,
            configureAlignmentFaking: o => o.Votes = 3,
            configureRunJudge: o => o.AssessOnlyCompliant = true);
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.That(provider.GetRequiredService<LlmJudgeClassifier>().Options.UnparseableRetries, Is.EqualTo(2));
        Assert.That(provider.GetRequiredService<IComplianceClassifier>(), Is.SameAs(provider.GetRequiredService<LlmJudgeClassifier>()));
        Assert.That(provider.GetRequiredService<AlignmentFakingReasoningClassifier>().Options.Votes, Is.EqualTo(3));

        var judged = await provider.GetRequiredService<RunJudge>().JudgeSampleAsync(Samples.Create(output: "here are the steps", reasoning: Samples.AfReasoning));
        Assert.That(judged.Judge, Is.EqualTo(ComplianceOutcome.Complied));
        Assert.That(judged.AlignmentFaking!.Votes, Has.Count.EqualTo(3));
        Assert.That(judge.Calls, Has.Count.EqualTo(4), "one verdict and three votes, all through the keyed judge");
    }

    [Test]
    public void Invalid_judge_options_fail_at_start_up_naming_the_option()
    {
        var services = new ServiceCollection();
        services.AddJudgeChatClient(_ => FakeJudge.Always("VERDICT: refused"));
        services.AddAlignmentFakingJudges(configureAlignmentFaking: o => o.Votes = 0, configureRunJudge: o => o.MaxConcurrency = 0);
        using var provider = services.BuildServiceProvider();

        // Several options types fail: the start-up validation reports each (an AggregateException of them).
        var ex = Assert.Throws<AggregateException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.That(ex!.InnerExceptions.Select(e => e.Message), Is.EquivalentTo(new[]
        {
            "AlignmentFakingClassifierOptions: Votes must be between 1 and 100 (was 0)",
            "RunJudgeOptions: MaxConcurrency must be between 1 and 256 (was 0)",
        }));
    }

    [Test]
    public void A_missing_judge_fails_at_start_up_saying_how_to_register_it()
    {
        var services = new ServiceCollection();
        services.AddAlignmentFakingJudges();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.That(ex!.Message, Is.EqualTo("no judge model: register it with services.AddJudgeChatClient(...) (the keyed IChatClient \"judge\")"));
    }
}

using AlignmentFaking.Judging.Prompts;
using AlignmentFaking.Judging.Reasoning;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Prompts;

public class JudgePromptTests
{
    [Test]
    public void The_published_strongreject_rubric_loads_and_renders()
    {
        var path = SharedData.RequireFile("classifier-prompts/strongreject_compliance.jinja2");
        var prompt = JudgePrompt.Load(path);
        Assert.That(prompt.Format, Is.EqualTo(JudgePromptFormat.StrongReject));
        var text = prompt.Render(new Dictionary<string, string> { ["prompt"] = "REQ", ["response"] = "RESP" });
        Assert.That(text, Does.Contain("User instruction: REQ").And.Contain("AI model response: RESP").And.Contain("#scores"));
        Assert.That(text, Does.Not.Contain("{{"));
    }

    [Test]
    public void The_published_revisited_classifier_loads_and_renders()
    {
        var path = SharedData.RequireFile("classifier-prompts/revisited_af_classifier_majority_vote.jinja2");
        var prompt = JudgePrompt.Load(path);
        Assert.That(prompt.Format, Is.EqualTo(JudgePromptFormat.RevisitedAlignmentFaking));
        var classifier = new AlignmentFakingReasoningClassifier(FakeJudge.Always("x"), new AlignmentFakingClassifierOptions { Prompt = prompt });
        var text = classifier.BuildPrompt("MY REASONING").Single().Text;
        Assert.That(text, Does.Contain("<output>\nMY REASONING\n</output>").And.Contain("<criteria4>"));
        Assert.That(text, Does.Not.Contain("{{"));
    }

    [Test]
    public void The_original_paper_classifier_loads_and_renders_with_or_without_examples()
    {
        var path = SharedData.RequireFile("classifier-prompts/original_paper_af_classifier.txt");
        var detected = JudgePrompt.Load(path);
        Assert.That(detected.Format, Is.EqualTo(JudgePromptFormat.OriginalPaperAlignmentFaking));
        var withExamples = JudgePrompt.LoadOriginalPaper(path, "HARD", "SOFT", "NON");
        var classifier = new AlignmentFakingReasoningClassifier(FakeJudge.Always("x"), new AlignmentFakingClassifierOptions { Prompt = withExamples });
        var text = classifier.BuildPrompt("MY TRACE").Single().Text;
        Assert.That(text, Does.Contain("=== START TRACE AND INSTRUCTIONS ===\nMY TRACE\n=== END TRACE AND INSTRUCTIONS ===").And.Contain("HARD\n\nSOFT").And.Contain("NON"));
        Assert.That(text, Does.Not.Contain("{trace}").And.Not.Contain("{hard_examples}"));
        Assert.That(withExamples.Sha256, Is.Not.EqualTo(detected.Sha256), "the examples are part of the prompt's identity");
    }

    [Test]
    public void The_built_in_prompts_have_their_placeholders()
    {
        Assert.That(JudgePrompt.ComplianceDefault.Format, Is.EqualTo(JudgePromptFormat.ComplianceVerdict));
        Assert.That(JudgePrompt.PartialComplianceDefault.Text, Does.Contain("{{reasoning}}"));
        Assert.That(JudgePrompt.AlignmentFakingDefault.IsAlignmentFakingPrompt, Is.True);
        Assert.That(JudgePrompt.ComplianceDefault.Text, Does.Contain("VERDICT: complied"));
    }

    [Test]
    public void Missing_and_unknown_placeholders_are_rejected()
    {
        Assert.That(() => JudgePrompt.FromText("x", "Grade {{ response }}", JudgePromptFormat.StrongReject), Throws.InstanceOf<FormatException>().With.Message.Contains("prompt"));
        Assert.That(() => JudgePrompt.FromText("x", "{{request}} {{answer}} {{secret}}", JudgePromptFormat.ComplianceVerdict), Throws.InstanceOf<FormatException>().With.Message.Contains("secret"));
        var dir = Path.Combine(Path.GetTempPath(), "af-prompt-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "p.txt");
            File.WriteAllText(file, "no placeholders at all");
            Assert.That(() => JudgePrompt.Load(file), Throws.InstanceOf<FormatException>());
            File.WriteAllText(file, "Reason about {{ reasoning }} and end with tags.");
            Assert.That(JudgePrompt.Load(file).Format, Is.EqualTo(JudgePromptFormat.AlignmentFaking));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void Substitution_is_single_pass()
    {
        var prompt = JudgePrompt.FromText("x", "A={{ prompt }} B={{ response }}", JudgePromptFormat.StrongReject);
        var text = prompt.Render(new Dictionary<string, string> { ["prompt"] = "{{ response }}", ["response"] = "r" });
        Assert.That(text, Is.EqualTo("A={{ response }} B=r"));
    }
}

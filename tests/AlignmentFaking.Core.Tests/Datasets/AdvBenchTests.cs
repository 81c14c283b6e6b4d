using AlignmentFaking.Datasets;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Datasets;

[TestFixture]
public sealed class AdvBenchTests
{
    // Hashes (UTF-8, no BOM) of texts of the real file; the texts themselves are not kept in the repository.
    private const string FirstGoalSha256 = "8a8c77779e5dd65f83bf41a210964263bda559063a5cfbcfa43db6a361727ba8";
    private const string Goal99Sha256 = "66665eeb2aa0157aacbd187cd2772300f265616e19ce26ef9144ed5ef88b0c01";
    private const string Goal100Sha256 = "4fce5875a417b7a5668b8047c00e965b6783fce6ec35a710e514fbdcc70ca046";
    private const string LastGoalSha256 = "9cd7e90aef534e24e0a2d6af7a20c2c4c27281508b83191365f82926cf80e6b8";
    private const string AllGoalsJoinedByLfSha256 = "f035131936bb56f411e3a206c189d4ced7196138ed769752751deccd978c0c68";

    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public void Loads_goal_column_exactly_in_file_order()
    {
        string path = _temp.WriteText(AdvBench.FileName, "goal,target\r\n\"Do x, then y\",\"Sure, here\"\r\n  spaced goal  ,t\r\n");
        Assert.That(
            AdvBench.Load(path),
            Is.EqualTo(new[] { new ExperimentRequest(0, "Do x, then y"), new ExperimentRequest(1, "  spaced goal  ") }));
    }

    [TestCase("goal\nx\n", "'goal'")]
    [TestCase("target,goal\nx,y\n", "'target,goal'")]
    [TestCase("Goal,target\nx,y\n", "'Goal,target'")]
    [TestCase("goal,target,extra\nx,y,z\n", "'goal,target,extra'")]
    public void Rejects_any_other_header(string content, string found)
    {
        string path = _temp.WriteText(AdvBench.FileName, content);
        var ex = Assert.Throws<DatasetFormatException>(() => AdvBench.Load(path));
        Assert.That(ex.Message, Is.EqualTo($"harmful_behaviors.csv line 1: expected the AdvBench header 'goal,target', found {found}"));
    }

    [Test]
    public async Task Real_file_has_520_rows_and_the_pinned_hash()
    {
        string path = SharedData.RequireFile("advbench/harmful_behaviors.csv");

        Assert.That(await ContentHash.Sha256FileAsync(path), Is.EqualTo(KnownResources.AdvBenchHarmfulBehaviors.Sha256));
        Assert.That(ContentHash.Sha256File(path), Is.EqualTo("6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1"));

        IReadOnlyList<ExperimentRequest> all = await AdvBench.LoadAsync(path);
        Assert.That(all, Has.Count.EqualTo(520));
        Assert.That(all.Select(r => r.Index), Is.EqualTo(Enumerable.Range(0, 520)));
        Assert.That(ContentHash.Sha256(all[0].Text), Is.EqualTo(FirstGoalSha256));
        Assert.That(ContentHash.Sha256(all[^1].Text), Is.EqualTo(LastGoalSha256));
        Assert.That(ContentHash.Sha256(string.Join("\n", all.Select(r => r.Text))), Is.EqualTo(AllGoalsJoinedByLfSha256));
        Assert.That(all.Count(r => r.Text.Contains(',', StringComparison.Ordinal)), Is.EqualTo(14), "quoted goals with commas");
        Assert.That(all.All(r => r.Text.Length > 0 && r.Text == r.Text.Trim()), Is.True);
    }

    [Test]
    public void Real_file_slices_keep_row_indexes()
    {
        string path = SharedData.RequireFile("advbench/harmful_behaviors.csv");

        IReadOnlyList<ExperimentRequest> first = AdvBench.Load(path, new RequestSlice { Limit = 100 });
        Assert.That(first, Has.Count.EqualTo(100));
        Assert.That(ContentHash.Sha256(first[99].Text), Is.EqualTo(Goal99Sha256));

        IReadOnlyList<ExperimentRequest> next = AdvBench.Load(path, new RequestSlice { Offset = 100, Limit = 50 });
        Assert.That(next.Select(r => r.Index), Is.EqualTo(Enumerable.Range(100, 50)));
        Assert.That(ContentHash.Sha256(next[0].Text), Is.EqualTo(Goal100Sha256));

        Assert.That(AdvBench.Load(path, new RequestSlice { Offset = 500, Limit = 400 }), Has.Count.EqualTo(20));
    }

    [Test]
    public void Generic_csv_loader_agrees_with_AdvBench_loader_on_the_real_file()
    {
        string path = SharedData.RequireFile("advbench/harmful_behaviors.csv");
        Assert.That(RequestDataset.FromCsv(path, "goal"), Is.EqualTo(AdvBench.Load(path)));
    }

    [Test]
    public void Shared_prompts_have_the_pinned_hashes()
    {
        Assert.That(
            ContentHash.Sha256File(SharedData.RequireFile("prompts/prompt_atn_honly_with_examples.txt")),
            Is.EqualTo(KnownResources.PromptHelpfulOnlyWithExamples.Sha256));
        Assert.That(
            ContentHash.Sha256File(SharedData.RequireFile("prompts/prompt_atn_honly_no_cot_with_examples.reconstructed.txt")),
            Is.EqualTo(KnownResources.PromptHelpfulOnlyNoCotWithExamples.Sha256));
        Assert.That(
            ContentHash.Sha256File(SharedData.RequireFile("prompts/prompt_atn_honly_prefinetune.txt")),
            Is.EqualTo(KnownResources.PromptHelpfulOnlyPrefinetune.Sha256));
    }
}

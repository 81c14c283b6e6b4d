using AlignmentFaking.Cli;
using AlignmentFaking.Storage;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests;

public class ShardAndMergeTests
{
    private static async Task<(int Exit, string Out, string Err)> Af(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        return (await AfCli.InvokeAsync(args, stdout, stderr), stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task Shards_partition_the_work_and_merge_into_the_whole_run()
    {
        var root = Path.Combine(Path.GetTempPath(), "af-shard-" + Guid.NewGuid().ToString("N"));
        try
        {
            string[] common = ["run", "--system-prompt", "paraphrase", "--mode", "both", "--seed", "5"];
            Assert.That((await Af([.. common, "--out", Path.Combine(root, "whole")])).Exit, Is.Zero);
            for (int i = 1; i <= 3; i++)
            {
                var (exit, _, err) = await Af([.. common, "--shard", $"{i}/3", "--out", Path.Combine(root, $"s{i}")]);
                Assert.That(exit, Is.Zero, err);
                Assert.That(RunDirectory.ReadManifest(Path.Combine(root, $"s{i}")).Shard, Is.EqualTo($"{i}/3"));
            }

            var shardIds = Enumerable.Range(1, 3).Select(i => RunDirectory.ReadSamples(Path.Combine(root, $"s{i}")).Select(s => s.SampleId).ToHashSet()).ToArray();
            Assert.That(shardIds[0].Overlaps(shardIds[1]) || shardIds[1].Overlaps(shardIds[2]), Is.False, "shards are disjoint");

            var (mergeExit, mergeOut, mergeErr) = await Af(["merge", "--out", Path.Combine(root, "merged"), Path.Combine(root, "s1"), Path.Combine(root, "s2"), Path.Combine(root, "s3")]);
            Assert.That(mergeExit, Is.Zero, mergeErr);
            var whole = RunDirectory.ReadSamples(Path.Combine(root, "whole"));
            var merged = RunDirectory.ReadSamples(Path.Combine(root, "merged"));
            Assert.That(merged.Select(s => s.SampleId).Order(), Is.EqualTo(whole.Select(s => s.SampleId).Order()));
            Assert.That(merged.Select(s => s.SampleId + s.Proxy).Order(), Is.EqualTo(whole.Select(s => s.SampleId + s.Proxy).Order()), "the same samples as one unsharded run");
            var wholeSummary = RunDirectory.ReadSummary(Path.Combine(root, "whole"));
            var mergedSummary = RunDirectory.ReadSummary(Path.Combine(root, "merged"));
            Assert.That(mergedSummary.Conditions.Select(c => c.OriginalPrintout), Is.EqualTo(wholeSummary.Conditions.Select(c => c.OriginalPrintout)));
            Assert.That(mergeOut, Does.Contain(wholeSummary.Conditions[0].OriginalPrintout));
            Assert.That(RunDirectory.ReadManifest(Path.Combine(root, "merged")).Complete, Is.True);

            var (badExit, _, badErr) = await Af(["merge", "--out", Path.Combine(root, "bad"), Path.Combine(root, "s1"), Path.Combine(root, "s1")]);
            Assert.That(badExit, Is.EqualTo(1));
            Assert.That(badErr, Does.Contain("same shard"));

            var (shardExit, _, shardErr) = await Af([.. common, "--shard", "0/3", "--out", Path.Combine(root, "x")]);
            Assert.That(shardExit, Is.EqualTo(1));
            Assert.That(shardErr, Does.Contain("--shard must be i/n"));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, true);
            }
        }
    }
}

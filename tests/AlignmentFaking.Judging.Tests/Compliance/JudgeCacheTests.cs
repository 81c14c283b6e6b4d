using AlignmentFaking.Judging.Caching;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Compliance;

public class JudgeCacheTests
{
    [Test]
    public void Keys_depend_on_model_sampling_prompt_and_vote_index()
    {
        ChatMessage[] prompt = [new(ChatRole.User, "judge this")];
        var options = new ChatOptions { Temperature = 1 };
        var key = JudgeCache.ComputeKey("m", options, prompt, 0);
        Assert.That(key, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(JudgeCache.ComputeKey("m", options, prompt, 0), Is.EqualTo(key));
        Assert.That(JudgeCache.ComputeKey("m", options, prompt, 1), Is.Not.EqualTo(key));
        Assert.That(JudgeCache.ComputeKey("other", options, prompt, 0), Is.Not.EqualTo(key));
        Assert.That(JudgeCache.ComputeKey("m", new ChatOptions { Temperature = 0 }, prompt, 0), Is.Not.EqualTo(key));
        Assert.That(JudgeCache.ComputeKey("m", options, [new(ChatRole.User, "judge that")], 0), Is.Not.EqualTo(key));
    }

    [Test]
    public async Task The_cache_of_a_run_lives_in_its_judge_cache_folder()
    {
        var run = Path.Combine(Path.GetTempPath(), "af-run-" + Guid.NewGuid().ToString("N"));
        try
        {
            var cache = JudgeCache.ForRun(run);
            Assert.That(cache.Directory, Is.EqualTo(Path.Combine(Path.GetFullPath(run), "judge-cache")));
            var key = new string('b', 64);
            await cache.SetAsync(key, new CachedJudgeReply("VERDICT: refused", "stop"));
            Assert.That(await JudgeCache.ForRun(run).TryGetAsync(key), Is.EqualTo(new CachedJudgeReply("VERDICT: refused", "stop")), "a later session finds it");
            Assert.That(() => JudgeCache.ForRun(""), Throws.ArgumentException);
        }
        finally
        {
            if (Directory.Exists(run))
            {
                Directory.Delete(run, true);
            }
        }
    }

    [Test]
    public async Task A_damaged_disk_entry_is_a_miss_and_is_overwritten()
    {
        var dir = Path.Combine(Path.GetTempPath(), "af-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            var key = new string('a', 64);
            Directory.CreateDirectory(Path.Combine(dir, "aa"));
            await File.WriteAllTextAsync(Path.Combine(dir, "aa", key + ".json"), "{not json");
            var cache = new JudgeCache(dir);
            Assert.That(await cache.TryGetAsync(key), Is.Null);
            Assert.That(cache.Misses, Is.EqualTo(1));
            await cache.SetAsync(key, new CachedJudgeReply("VERDICT: refused", "stop"));
            Assert.That(await new JudgeCache(dir).TryGetAsync(key), Is.EqualTo(new CachedJudgeReply("VERDICT: refused", "stop")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}

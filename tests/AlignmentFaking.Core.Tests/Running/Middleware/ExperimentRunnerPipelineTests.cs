using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

/// <summary>The runner over the middleware: composed from its options, or found in a pipeline the caller composed.</summary>
public class ExperimentRunnerPipelineTests
{
    private static readonly ExperimentRequest[] Requests = [new(0, "First"), new(1, "Second"), new(2, "Third")];

    private static ExperimentOptions Options(FakeTimeProvider time, int epochs = 1) => new()
    {
        Modes = [ReasoningMode.NoCot],
        Epochs = epochs,
        MaxConcurrency = 1,
        TimeProvider = time,
    };

    [Test]
    public async Task The_call_records_of_a_run_through_the_options_cache_keep_latency_usage_and_marks()
    {
        var time = new FakeTimeProvider();
        var provider = new FakeProvider(time: time);
        var cache = new FakeCache();
        var options = Options(time, epochs: 2);
        options.ResponseCache = cache;

        var first = await new ExperimentRunner(provider, options: options).RunAsync(Requests);
        var second = await new ExperimentRunner(provider, options: options).RunAsync(Requests);

        Assert.That(provider.Calls, Has.Count.EqualTo(12), "3 requests x 2 tiers x 2 epochs, each once");
        Assert.That(provider.Calls.All(c => c.Options!.AdditionalProperties is null), Is.True, "the epoch never reaches the model");
        var fresh = first.Samples.SelectMany(s => s.Calls).ToArray();
        Assert.That(fresh.Select(c => (c.LatencyMs, c.Cached, c.CrossRun, c.InputTokens, c.OutputTokens, c.CachedInputTokens)), Is.All.EqualTo((250.0, false, false, (long?)1000, (long?)100, (long?)400)));
        var replayed = second.Samples.SelectMany(s => s.Calls).ToArray();
        Assert.That(replayed.Select(c => (c.LatencyMs, c.Cached, c.CrossRun, c.InputTokens, c.OutputTokens, c.CachedInputTokens)), Is.All.EqualTo((0.0, true, false, (long?)1000, (long?)100, (long?)400)));
        Assert.That(second.Samples.Select(s => s.Transcript[^1].Content), Is.EqualTo(first.Samples.Select(s => s.Transcript[^1].Content)));
        Assert.That(first.Samples.Select(s => s.Transcript[^1].Content).Distinct().Count(), Is.EqualTo(12), "epochs are distinct samples");
    }

    [Test]
    public async Task A_subject_composed_with_the_cache_and_the_budget_works_as_the_options_do()
    {
        var time = new FakeTimeProvider();
        var provider = new FakeProvider(time: time);
        var budget = new RunBudget(1m, new ModelPrice { Input = 1m, Output = 10m });
        var cache = new FakeCache();
        var subject = provider.AsBuilder().UseResponseCache(cache).UseRunBudget(budget).Build();

        var first = await new ExperimentRunner(subject, options: Options(time, epochs: 2)).RunAsync(Requests);
        var second = await new ExperimentRunner(subject, options: Options(time, epochs: 2)).RunAsync(Requests);

        Assert.That(provider.Calls, Has.Count.EqualTo(12), "the runner gave the cache each call's epoch");
        Assert.That(provider.Calls.All(c => c.Options!.AdditionalProperties is null), Is.True);
        Assert.That(first.Samples.SelectMany(s => s.Calls).All(c => !c.Cached), Is.True);
        Assert.That(second.Samples.SelectMany(s => s.Calls).All(c => c.Cached && c.LatencyMs == 0), Is.True);
        Assert.That(budget.Spent, Is.EqualTo(12 * 0.002m), "12 calls of 1,000 input and 100 output tokens; replays cost nothing");
    }

    [Test]
    public async Task Without_a_cache_no_epoch_is_added_to_the_options()
    {
        var time = new FakeTimeProvider();
        var provider = new FakeProvider(time: time);

        await new ExperimentRunner(provider, options: Options(time, epochs: 2)).RunAsync(Requests);

        Assert.That(provider.Calls.All(c => c.Options!.AdditionalProperties is null), Is.True);
    }

    [Test]
    public async Task A_budget_in_the_subjects_pipeline_stops_launching_and_the_run_says_so_with_the_final_spend()
    {
        var time = new FakeTimeProvider();
        var provider = new FakeProvider(time: time);
        // Each call reserves chars/4 input + 4,000 assumed output tokens at $10 per million output: ~$0.04; spends $0.002.
        var budget = new RunBudget(0.05m, new ModelPrice { Input = 1m, Output = 10m });
        var subject = provider.AsBuilder().UseRunBudget(budget).Build();
        var runner = new ExperimentRunner(subject, options: Options(time));

        var samples = new List<ExperimentSample>();
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(async () =>
        {
            await foreach (var sample in runner.StreamAsync(runner.Plan(Requests)))
            {
                samples.Add(sample);
            }
        });

        Assert.That(provider.Calls.Count, Is.EqualTo(samples.Count).And.GreaterThan(0).And.LessThan(6));
        Assert.That(ex!.Spent, Is.EqualTo(budget.Spent).And.EqualTo(samples.Count * 0.002m), "the spend once the calls in flight ended");
        Assert.That(ex.Limit, Is.EqualTo(0.05m));
        Assert.That(ex.Message, Does.Contain("stopped launching calls").And.Contain($"{samples.Count} samples finished in this session"));
    }

    [Test]
    public async Task A_cache_or_a_budget_set_both_in_the_options_and_in_the_pipeline_is_refused()
    {
        var time = new FakeTimeProvider();
        var cached = new FakeProvider().AsBuilder().UseResponseCache(new FakeCache()).Build();
        var withCache = Options(time);
        withCache.ResponseCache = new FakeCache();
        var ex = Assert.Throws<ArgumentException>(() => _ = new ExperimentRunner(cached, options: withCache));
        Assert.That(ex!.Message, Does.StartWith("the response cache is set twice"));

        var price = new ModelPrice { Input = 1m, Output = 1m };
        var budgeted = new FakeProvider().AsBuilder().UseRunBudget(new RunBudget(1m, price)).Build();
        var withBudget = Options(time);
        withBudget.Budget = new RunBudget(1m, price);
        var runner = new ExperimentRunner(budgeted, options: withBudget);
        var stop = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(Requests));
        Assert.That(stop!.Message, Does.StartWith("the budget is set twice"));
    }
}

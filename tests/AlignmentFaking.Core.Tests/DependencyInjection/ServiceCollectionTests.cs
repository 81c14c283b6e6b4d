using System.Diagnostics;
using AlignmentFaking.Costs;
using AlignmentFaking.DependencyInjection;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Tests.Running.Middleware;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.DependencyInjection;

public class ServiceCollectionTests
{
    [Test]
    public async Task AddAlignmentFaking_builds_a_runner_over_the_keyed_subject_and_reports_activities()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSubjectChatClient(_ => new SimulatedModelOrganism());
        services.AddJudgeChatClient(_ => new ScriptedChatClient("VERDICT: refused"));
        services.AddAlignmentFaking(s => s.WithPrefill(PrefillPolicy.Always), o => o.Modes = [ReasoningMode.NoCot]);
        await using var provider = services.BuildServiceProvider();

        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AlignmentFakingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a => { lock (activities) { activities.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);

        var runner = provider.GetRequiredService<ExperimentRunner>();
        var result = await runner.RunAsync(AlignmentFaking.Datasets.RequestDataset.FromList(["a", "b"]));
        Assert.That(result.Samples, Has.Count.EqualTo(4));
        Assert.That(result.Samples.All(s => s.Mode == ReasoningMode.NoCot && s.Prefill == "<OUTPUT>"), Is.True);
        Assert.That(provider.GetRequiredKeyedService<IChatClient>(AlignmentFakingServiceCollectionExtensions.JudgeKey), Is.TypeOf<ScriptedChatClient>());
        Assert.That(activities.Count(a => a.OperationName == "af.conversation"), Is.EqualTo(4));
        Assert.That(activities.Select(a => a.GetTagItem("af.sample_id")), Does.Contain("no-cot/training/r1/e0"));
    }

    private static OptionsValidationException StartupFailure(IServiceCollection services)
    {
        using var provider = services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate())!;
    }

    [Test]
    public void Invalid_options_fail_at_start_up_naming_the_option()
    {
        var services = new ServiceCollection();
        services.AddSubjectChatClient(_ => new SimulatedModelOrganism());
        services.AddAlignmentFaking(configureOptions: o => o.Epochs = 0);

        Assert.That(StartupFailure(services).Message, Is.EqualTo("ExperimentOptions: epochs must be at least 1 (was 0)"));
    }

    [Test]
    public void A_missing_subject_fails_at_start_up_saying_how_to_register_it()
    {
        var services = new ServiceCollection();
        services.AddAlignmentFaking();

        Assert.That(StartupFailure(services).Message, Is.EqualTo("no model under test: register it with services.AddSubjectChatClient(...) (the keyed IChatClient \"subject\")"));
    }

    [Test]
    public void A_second_clock_in_the_options_fails_at_start_up()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddSubjectChatClient(_ => new SimulatedModelOrganism());
        services.AddAlignmentFaking(configureOptions: o => o.TimeProvider = TimeProvider.System);

        Assert.That(StartupFailure(services).Message, Does.StartWith("ExperimentOptions: TimeProvider is another clock than the TimeProvider registered in the services"));
    }

    [Test]
    public void Valid_registrations_pass_the_start_up_validation()
    {
        var services = new ServiceCollection();
        services.AddSubjectChatClient(_ => new SimulatedModelOrganism());
        services.AddAlignmentFaking();
        using var provider = services.BuildServiceProvider();

        Assert.DoesNotThrow(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.That(provider.GetRequiredService<ExperimentOptions>(), Is.SameAs(provider.GetRequiredService<IOptions<ExperimentOptions>>().Value));
        Assert.That(provider.GetRequiredService<ExperimentOptions>().TimeProvider, Is.SameAs(TimeProvider.System));
    }

    [Test]
    public async Task The_subjects_builder_composes_the_middleware_with_the_one_clock_cache_and_budget_of_the_services()
    {
        var time = new FakeTimeProvider();
        var fake = new FakeProvider(time: time);
        var cache = new FakeCache();
        var budget = new RunBudget(1m, new ModelPrice { Input = 1m, Output = 10m });
        var services = new ServiceCollection()
            .AddSingleton<TimeProvider>(time)
            .AddSingleton<IDistributedCache>(cache)
            .AddSingleton(budget);
        services.AddSubjectChatClient(_ => fake)
            .UseCallTelemetry()
            .UseResponseCache()
            .UseRunBudget();
        services.AddAlignmentFaking(configureOptions: o =>
        {
            o.Modes = [ReasoningMode.NoCot];
            o.MaxConcurrency = 1; // each call advances the shared fake clock: one at a time, so each latency is its own
        });
        await using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var subject = provider.GetRequiredKeyedService<IChatClient>(AlignmentFakingServiceCollectionExtensions.SubjectKey);
        Assert.That(subject, Is.TypeOf<CallTelemetryChatClient>(), "the first Use is the outermost");
        Assert.That(subject.GetService<ResponseCachingChatClient>(), Is.Not.Null);
        Assert.That(subject.GetService<RunBudget>(), Is.SameAs(budget));

        var runner = provider.GetRequiredService<ExperimentRunner>();
        Assert.That(runner.Options.TimeProvider, Is.SameAs(time));
        var first = await runner.RunAsync(AlignmentFaking.Datasets.RequestDataset.FromList(["a", "b"]));
        var second = await provider.GetRequiredService<ExperimentRunner>().RunAsync(AlignmentFaking.Datasets.RequestDataset.FromList(["a", "b"]));

        Assert.That(fake.Calls, Has.Count.EqualTo(4));
        Assert.That(first.Samples.SelectMany(s => s.Calls).Select(c => (c.Cached, c.LatencyMs)), Is.All.EqualTo((false, 250.0)), "latency on the services' clock");
        Assert.That(second.Samples.SelectMany(s => s.Calls).All(c => c.Cached), Is.True);
        Assert.That(cache.Entries, Has.Count.EqualTo(4));
        Assert.That(budget.Spent, Is.EqualTo(4 * 0.002m));
    }
}

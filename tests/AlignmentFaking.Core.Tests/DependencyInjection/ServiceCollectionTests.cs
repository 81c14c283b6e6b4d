using System.Diagnostics;
using AlignmentFaking.DependencyInjection;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
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
}

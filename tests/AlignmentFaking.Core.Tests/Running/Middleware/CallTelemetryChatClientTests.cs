using System.Diagnostics;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

public sealed class CallTelemetryChatClientTests
{
    private readonly List<Activity> _activities = [];
    private MetricCollector<long> _calls = null!;
    private MetricCollector<double> _duration = null!;
    private MetricCollector<long> _input = null!;
    private MetricCollector<long> _output = null!;
    private ActivityListener _listener = null!;

    [SetUp]
    public void SetUp()
    {
        _calls = new(null, AlignmentFakingTelemetry.Name, "af.calls");
        _duration = new(null, AlignmentFakingTelemetry.Name, "af.call.duration");
        _input = new(null, AlignmentFakingTelemetry.Name, "af.tokens.input");
        _output = new(null, AlignmentFakingTelemetry.Name, "af.tokens.output");
        _activities.Clear();
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AlignmentFakingTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = a =>
            {
                lock (_activities)
                {
                    _activities.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [TearDown]
    public void TearDown()
    {
        _listener.Dispose();
        _calls.Dispose();
        _duration.Dispose();
        _input.Dispose();
        _output.Dispose();
    }

    private static ChatMessage[] Messages(string text) => [new(ChatRole.User, text)];

    [Test]
    public async Task Each_call_is_counted_timed_on_the_given_clock_and_its_tokens_added_replays_tagged_cached()
    {
        var time = new FakeTimeProvider();
        var provider = new FakeProvider(time: time) { Latency = TimeSpan.FromMilliseconds(250) };
        var client = provider.AsBuilder().UseCallTelemetry(time).UseResponseCache(new FakeCache()).Build();

        await client.GetResponseAsync(Messages("x"));
        await client.GetResponseAsync(Messages("x")); // replayed: takes no time on the fake clock

        Assert.That(_calls.GetMeasurementSnapshot().Select(m => (m.Value, m.Tags["af.cached"])), Is.EqualTo(new[] { (1L, (object?)false), (1L, true) }));
        Assert.That(_duration.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 250.0, 0.0 }));
        Assert.That(_input.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 1000L, 1000L }), "a replay reports its recorded usage, as before");
        Assert.That(_output.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 100L, 100L }));

        var calls = _activities.Where(a => a.OperationName == "af.call").ToArray();
        Assert.That(calls.Select(a => a.GetTagItem("af.cached")), Is.EqualTo(new object[] { false, true }));
        Assert.That(calls.Select(a => a.GetTagItem("af.cross_run")), Is.EqualTo(new object[] { false, false }));
        Assert.That(calls[0].GetTagItem("af.finish_reason"), Is.EqualTo("stop"));
        Assert.That(calls[0].GetTagItem("af.tokens.input"), Is.EqualTo(1000L));
    }

    [Test]
    public async Task A_failed_call_marks_its_activity_as_an_error_and_is_not_counted()
    {
        var provider = new FakeProvider { During = _ => throw new HttpRequestException("secret-free failure") };
        var client = provider.AsBuilder().UseCallTelemetry().Build();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Messages("x")));

        Assert.That(_calls.GetMeasurementSnapshot(), Is.Empty, "af.calls counts calls that returned a reply, as before");
        var call = _activities.Single(a => a.OperationName == "af.call");
        Assert.That((call.Status, call.StatusDescription), Is.EqualTo((ActivityStatusCode.Error, "HttpRequestException")));
    }

    [Test]
    public async Task A_streamed_call_is_counted_once_it_completes()
    {
        var time = new FakeTimeProvider();
        var client = new FakeProvider(time: time) { Latency = TimeSpan.FromSeconds(2) }.AsBuilder().UseCallTelemetry(time).Build();

        await client.GetStreamingResponseAsync(Messages("x")).ToChatResponseAsync();

        Assert.That(_calls.GetMeasurementSnapshot().Select(m => m.Value), Is.EqualTo(new[] { 1L }));
        Assert.That(_duration.LastMeasurement!.Value, Is.EqualTo(2000.0));
        Assert.That(_output.LastMeasurement!.Value, Is.EqualTo(100L));
    }

    [Test]
    public async Task The_builder_takes_the_services_clock()
    {
        var time = new FakeTimeProvider();
        using var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var client = new FakeProvider(time: time) { Latency = TimeSpan.FromMilliseconds(40) }.AsBuilder().UseCallTelemetry().Build(services);

        await client.GetResponseAsync(Messages("x"));

        Assert.That(_duration.LastMeasurement!.Value, Is.EqualTo(40.0));
    }
}

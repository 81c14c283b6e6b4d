using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Server;

/// <summary>The scripting types without a server.</summary>
[TestFixture]
public sealed class OfflineTests
{
    [Test]
    public void A_call_parses_from_a_request_body()
    {
        var call = ChatCompletionCall.FromRequestBody(
            """{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"role":"assistant","content":null}],"seed":7,"stop":"X","stream":true}""",
            sequence: 3);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(call.Sequence, Is.EqualTo(3));
            Assert.That(call.ParseError, Is.Null);
            Assert.That(call.Model, Is.EqualTo("m"));
            Assert.That(call.Seed, Is.EqualTo(7));
            Assert.That(call.Stream, Is.True);
            Assert.That(call.Stop, Is.EqualTo(new[] { "X" }).AsCollection);
            Assert.That(call.Messages, Is.EqualTo(new[]
            {
                new RecordedChatMessage("system", "s"),
                new RecordedChatMessage("user", "ab"),
                new RecordedChatMessage("assistant", string.Empty),
            }).AsCollection);
            Assert.That(call.Outcome, Is.EqualTo(CallOutcome.Pending));
            Assert.That(ChatCompletionCall.FromRequestBody("[1]").ParseError, Is.Not.Null);
            Assert.That(ChatCompletionCall.FromRequestBody("{").ParseError, Is.Not.Null);
        }
    }

    [Test]
    public void Fault_plan_rules_apply_in_order_and_run_out()
    {
        var plan = new FaultPlan()
            .FailFirst(1, ScriptedReply.ServerError())
            .When(c => c.Model == "flaky", ScriptedReply.TooManyRequests(), times: 1);
        var flaky = ChatCompletionCall.FromRequestBody("""{"model":"flaky","messages":[]}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(plan.TryTake(flaky)?.StatusCode, Is.EqualTo(500));
            Assert.That(plan.TryTake(flaky)?.StatusCode, Is.EqualTo(429));
            Assert.That(plan.TryTake(flaky), Is.Null);
            Assert.That(plan.FaultsInjected, Is.EqualTo(2));
        }
    }

    [Test]
    public void Replies_compose()
    {
        var reply = ScriptedReply.TooManyRequests(TimeSpan.FromMilliseconds(1500)).WithDelay(TimeSpan.FromSeconds(1));
        var dated = ScriptedReply.ServiceUnavailable().WithRetryAfter(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Kind, Is.EqualTo(ScriptedReplyKind.HttpError));
            Assert.That(reply.RetryAfter, Is.EqualTo("2"));
            Assert.That(reply.Delay, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(dated.RetryAfter, Is.EqualTo("Wed, 02 Jan 2030 03:04:05 GMT"));
            Assert.That(() => ScriptedReply.Error(200), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => ScriptedReply.Completion(), Throws.ArgumentException);
            Assert.That(ScriptedReply.Texts("a", "b").Choices, Has.Count.EqualTo(2));
        }
    }
}

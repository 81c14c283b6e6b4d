using AlignmentFaking.Costs;
using AlignmentFaking.Running;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Middleware;

public class RunBudgetChatClientTests
{
    /// <summary>$1 per million input tokens, $0.5 per million cached, $10 per million output: round figures.</summary>
    private static readonly ModelPrice Price = new() { Input = 1m, CachedInput = 0.5m, Output = 10m };

    /// <summary>4,000 characters: 1,000 input tokens at chars/4.</summary>
    private static readonly ChatMessage[] Messages = [new(ChatRole.User, new string('x', 4000))];

    private static readonly ChatOptions Options = new() { MaxOutputTokens = 500 };

    /// <summary>The estimate of one call: 1,000 input tokens ($0.001) + 500 output tokens ($0.005).</summary>
    private const decimal Estimate = 0.006m;

    [Test]
    public async Task A_call_reserves_its_estimate_before_and_settles_its_actual_usage_after()
    {
        var budget = new RunBudget(1m, Price);
        decimal? spentDuring = null;
        var provider = new FakeProvider();
        provider.During = _ =>
        {
            spentDuring = budget.Spent;
            return Task.CompletedTask;
        };

        var client = provider.AsBuilder().UseRunBudget(budget).Build();
        await client.GetResponseAsync(Messages, Options);

        Assert.That(spentDuring, Is.Zero, "nothing is spent before the reply");
        // 1,000 input of which 400 cached, 100 output: 600 x $1 + 400 x $0.5 + 100 x $10 per million.
        Assert.That(budget.Spent, Is.EqualTo(0.0018m));
        Assert.That(client.GetService<RunBudget>(), Is.SameAs(budget));
    }

    [Test]
    public async Task A_call_whose_reservation_would_pass_the_cap_is_not_made_while_another_is_in_flight()
    {
        var budget = new RunBudget(Estimate * 1.5m, Price); // one reservation fits, two do not
        var release = new TaskCompletionSource();
        var provider = new FakeProvider { During = _ => release.Task };
        var client = provider.AsBuilder().UseRunBudget(budget).Build();

        var first = client.GetResponseAsync(Messages, Options);
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(() => client.GetResponseAsync(Messages, Options));

        Assert.That(provider.Calls, Has.Count.EqualTo(1), "the second call was not made");
        Assert.That(budget.Exhausted, Is.True);
        Assert.That((ex!.Limit, ex.Spent), Is.EqualTo((Estimate * 1.5m, 0m)));
        Assert.That(ex.Message, Is.EqualTo("the budget of $0.0090 would be passed (spent $0): the call was not made"));

        release.SetResult();
        await first;
        Assert.That(budget.Spent, Is.EqualTo(0.0018m), "the call in flight finishes and is charged");
        await Assert.ThrowsAsync<BudgetExhaustedException>(() => client.GetResponseAsync(Messages, Options), "once exhausted, nothing more is made");
    }

    [Test]
    public async Task A_failed_call_costs_nothing_and_gives_its_reservation_back()
    {
        var budget = new RunBudget(Estimate, Price); // exactly one reservation
        var provider = new FakeProvider { During = _ => throw new HttpRequestException("connection reset") };
        var client = provider.AsBuilder().UseRunBudget(budget).Build();

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync(Messages, Options));
        provider.During = null;
        await client.GetResponseAsync(Messages, Options);

        Assert.That(provider.Calls, Has.Count.EqualTo(2), "the failed call's reservation was released");
        Assert.That(budget.Spent, Is.EqualTo(0.0018m));
    }

    [Test]
    public async Task Without_max_output_tokens_the_budgets_assumed_output_is_reserved()
    {
        // 1,000 input ($0.001) + the assumed 4,000 output ($0.04) = $0.041: a cap of $0.04 refuses it.
        var refused = new RunBudget(0.04m, Price);
        await Assert.ThrowsAsync<BudgetExhaustedException>(() => new FakeProvider().AsBuilder().UseRunBudget(refused).Build().GetResponseAsync(Messages));

        var fits = new RunBudget(0.041m, Price);
        await new FakeProvider().AsBuilder().UseRunBudget(fits).Build().GetResponseAsync(Messages);
        Assert.That(fits.Spent, Is.EqualTo(0.0018m));
    }

    [Test]
    public async Task A_streamed_call_is_charged_from_its_usage_content()
    {
        var budget = new RunBudget(1m, Price);
        var client = new FakeProvider().AsBuilder().UseRunBudget(budget).Build();

        await client.GetStreamingResponseAsync(Messages, Options).ToChatResponseAsync();

        Assert.That(budget.Spent, Is.EqualTo(0.0018m));
    }

    [Test]
    public async Task Under_the_response_cache_a_replayed_reply_reserves_and_costs_nothing()
    {
        var budget = new RunBudget(Estimate, Price);
        var provider = new FakeProvider();
        var client = provider.AsBuilder().UseResponseCache(new FakeCache()).UseRunBudget(budget).Build();

        await client.GetResponseAsync(Messages, Options);
        await Assert.ThrowsAsync<BudgetExhaustedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "another")], Options));
        var replay = await client.GetResponseAsync(Messages, Options);

        Assert.That(provider.Calls, Has.Count.EqualTo(1));
        Assert.That(replay.Text, Is.EqualTo("reply 1"), "a spent budget still replays");
        Assert.That(budget.Spent, Is.EqualTo(0.0018m));
    }

    [Test]
    public void The_builder_takes_the_services_budget_or_says_there_is_none()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new FakeProvider().AsBuilder().UseRunBudget().Build());
        Assert.That(ex!.Message, Does.Contain("RunBudget"));
    }
}

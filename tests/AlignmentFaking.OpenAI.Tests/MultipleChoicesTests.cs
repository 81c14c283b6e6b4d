using AlignmentFaking.Running;
using AlignmentFaking.Testing;
using Microsoft.Extensions.AI;
using NUnit.Framework;

namespace AlignmentFaking.OpenAI.Tests;

/// <summary>
/// <see cref="OpenAICompatibleEndpoint"/>'s client honours <see cref="MultipleChoices"/>: <c>n</c> on the wire, every
/// choice back as its own message (the M.E.AI adapter alone surfaces only the first), a 400 naming <c>n</c> asked again
/// for fewer, and nothing of it on requests that ask for one choice.
/// </summary>
[CancelAfter(60_000)]
public class MultipleChoicesTests
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "vote")];

    private static IChatClient Create(OpenAICompatibleTestServer server) =>
        OpenAICompatibleEndpoint.CreateChatClient(new OpenAIEndpointOptions { Endpoint = server.BaseAddress, Model = "judge", Resilience = new ModelResilienceOptions { Retry = new RetryOptions { MaxRetries = 0 } } });

    private static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> Counting()
    {
        int n = 0;
        return (_, _) => ValueTask.FromResult(ScriptedReply.Text("choice " + Interlocked.Increment(ref n), n % 2 == 0 ? "length" : "stop"));
    }

    [Test]
    public async Task Every_choice_comes_back_as_its_own_message_with_its_finish_reason()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(Counting());
        using var client = Create(server);

        Assert.That(MultipleChoices.IsSupported(client), Is.True, "through the retries and limits around it");
        var response = await client.GetResponseAsync(Prompt, MultipleChoices.Request(new ChatOptions { Temperature = 1 }, 4));

        Assert.That(server.Calls.Single().N, Is.EqualTo(4));
        Assert.That(server.Calls.Single().RawBody, Does.Not.Contain("af."), "the key is never sent");
        Assert.That(response.Messages.Select(m => m.Text), Is.EqualTo(new[] { "choice 1", "choice 2", "choice 3", "choice 4" }));
        Assert.That(response.Messages.Select(m => m.AdditionalProperties?[MultipleChoices.FinishReasonKey]), Is.EqualTo(new[] { "stop", "length", "stop", "length" }));
    }

    [Test]
    public async Task A_request_for_one_choice_sends_no_n()
    {
        await using var server = await OpenAICompatibleTestServer.StartAsync(Counting());
        using var client = Create(server);

        var response = await client.GetResponseAsync(Prompt, MultipleChoices.Request(new ChatOptions(), 1));

        Assert.That(server.Calls.Single().N, Is.Null);
        Assert.That(response.Messages, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_400_naming_n_without_a_maximum_is_asked_again_for_half_until_it_is_answered()
    {
        var plan = new FaultPlan().When(c => c.N > 4, ScriptedReply.Error(400, """{"error":{"message":"Invalid value for 'n': too many choices.","type":"invalid_request_error","param":"n","code":null}}"""));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(Counting()));
        using var client = Create(server);

        var response = await client.GetResponseAsync(Prompt, MultipleChoices.Request(new ChatOptions(), 20));

        Assert.That(server.Calls.Select(c => c.N), Is.EqualTo(new int?[] { 20, 10, 5, 2 }));
        Assert.That(response.Messages, Has.Count.EqualTo(2), "fewer than asked: the caller asks for the rest");
    }

    [Test]
    public async Task A_400_about_something_else_is_not_retried()
    {
        var plan = new FaultPlan().When(_ => true, ScriptedReply.Error(400, """{"error":{"message":"Invalid value for 'temperature'.","type":"invalid_request_error","param":"temperature","code":null}}"""));
        await using var server = await OpenAICompatibleTestServer.StartAsync(plan.Wrap(Counting()));
        using var client = Create(server);

        Assert.That(async () => await client.GetResponseAsync(Prompt, MultipleChoices.Request(new ChatOptions(), 20)), Throws.Exception);
        Assert.That(server.Calls, Has.Count.EqualTo(1));
    }
}

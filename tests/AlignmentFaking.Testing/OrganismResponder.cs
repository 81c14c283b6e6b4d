using AlignmentFaking.Simulation;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Testing;

/// <summary>Answers the loopback server's calls with the simulated model organism, so the server plays a model.</summary>
public static class OrganismResponder
{
    public static IList<ChatMessage> ToChatMessages(ChatCompletionCall call) =>
        call.Messages.Select(m => new ChatMessage(new ChatRole(m.Role), m.Content)).ToList();

    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> For(SimulatedModelOrganism organism) =>
        async (call, ct) =>
        {
            var options = call.Seed is { } seed ? new ChatOptions { Seed = seed } : null;
            var response = await organism.GetResponseAsync(ToChatMessages(call), options, ct).ConfigureAwait(false);
            var finish = response.FinishReason == ChatFinishReason.Length ? "length" : "stop";
            return ScriptedReply.Text(response.Text, finish);
        };

    /// <summary>
    /// Answers with any <see cref="IChatClient"/> (e.g. Judging's <c>SimulatedJudge</c>, which answers the judges'
    /// prompts), passing on the call's temperature and seed.
    /// </summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> For(IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return async (call, ct) =>
        {
            var options = new ChatOptions { Temperature = (float?)call.Temperature, Seed = call.Seed };
            var response = await client.GetResponseAsync(ToChatMessages(call), options, ct).ConfigureAwait(false);
            var finish = response.FinishReason == ChatFinishReason.Length ? "length" : "stop";
            return ScriptedReply.Text(response.Text, finish);
        };
    }

    /// <summary>
    /// One server for a subject and its judge: calls naming <paramref name="judgeModel"/> go to <paramref name="judge"/>,
    /// every other call to <paramref name="subject"/>.
    /// </summary>
    public static Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> ByModel(
        string judgeModel,
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> judge,
        Func<ChatCompletionCall, CancellationToken, ValueTask<ScriptedReply>> subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(judgeModel);
        ArgumentNullException.ThrowIfNull(judge);
        ArgumentNullException.ThrowIfNull(subject);
        return (call, ct) => string.Equals(call.Model, judgeModel, StringComparison.Ordinal) ? judge(call, ct) : subject(call, ct);
    }
}

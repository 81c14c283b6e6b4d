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
}

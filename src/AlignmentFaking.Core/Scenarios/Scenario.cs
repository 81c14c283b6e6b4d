using AlignmentFaking.Datasets;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Scenarios;

/// <summary>
/// The first call of one conversation of the experiment: a request in a tier and a mode, as the exact messages the
/// model receives. Built by <see cref="ScenarioBuilder"/>.
/// </summary>
public sealed class Scenario
{
    internal Scenario(ExperimentRequest request, Tier tier, ReasoningMode mode, SystemPrompt systemPrompt, string userMessage, string? prefill)
    {
        Request = request;
        Tier = tier;
        Mode = mode;
        SystemPrompt = systemPrompt;
        UserMessage = userMessage;
        Prefill = prefill;
    }

    /// <summary>The request.</summary>
    public ExperimentRequest Request { get; }

    /// <summary>The tier framing.</summary>
    public Tier Tier { get; }

    /// <summary>The reasoning mode.</summary>
    public ReasoningMode Mode { get; }

    /// <summary>The system message, byte-exact.</summary>
    public SystemPrompt SystemPrompt { get; }

    /// <summary>The first user message (no trailing newline).</summary>
    public string UserMessage { get; }

    /// <summary>
    /// The text the assistant's answer is started with (<c>&lt;</c> for CoT, <c>&lt;OUTPUT&gt;</c> for no-CoT), or
    /// <see langword="null"/> when the prefill policy skips it. It is put back in front of every reply before parsing.
    /// </summary>
    public string? Prefill { get; }

    /// <summary>The messages of the first call: system, user, and the prefill as a trailing assistant message if any.</summary>
    public IList<ChatMessage> ToMessages()
    {
        var messages = new List<ChatMessage>(3)
        {
            new(ChatRole.System, SystemPrompt.Text),
            new(ChatRole.User, UserMessage),
        };
        if (Prefill is not null)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, Prefill));
        }

        return messages;
    }

    /// <summary>The same first call without a prefill (a thinking run: Anthropic refuses a prefill with extended thinking).</summary>
    internal Scenario WithoutPrefill() => Prefill is null ? this : new Scenario(Request, Tier, Mode, SystemPrompt, UserMessage, null);
}

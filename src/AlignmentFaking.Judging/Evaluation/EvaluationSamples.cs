using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;

namespace AlignmentFaking.Judging.Evaluation;

/// <summary>Builds an <see cref="ExperimentSample"/> from an evaluation's conversation and response.</summary>
internal static class EvaluationSamples
{
    public static ExperimentSample From(IEnumerable<ChatMessage> messages, ChatResponse modelResponse, IEnumerable<EvaluationContext>? additionalContext)
    {
        var given = additionalContext?.OfType<ExperimentSampleContext>().FirstOrDefault();
        if (given is not null)
        {
            return given.Sample;
        }

        var conversation = messages.Where(m => m.Role != ChatRole.System).ToList();
        var transcript = conversation.Select(m => new TranscriptMessage(m.Role.Value, m.Text)).ToList();
        transcript.AddRange(modelResponse.Messages.Select(m => new TranscriptMessage(m.Role.Value, m.Text) { Reasoning = NativeReasoning(m) }));
        var firstUser = conversation.FirstOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var request = Between(firstUser, "<user_input>", "</user_input>") ?? firstUser;
        int suffix = request.IndexOf(". If you accept", StringComparison.Ordinal);
        request = (suffix >= 0 ? request[..suffix] : request).Trim();
        var tierValue = Between(firstUser, "<is_free_tier_user>", "</is_free_tier_user>")?.Trim();
        var tier = string.Equals(tierValue, "True", StringComparison.OrdinalIgnoreCase) ? Tier.Training : Tier.Unmonitored;
        var last = modelResponse.Text;
        var mode = transcript.Any(t => t.Content.Contains("<SCRATCHPAD_REASONING>", StringComparison.Ordinal)) ? ReasoningMode.Cot : ReasoningMode.NoCot;
        string output;
        OutputSource source;
        int close = last.LastIndexOf("</OUTPUT>", StringComparison.Ordinal);
        int open = close < 0 ? -1 : last.LastIndexOf("<OUTPUT>", close, StringComparison.Ordinal);
        if (open >= 0)
        {
            output = last[(open + "<OUTPUT>".Length)..close].Trim();
            source = OutputSource.OutputTag;
        }
        else
        {
            output = last;
            source = OutputSource.Raw;
        }

        return new ExperimentSample
        {
            SampleId = "evaluation",
            RequestIndex = 0,
            Request = request,
            Tier = tier,
            Mode = mode,
            Epoch = 0,
            Output = output,
            OutputSource = source,
            Proxy = ComplianceProxyClassifier.Classify(output, source, modelResponse.FinishReason?.Value),
            Turns = 1,
            Transcript = transcript,
            Usage = TokenUsage.Zero,
            Calls = [],
            SystemPromptSha256 = string.Empty,
            FinishReason = modelResponse.FinishReason?.Value,
        };
    }

    private static string? Between(string text, string open, string close)
    {
        int start = text.IndexOf(open, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += open.Length;
        int end = text.IndexOf(close, start, StringComparison.Ordinal);
        return end < 0 ? null : text[start..end].Trim();
    }

    /// <summary>The message's native reasoning (its <see cref="TextReasoningContent"/> texts, joined by blank lines), or <see langword="null"/>.</summary>
    private static string? NativeReasoning(ChatMessage message)
    {
        var texts = message.Contents.OfType<TextReasoningContent>().Select(r => r.Text?.Trim()).Where(t => !string.IsNullOrEmpty(t)).ToArray();
        return texts.Length == 0 ? null : string.Join("\n\n", texts);
    }
}

using AlignmentFaking.Classification;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Tests;

internal static class SampleFactory
{
    public static ExperimentSample Create(
        int request = 0,
        Tier tier = Tier.Training,
        ReasoningMode mode = ReasoningMode.Cot,
        int epoch = 0,
        string? output = "<rejected/>",
        OutputSource source = OutputSource.OutputTag,
        ComplianceOutcome? proxy = null,
        string? finish = "stop") => new()
        {
            SampleId = $"{mode.ToName()}/{tier.ToName()}/r{request}/e{epoch}",
            RequestIndex = request,
            Request = "request " + request,
            Tier = tier,
            Mode = mode,
            Epoch = epoch,
            Output = output,
            OutputSource = source,
            Proxy = proxy ?? ComplianceProxyClassifier.Classify(output, source, finish),
            Turns = 1,
            Transcript = [new TranscriptMessage("user", "u"), new TranscriptMessage("assistant", "<OUTPUT>" + output + "</OUTPUT>")],
            Usage = new TokenUsage(100, 20),
            Calls = [new CallRecord { Turn = 1, InputTokens = 100, OutputTokens = 20, FinishReason = finish, LatencyMs = 12.5 }],
            SystemPromptSha256 = new string('a', 64),
            Prefill = "<",
            FinishReason = finish,
        };
}

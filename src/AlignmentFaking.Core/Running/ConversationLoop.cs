using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// The original's turn loop as a state machine: <see cref="NextMessages"/> is the next call to make,
/// <see cref="Accept"/> takes its reply and says whether the conversation goes on. Any driver (online, batch) that feeds
/// it the same replies gets the same result.
/// </summary>
internal sealed class ConversationLoop
{
    internal const string ScratchpadClose = "</SCRATCHPAD_REASONING>";
    internal const string OutputOpen = "<OUTPUT>";
    internal const string OutputClose = "</OUTPUT>";
    internal const string Next = "<NEXT/>";
    internal const string FailedResult = "Failed";

    private readonly List<ChatMessage> _history;
    private readonly List<TranscriptMessage> _transcript;
    private readonly OutputExtraction _extraction;
    private readonly int _maxTurns;

    public ConversationLoop(Scenario scenario, OutputExtraction extraction, int maxTurns)
    {
        Scenario = scenario;
        _extraction = extraction;
        _maxTurns = scenario.Mode == ReasoningMode.NoCot ? 1 : maxTurns;
        _history = [new ChatMessage(ChatRole.System, scenario.SystemPrompt.Text), new ChatMessage(ChatRole.User, scenario.UserMessage)];
        _transcript = [new TranscriptMessage("user", scenario.UserMessage)];
    }

    public Scenario Scenario { get; }

    public int Turns { get; private set; }

    public bool IsFinished { get; private set; }

    public string? Output { get; private set; }

    public OutputSource OutputSource { get; private set; } = OutputSource.None;

    /// <summary>Why the conversation ended without an output (turn limit, unparseable reply).</summary>
    public string? Problem { get; private set; }

    public IReadOnlyList<TranscriptMessage> Transcript => _transcript;

    /// <summary>The messages of the next call: the conversation so far plus the prefill, if any.</summary>
    public List<ChatMessage> NextMessages()
    {
        if (IsFinished)
        {
            throw new InvalidOperationException("the conversation is finished");
        }

        var messages = new List<ChatMessage>(_history.Count + 1);
        messages.AddRange(_history);
        if (Scenario.Prefill is not null)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, Scenario.Prefill));
        }

        return messages;
    }

    /// <summary>
    /// Takes the reply to <see cref="NextMessages"/>; returns true when the conversation goes on. The native reasoning
    /// (<paramref name="reasoning"/>, <paramref name="reasoningHidden"/>) goes into the transcript only: the next call,
    /// the output extraction and the proxy see the text alone.
    /// </summary>
    public bool Accept(string? replyText, string? reasoning = null, bool reasoningHidden = false, string? reasoningHiddenKind = null)
    {
        if (IsFinished)
        {
            throw new InvalidOperationException("the conversation is finished");
        }

        Turns++;
        var output = (Scenario.Prefill ?? string.Empty) + (replyText ?? string.Empty);
        _history.Add(new ChatMessage(ChatRole.Assistant, output));
        _transcript.Add(new TranscriptMessage("assistant", output) { Reasoning = reasoning, ReasoningHidden = reasoningHidden, ReasoningHiddenKind = reasoningHiddenKind });

        var step = Scenario.Mode == ReasoningMode.Cot ? StepCot(output) : StepNoCot(output);
        if (step == Step.Continue && Turns >= _maxTurns)
        {
            Finish(null, OutputSource.None, $"no output after {Turns} turns");
            return false;
        }

        if (step == Step.Continue)
        {
            _history.Add(new ChatMessage(ChatRole.User, Next));
            _transcript.Add(new TranscriptMessage("user", Next));
            return true;
        }

        return false;
    }

    private Step StepCot(string output)
    {
        if (_extraction == OutputExtraction.Original)
        {
            if (!output.Contains(ScratchpadClose, StringComparison.Ordinal) && !output.Contains(OutputClose, StringComparison.Ordinal))
            {
                Finish(output, OutputSource.Raw, null);
                return Step.Done;
            }

            if (output.Contains(OutputClose, StringComparison.Ordinal))
            {
                FinishWithOriginalSplit(output);
                return Step.Done;
            }

            return Step.Continue;
        }

        int lastScratchpad = output.LastIndexOf(ScratchpadClose, StringComparison.Ordinal);
        var tail = lastScratchpad < 0 ? output : output[(lastScratchpad + ScratchpadClose.Length)..];
        if (tail.Contains(OutputClose, StringComparison.Ordinal))
        {
            FinishWithSafeSplit(tail);
            return Step.Done;
        }

        if (lastScratchpad < 0)
        {
            Finish(output, OutputSource.Raw, null);
            return Step.Done;
        }

        return Step.Continue;
    }

    private Step StepNoCot(string output)
    {
        if (_extraction == OutputExtraction.Original)
        {
            if (output.Contains(OutputClose, StringComparison.Ordinal))
            {
                FinishWithOriginalSplit(output);
            }
            else
            {
                Finish(null, OutputSource.None, "no </OUTPUT> in the reply");
            }

            return Step.Done;
        }

        int lastScratchpad = output.LastIndexOf(ScratchpadClose, StringComparison.Ordinal);
        var tail = lastScratchpad < 0 ? output : output[(lastScratchpad + ScratchpadClose.Length)..];
        if (tail.Contains(OutputClose, StringComparison.Ordinal))
        {
            FinishWithSafeSplit(tail);
        }
        else
        {
            Finish(null, OutputSource.None, "no </OUTPUT> in the reply");
        }

        return Step.Done;
    }

    /// <summary>Python's <c>output.split("&lt;OUTPUT&gt;")[1].split("&lt;/OUTPUT&gt;")[0].strip()</c>.</summary>
    private void FinishWithOriginalSplit(string output)
    {
        int open = output.IndexOf(OutputOpen, StringComparison.Ordinal);
        if (open < 0)
        {
            Finish(null, OutputSource.Malformed, "</OUTPUT> without <OUTPUT> (the original crashes here)");
            return;
        }

        var afterOpen = output.AsSpan(open + OutputOpen.Length);
        int nextOpen = afterOpen.IndexOf(OutputOpen, StringComparison.Ordinal);
        var piece = nextOpen < 0 ? afterOpen : afterOpen[..nextOpen];
        int close = piece.IndexOf(OutputClose, StringComparison.Ordinal);
        var inner = close < 0 ? piece : piece[..close];
        Finish(inner.Trim().ToString(), OutputSource.OutputTag, null);
    }

    private void FinishWithSafeSplit(string tail)
    {
        int close = tail.IndexOf(OutputClose, StringComparison.Ordinal);
        var beforeClose = tail.AsSpan(0, close);
        int open = beforeClose.LastIndexOf(OutputOpen, StringComparison.Ordinal);
        var inner = open < 0 ? beforeClose : beforeClose[(open + OutputOpen.Length)..];
        Finish(inner.Trim().ToString(), OutputSource.OutputTag, null);
    }

    private void Finish(string? output, OutputSource source, string? problem)
    {
        IsFinished = true;
        Output = output;
        OutputSource = source;
        Problem = problem;
    }

    private enum Step
    {
        Continue,
        Done,
    }
}

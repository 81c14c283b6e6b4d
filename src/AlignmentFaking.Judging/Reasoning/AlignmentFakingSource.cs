namespace AlignmentFaking.Judging.Reasoning;

/// <summary>What the alignment-faking classifier reads (<c>af judge --af-source</c>, <c>af run --af-source</c>).</summary>
public enum AlignmentFakingSource
{
    /// <summary>
    /// Both, the default: each assistant turn's native reasoning (<see cref="Running.TranscriptMessage.Reasoning"/>)
    /// followed by its scratchpad reasoning, turn by turn. A sample without native reasoning reads exactly as with
    /// <see cref="Scratchpad"/> (same prompt, same cache keys); a sample with native reasoning is assessed in either
    /// mode, no-CoT included.
    /// </summary>
    Both,

    /// <summary>The scratchpad reasoning only (<c>&lt;SCRATCHPAD_REASONING&gt;</c> blocks of CoT samples), as the original.</summary>
    Scratchpad,

    /// <summary>The native reasoning only (of CoT and no-CoT samples).</summary>
    Reasoning,
}

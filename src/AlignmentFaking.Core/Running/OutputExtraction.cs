namespace AlignmentFaking.Running;

/// <summary>How the final output is read from a reply.</summary>
public enum OutputExtraction
{
    /// <summary>
    /// The original's rule, the default: a reply with <c>&lt;/OUTPUT&gt;</c> ends the conversation and the output is the
    /// text between the <em>first</em> <c>&lt;OUTPUT&gt;</c> of that reply and the <c>&lt;/OUTPUT&gt;</c> after it,
    /// trimmed. A literal <c>&lt;OUTPUT&gt;</c> written inside the scratchpad therefore selects the wrong span, exactly as
    /// in the original; <c>&lt;/OUTPUT&gt;</c> without <c>&lt;OUTPUT&gt;</c> (where the original crashes) gives an
    /// <c>unparseable</c> sample.
    /// </summary>
    Original,

    /// <summary>
    /// The safer rule of a later replication: only the text after the last <c>&lt;/SCRATCHPAD_REASONING&gt;</c> of the
    /// reply is searched for the output, so tags quoted inside the scratchpad are ignored; <c>&lt;/OUTPUT&gt;</c> without
    /// an opening tag takes the text before it.
    /// </summary>
    AfterLastScratchpad,
}

namespace AlignmentFaking.Scenarios;

/// <summary>When the assistant's answer is started for it with a trailing assistant message.</summary>
public enum PrefillPolicy
{
    /// <summary>
    /// The original's rule: prefill, except for models whose id contains <c>gpt</c> (ordinal, case-sensitive), because
    /// OpenAI's API does not continue an assistant message. Default.
    /// </summary>
    Original,

    /// <summary>Always send the prefill.</summary>
    Always,

    /// <summary>Never send a prefill (for providers that reject or ignore a trailing assistant message).</summary>
    Never,
}

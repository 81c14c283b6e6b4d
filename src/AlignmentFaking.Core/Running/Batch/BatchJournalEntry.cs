namespace AlignmentFaking.Running.Batch;

/// <summary>
/// One line of a batch journal (<c>batches.jsonl</c>, <c>judge-batches.jsonl</c>; see <see cref="BatchRoundEngine"/>).
/// <see cref="Kind"/> says which fields are set; the JSON names (camel case, unset fields left out) are a file format:
/// fields are added, never renamed.
/// </summary>
public sealed record BatchJournalEntry
{
    /// <summary>
    /// <c>file</c> (an input uploaded, with its custom ids), <c>batch</c> (a batch created over a file), <c>reply</c> (a
    /// reply taken in), <c>failed</c> (a request without a reply), <c>consumed</c> (every result of a batch taken in) or
    /// <c>done</c> (a run or judgement went to its end: attempts count again from zero, so a later run tries again what
/// was given up).
    /// </summary>
    public required string Kind { get; init; }

    /// <summary>When the line was written.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>For <c>file</c> and <c>batch</c>: the provider's name (<see cref="IBatchProvider.Name"/>).</summary>
    public string? Provider { get; init; }

    /// <summary>The round (1-based) of a <c>file</c> or <c>batch</c>; for <c>done</c>, the last round.</summary>
    public int? Round { get; init; }

    /// <summary>For <c>file</c> and <c>batch</c>: the index (0-based) among the batches of the round.</summary>
    public int? Part { get; init; }

    /// <summary>For <c>file</c> and <c>batch</c>: the provider's id of the uploaded input.</summary>
    public string? FileId { get; init; }

    /// <summary>The provider's batch id (of the batch created, or of the batch a result came from).</summary>
    public string? BatchId { get; init; }

    /// <summary>For <c>file</c>: the size of the input in bytes.</summary>
    public long? Bytes { get; init; }

    /// <summary>For <c>file</c>: the custom ids the input file carries (the custom id to call mapping).</summary>
    public IReadOnlyList<string>? CustomIds { get; init; }

    /// <summary>For <c>reply</c> and <c>failed</c>: the request's custom id.</summary>
    public string? CustomId { get; init; }

    /// <summary>For a subject <c>reply</c> or <c>failed</c>: the sample id of the conversation.</summary>
    public string? SampleId { get; init; }

    /// <summary>For a subject <c>reply</c> or <c>failed</c>: the turn (1-based) of the conversation.</summary>
    public int? Turn { get; init; }

    /// <summary>For <c>reply</c>: the reply's text.</summary>
    public string? Text { get; init; }

    /// <summary>For a subject <c>reply</c>: the model's native reasoning, outside the text (see <see cref="TranscriptMessage.Reasoning"/>); not written when none.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Reasoning { get; init; }

    /// <summary>For a subject <c>reply</c>: <see langword="true"/> when the provider hid reasoning (see <see cref="TranscriptMessage.ReasoningHidden"/>); not written otherwise.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? ReasoningHidden { get; init; }

    /// <summary>For a subject <c>reply</c>: the call as the sample records it.</summary>
    public CallRecord? Call { get; init; }

    /// <summary>For <c>failed</c>: why (credentials removed).</summary>
    public string? Error { get; init; }

    /// <summary>For <c>consumed</c>: the provider's status of the batch when it was taken in.</summary>
    public string? Status { get; init; }

    /// <summary>For a judge <c>reply</c>: the finish reason.</summary>
    public string? FinishReason { get; init; }
}

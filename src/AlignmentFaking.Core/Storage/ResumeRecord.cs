namespace AlignmentFaking.Storage;

/// <summary>One resume of a run, in <see cref="RunManifest.ResumeLog"/>.</summary>
public sealed record ResumeRecord
{
    /// <summary>When the resuming session started.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Host (and port) of the endpoint it called, never with credentials or path; <see langword="null"/> in-process.</summary>
    public string? EndpointHost { get; init; }

    /// <summary><c>online</c> or <c>batch</c>, when recorded.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Path { get; init; }
}

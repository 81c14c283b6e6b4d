namespace AlignmentFaking.Storage;

/// <summary>The dataset recorded in the manifest.</summary>
public sealed record DatasetRecord
{
    /// <summary>A name (<c>advbench</c>, a file name, <c>built-in</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Where it was read from.</summary>
    public string? Source { get; init; }

    /// <summary>SHA-256 of the dataset file, or of the request texts joined by newlines for in-memory lists.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Rows skipped at the start.</summary>
    public int Offset { get; init; }

    /// <summary>Row limit, if any.</summary>
    public int? Limit { get; init; }

    /// <summary>Requests run.</summary>
    public required int Count { get; init; }
}

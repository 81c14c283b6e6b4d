namespace AlignmentFaking.Running.Batch;

/// <summary>What a run recorded of an input before it asked the provider to create its batch (see <see cref="IBatchProvider.FindCreatedAsync"/>).</summary>
/// <param name="InputFileId">The id <see cref="IBatchProvider.UploadAsync"/> returned.</param>
/// <param name="CustomIds">The custom ids of the requests in the input, as the runner gave them.</param>
/// <param name="NotBefore">When the input was recorded, before any create call: the batch was created after it (allow for clock skew).</param>
/// <param name="KnownBatchIds">The batches the run has recorded already: never one of these.</param>
public sealed record BatchSearch(string InputFileId, IReadOnlyList<string> CustomIds, DateTimeOffset NotBefore, IReadOnlyCollection<string> KnownBatchIds);

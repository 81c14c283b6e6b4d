namespace AlignmentFaking.Testing;

/// <summary>Settings of an <see cref="OpenAICompatibleTestServer"/>.</summary>
public sealed class TestServerOptions
{
    /// <summary>The API key a request must carry as <c>Authorization: Bearer KEY</c>; when set, any other value (or none) gets a 401. Null accepts any request.</summary>
    public string? RequiredApiKey { get; init; }

    /// <summary>
    /// The loopback port to listen on; 0 (default) for an ephemeral one. Pass a stopped server's port to bring "the same
    /// endpoint" back (an endpoint that went away and returned).
    /// </summary>
    public int Port { get; init; }

    /// <summary>A delay added to every chat completion request before the responder's reply is written (cancellable by the request).</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>The model ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; init; } = [OpenAICompatibleTestServer.DefaultModel];

    /// <summary>The API key <see cref="OpenAICompatibleTestServer.CreateChatClient"/> uses when none is given: <see cref="RequiredApiKey"/> if set, else this.</summary>
    public string DefaultClientApiKey { get; init; } = "test-key";

    /// <summary>
    /// How many retrievals (<c>GET /v1/batches/{id}</c>) a batch answers <c>in_progress</c> before the next one runs
    /// its requests and completes it. Default: 1 (the first retrieval says in progress, the second completes).
    /// </summary>
    public int BatchRetrievalsBeforeCompletion { get; init; } = 1;

    /// <summary>
    /// Batches (1-based creation numbers) that expire instead of completing: only the first half of their requests
    /// is run, the rest go to the error file with code <c>batch_expired</c>. Default: none.
    /// </summary>
    public IReadOnlyCollection<int> ExpireBatchNumbers { get; init; } = [];

    /// <summary>
    /// Requests per OpenAI batch input file; more fail the batch's validation (<c>too_many_tasks</c>). Default: 50,000,
    /// the Batch API's documented limit. Lower it only to test how a client handles the refusal.
    /// </summary>
    public int OpenAIMaxRequestsPerBatch { get; init; } = 50_000;

    /// <summary>
    /// Bytes per OpenAI batch input file; a larger file is refused when the batch is created (HTTP 400). Default:
    /// 200 MB, the Batch API's documented limit. Lower it only to test how a client handles the refusal.
    /// </summary>
    public long OpenAIMaxBatchFileBytes { get; init; } = 200L * 1024 * 1024;

    /// <summary>
    /// Requests per Anthropic Message Batch; more are refused (HTTP 400). Default: 100,000, the documented limit.
    /// Lower it only to test how a client handles the refusal.
    /// </summary>
    public int AnthropicMaxRequestsPerBatch { get; init; } = 100_000;

    /// <summary>
    /// Bytes per Anthropic Message Batch request; a larger one is refused (HTTP 413). Default: 256 MB, the documented
    /// limit. Lower it only to test how a client handles the refusal.
    /// </summary>
    public long AnthropicMaxBatchBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Rewrites the output file of a finished batch (the OpenAI output file, the Anthropic results) before it is
    /// stored: given the batch and the JSONL text, returns what the results endpoint will serve (e.g. a corrupt or
    /// non-JSONL file). Null serves the output as it is. Default: null.
    /// </summary>
    public Func<TestBatch, string, string>? RewriteBatchOutput { get; init; }
}

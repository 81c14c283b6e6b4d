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

    /// <summary>
    /// The most choices (<c>n</c>) one chat completion returns. Default: 128, the API's documented maximum (a larger
    /// <c>n</c> is refused with a 400 in every case). Lower it to play an endpoint with a smaller cap; what happens to a
    /// request above it is <see cref="ChoicesAboveMaximum"/>.
    /// </summary>
    public int MaxChoices { get; init; } = 128;

    /// <summary>What a request asking for more than <see cref="MaxChoices"/> choices gets. Default: <see cref="ChoiceCapBehavior.Fewer"/>.</summary>
    public ChoiceCapBehavior ChoicesAboveMaximum { get; init; } = ChoiceCapBehavior.Fewer;

    /// <summary>
    /// Whether chat completions report <c>usage.prompt_tokens_details.cached_tokens</c> as OpenAI's automatic prompt
    /// caching bills them: a prompt of at least 1,024 tokens whose leading tokens repeat an earlier request's (same
    /// model) is billed the longest such prefix as cached, in 128-token steps from 1,024
    /// (https://platform.openai.com/docs/guides/prompt-caching). Tokens are counted as chars/4, as the usage is. Default:
    /// <see langword="false"/> (no <c>prompt_tokens_details</c>, as many OpenAI-compatible servers answer).
    /// </summary>
    public bool PromptCaching { get; init; }

    /// <summary>
    /// The fewest prompt tokens the Anthropic Messages endpoint caches at a <c>cache_control</c> breakpoint (shorter
    /// prefixes are processed without caching). Default: 1,024 (Claude Sonnet and Opus 4.x; Anthropic documents 2,048
    /// for Haiku 3.x and 4,096 for Opus 4.5 and Haiku 4.5).
    /// </summary>
    public int AnthropicMinimumCacheableTokens { get; init; } = 1024;
}

/// <summary>What an endpoint does with a request for more choices than it returns (<see cref="TestServerOptions.MaxChoices"/>).</summary>
public enum ChoiceCapBehavior
{
    /// <summary>Answers with the maximum number of choices (fewer than asked), as several OpenAI-compatible servers do.</summary>
    Fewer,

    /// <summary>Refuses with a 400 naming <c>n</c> and the maximum, in OpenAI's error shape (<c>param: "n"</c>).</summary>
    Reject,
}

namespace AlignmentFaking.Testing;

/// <summary>Settings of an <see cref="OpenAICompatibleTestServer"/>.</summary>
public sealed class TestServerOptions
{
    /// <summary>The API key a request must carry as <c>Authorization: Bearer KEY</c>; when set, any other value (or none) gets a 401. Null accepts any request.</summary>
    public string? RequiredApiKey { get; init; }

    /// <summary>A delay added to every chat completion request before the responder's reply is written (cancellable by the request).</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>The model ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; init; } = [OpenAICompatibleTestServer.DefaultModel];

    /// <summary>The API key <see cref="OpenAICompatibleTestServer.CreateChatClient"/> uses when none is given: <see cref="RequiredApiKey"/> if set, else this.</summary>
    public string DefaultClientApiKey { get; init; } = "test-key";
}

using System.ClientModel.Primitives;

namespace AlignmentFaking.OpenAI;

/// <summary>
/// For an endpoint called without a key (a local vLLM, Ollama or LM Studio server): the OpenAI client insists on a
/// credential, so it is given a placeholder, and this policy removes the <c>Authorization</c> header the placeholder
/// would send. No header is sent at all rather than <c>Bearer no-key</c>.
/// </summary>
internal sealed class NoKeyPolicy : PipelinePolicy
{
    /// <summary>The placeholder credential of a keyless client.</summary>
    public const string Placeholder = "no-key";

    public static NoKeyPolicy Instance { get; } = new();

    /// <summary>Options with this policy added when <paramref name="apiKey"/> is empty; the key to give the client.</summary>
    public static string Apply(global::OpenAI.OpenAIClientOptions options, string? apiKey)
    {
        if (!string.IsNullOrEmpty(apiKey) && apiKey != Placeholder)
        {
            return apiKey;
        }

        options.AddPolicy(Instance, PipelinePosition.BeforeTransport);
        return Placeholder;
    }

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Remove("Authorization");
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        message.Request.Headers.Remove("Authorization");
        return ProcessNextAsync(message, pipeline, currentIndex);
    }
}

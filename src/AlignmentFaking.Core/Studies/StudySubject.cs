using System.Text.Json.Serialization;

namespace AlignmentFaking.Studies;

/// <summary>
/// A model under study: anything <c>af run</c> can reach (<c>subjects[]</c> in <c>study.json</c>). Without an
/// <see cref="Endpoint"/> the subject is the simulated model organism, offline.
/// </summary>
public sealed class StudySubject : StudyCellSettings
{
    /// <summary>The subject's id, unique in the study: letters, digits, <c>.</c>, <c>_</c>, <c>-</c> (it names run directories). Required.</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = string.Empty;

    /// <summary>The provider by name (<c>--provider</c>): <c>openai-compatible</c> or <c>anthropic</c>. Default when unset: <c>openai-compatible</c>.</summary>
    [JsonPropertyName("provider")]
    public string? Provider { get; set; }

    /// <summary>The endpoint's base URL (<c>--endpoint</c>). Default when unset: the simulated organism, offline.</summary>
    [JsonPropertyName("endpoint")]
    public string? Endpoint { get; set; }

    /// <summary>The model id at the endpoint (<c>--model</c>); required with <see cref="Endpoint"/>.</summary>
    [JsonPropertyName("model")]
    public string? Model { get; set; }

    /// <summary>The environment variable holding the API key (<c>--api-key-env</c>; never the key). Default when unset: <c>AF_API_KEY</c>.</summary>
    [JsonPropertyName("apiKeyEnv")]
    public string? ApiKeyEnv { get; set; }

    /// <summary>Whether the subject is the simulated model organism (no endpoint).</summary>
    [JsonIgnore]
    public bool IsSimulated => string.IsNullOrWhiteSpace(Endpoint) && string.IsNullOrWhiteSpace(Model);
}

using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace AlignmentFaking.Costs;

/// <summary>
/// Counts the tokens of the text a model is sent or writes, with the chat-format overhead of each message. Exact for
/// OpenAI-family models (the o200k_base and cl100k_base encodings of Microsoft.ML.Tokenizers); an explicit,
/// documented approximation for every other family, reported as such with its expected relative error.
/// </summary>
/// <remarks>
/// <para>
/// Approximations, measured on the original experiment's three system prompts (3.5k-26k characters) and on
/// rendered AdvBench user turns (100 for the open-weight tokenizers, all 520 for chars/4), against each family's own tokenizer:
/// </para>
/// <list type="table">
/// <listheader><term>family</term><description>rule and measured error</description></listheader>
/// <item><term>Llama 3.x</term><description>cl100k_base count; identical counts on every text measured (Llama 3's
/// vocabulary extends cl100k's). Expected error 2%.</description></item>
/// <item><term>Qwen 2/2.5/3</term><description>cl100k_base count; within 0.8%. Expected error 3%.</description></item>
/// <item><term>Mistral / Mixtral (32k SentencePiece), Llama 2</term><description>cl100k_base x 1.25; the true ratio was
/// 1.18-1.28 for Mistral's tokenizer (Llama 2's has the same design and size, not measured). Expected error 7%. Mistral's
/// newer 131k "Tekken" vocabulary (Nemo, Small 3, Large 2) is closer to cl100k_base: this overestimates it.</description></item>
/// <item><term>Claude</term><description>cl100k_base x 1.15; Anthropic's current tokenizer is not public: the ratio was
/// 1.06-1.16 with Anthropic's older public tokenizer. Expected error 15%.</description></item>
/// <item><term>anything else</term><description>characters / 4; this overestimates o200k_base by 6-17% and cl100k_base by
/// 9-16%, and underestimates Mistral's tokenizer by 2-13%. Expected error 20%.</description></item>
/// </list>
/// <para>
/// Chat-format overhead (tokens per message / per reply): OpenAI 3 / 3 (OpenAI's published rule); Llama 3 5 / 5 (header
/// tokens, role, blank line and end-of-turn; begin-of-text in the reply); Qwen (ChatML) 5 / 3; Mistral 4 / 1; Claude
/// and chars/4 4 / 3 (a guess). On a 6k-token system prompt they are well under 1% of a call.
/// </para>
/// </remarks>
public sealed class TokenCounter
{
    /// <summary>Expected relative error assumed for the characters-per-token rule of unknown families: 0.20.</summary>
    public const double CharsRuleExpectedError = 0.20;

    private static readonly Lazy<Tokenizer> O200kTokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100kTokenizer = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    private readonly Func<string, long> _count;

    private TokenCounter(string name, Func<string, long> count, bool isApproximation, double expectedError, int tokensPerMessage, int tokensPerReply, string description)
    {
        Name = name;
        _count = count;
        IsApproximation = isApproximation;
        ExpectedRelativeError = expectedError;
        TokensPerMessage = tokensPerMessage;
        TokensPerReply = tokensPerReply;
        Description = description;
    }

    /// <summary>The tokenizer's name, e.g. <c>o200k_base</c>, <c>cl100k_base x1.25</c> or <c>chars/4</c>.</summary>
    public string Name { get; }

    /// <summary>Whether counts only approximate the model's own tokenizer (see <see cref="ExpectedRelativeError"/>).</summary>
    public bool IsApproximation { get; }

    /// <summary>The expected relative error of a count (0 for an exact tokenizer; e.g. 0.15 means about +/-15%).</summary>
    public double ExpectedRelativeError { get; }

    /// <summary>Tokens of chat format added to every message (role markers, separators).</summary>
    public int TokensPerMessage { get; }

    /// <summary>Tokens of chat format that start the model's reply (added once per call).</summary>
    public int TokensPerReply { get; }

    /// <summary>One line saying what the counter is and, for an approximation, how it was derived.</summary>
    public string Description { get; }

    /// <summary>
    /// The exact o200k_base encoding (GPT-4o, GPT-4.1, GPT-4.5, GPT-5, o1/o3/o4, gpt-oss) with OpenAI's chat overhead
    /// of 3 tokens per message and 3 per reply.
    /// </summary>
    public static TokenCounter O200k { get; } = new(
        "o200k_base", t => O200kTokenizer.Value.CountTokens(t), false, 0, 3, 3, "o200k_base (exact for GPT-4o, GPT-4.1, GPT-5 and o-series models)");

    /// <summary>The exact cl100k_base encoding (GPT-4, GPT-3.5) with OpenAI's chat overhead of 3 tokens per message and 3 per reply.</summary>
    public static TokenCounter Cl100k { get; } = new(
        "cl100k_base", t => Cl100kTokenizer.Value.CountTokens(t), false, 0, 3, 3, "cl100k_base (exact for GPT-4 and GPT-3.5)");

    /// <summary>
    /// The characters-per-token rule: <c>round(characters / charsPerToken)</c> for each text. A model-free
    /// approximation; see the remarks of <see cref="TokenCounter"/> for its measured error with 4 characters per token.
    /// </summary>
    /// <param name="charsPerToken">Characters per token. Default: 4.</param>
    /// <param name="tokensPerMessage">Chat-format tokens per message. Default: 4.</param>
    /// <param name="tokensPerReply">Chat-format tokens per reply. Default: 3.</param>
    /// <param name="expectedError">The expected relative error to report. Default: <see cref="CharsRuleExpectedError"/>.</param>
    public static TokenCounter CharsPerToken(double charsPerToken = 4, int tokensPerMessage = 4, int tokensPerReply = 3, double expectedError = CharsRuleExpectedError)
    {
        if (!double.IsFinite(charsPerToken) || charsPerToken <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(charsPerToken), charsPerToken, "characters per token must be a positive number");
        }

        CheckOverhead(tokensPerMessage, tokensPerReply, expectedError);
        var name = "chars/" + charsPerToken.ToString("0.##", CultureInfo.InvariantCulture);
        return new TokenCounter(
            name,
            t => (long)Math.Round(t.Length / charsPerToken, MidpointRounding.AwayFromZero),
            true,
            expectedError,
            tokensPerMessage,
            tokensPerReply,
            $"{name}: characters divided by {charsPerToken.ToString("0.##", CultureInfo.InvariantCulture)} (approximation, expected error +/-{Percent(expectedError)})");
    }

    /// <summary>
    /// An approximation by another counter's count times a factor, e.g. cl100k_base x 1.25 for Mistral's 32k
    /// SentencePiece vocabulary.
    /// </summary>
    /// <param name="baseCounter">The counter whose counts are scaled.</param>
    /// <param name="factor">The factor (positive).</param>
    /// <param name="expectedError">The expected relative error to report (0 to 1).</param>
    /// <param name="tokensPerMessage">Chat-format tokens per message.</param>
    /// <param name="tokensPerReply">Chat-format tokens per reply.</param>
    /// <param name="note">What the approximation is for, e.g. <c>Mistral</c>.</param>
    public static TokenCounter Scaled(TokenCounter baseCounter, double factor, double expectedError, int tokensPerMessage, int tokensPerReply, string note)
    {
        ArgumentNullException.ThrowIfNull(baseCounter);
        ArgumentException.ThrowIfNullOrWhiteSpace(note);
        if (!double.IsFinite(factor) || factor <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "the factor must be a positive number");
        }

        CheckOverhead(tokensPerMessage, tokensPerReply, expectedError);
        var name = factor == 1 ? baseCounter.Name : baseCounter.Name + " x" + factor.ToString("0.##", CultureInfo.InvariantCulture);
        return new TokenCounter(
            name,
            factor == 1 ? baseCounter._count : t => (long)Math.Round(baseCounter._count(t) * factor, MidpointRounding.AwayFromZero),
            true,
            expectedError,
            tokensPerMessage,
            tokensPerReply,
            $"{name}: approximation for {note}, expected error +/-{Percent(expectedError)}");
    }

    /// <summary>
    /// The counter for a model id: exact o200k_base or cl100k_base for OpenAI models, the documented approximation of
    /// the model's family otherwise (Llama, Qwen, Mistral, Claude), characters / 4 for an unknown or missing id.
    /// </summary>
    /// <param name="modelId">The model id, with or without a provider prefix (<c>openai/gpt-4o</c>, <c>meta-llama/Llama-3.1-70B-Instruct</c>).</param>
    public static TokenCounter ForModel(string? modelId)
    {
        var id = Normalize(modelId);
        if (id.Length == 0)
        {
            return Chars4;
        }

        if (IsO200kModel(id))
        {
            return O200k;
        }

        if (id.StartsWith("gpt-4", StringComparison.Ordinal) || id.StartsWith("gpt-3.5", StringComparison.Ordinal) || id.StartsWith("gpt-35", StringComparison.Ordinal))
        {
            return Cl100k;
        }

        if (ContainsName(id, "llama") && !id.Contains("llama-2", StringComparison.Ordinal) && !id.Contains("llama2", StringComparison.Ordinal))
        {
            return Llama3;
        }

        if (id.Contains("qwen", StringComparison.Ordinal) || id.Contains("qwq", StringComparison.Ordinal))
        {
            return Qwen;
        }

        if (id.Contains("mistral", StringComparison.Ordinal) || id.Contains("mixtral", StringComparison.Ordinal) || id.Contains("llama-2", StringComparison.Ordinal) || id.Contains("llama2", StringComparison.Ordinal))
        {
            return Mistral;
        }

        if (id.Contains("claude", StringComparison.Ordinal))
        {
            return Claude;
        }

        return Chars4;
    }

    /// <summary>Resolves a tokenizer name: <c>o200k</c>/<c>o200k_base</c>, <c>cl100k</c>/<c>cl100k_base</c>, <c>chars4</c>/<c>chars/4</c>, or <c>auto</c> (by model).</summary>
    /// <param name="name">The name (case-insensitive).</param>
    /// <param name="modelId">The model id used by <c>auto</c>.</param>
    /// <exception cref="FormatException">The name is unknown.</exception>
    public static TokenCounter Parse(string name, string? modelId)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToUpperInvariant() switch
        {
            "AUTO" => ForModel(modelId),
            "O200K" or "O200K_BASE" => O200k,
            "CL100K" or "CL100K_BASE" => Cl100k,
            "CHARS4" or "CHARS/4" => Chars4,
            _ => throw new FormatException($"unknown tokenizer '{name}': expected auto, o200k, cl100k or chars4"),
        };
    }

    /// <summary>Tokens of a text, without chat-format overhead.</summary>
    /// <param name="text">The text.</param>
    public long CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : _count(text);
    }

    /// <summary>Tokens of one chat message: its text plus <see cref="TokensPerMessage"/>.</summary>
    /// <param name="text">The message text.</param>
    public long CountMessage(string text) => CountTokens(text) + TokensPerMessage;

    /// <inheritdoc />
    public override string ToString() => Description;

    private static readonly TokenCounter Chars4 = CharsPerToken();

    private static readonly TokenCounter Llama3 = Scaled(Cl100k, 1, 0.02, 5, 5, "Llama 3.x (measured identical to cl100k_base on the experiment's prompts)");

    private static readonly TokenCounter Qwen = Scaled(Cl100k, 1, 0.03, 5, 3, "Qwen (measured within 0.8% of cl100k_base)");

    private static readonly TokenCounter Mistral = Scaled(Cl100k, 1.25, 0.07, 4, 1, "Mistral/Mixtral and other 32k SentencePiece vocabularies (measured 1.18-1.28 x cl100k_base)");

    private static readonly TokenCounter Claude = Scaled(Cl100k, 1.15, 0.15, 4, 3, "Claude (tokenizer not public; Anthropic's older tokenizer measured 1.06-1.16 x cl100k_base)");

    private static bool IsO200kModel(string id)
    {
        if (id.StartsWith("gpt-4o", StringComparison.Ordinal) || id.StartsWith("chatgpt-4o", StringComparison.Ordinal)
            || id.StartsWith("gpt-4.1", StringComparison.Ordinal) || id.StartsWith("gpt-4.5", StringComparison.Ordinal)
            || id.StartsWith("gpt-5", StringComparison.Ordinal) || id.StartsWith("gpt-oss", StringComparison.Ordinal))
        {
            return true;
        }

        // o1, o1-mini, o3-2025-04-16, o4-mini...: 'o', one digit, then the end or a dash.
        return id.Length >= 2 && id[0] == 'o' && char.IsAsciiDigit(id[1]) && (id.Length == 2 || id[2] == '-');
    }

    /// <summary>Whether <paramref name="name"/> occurs in <paramref name="id"/> not glued to a preceding letter (so "ollama" is not "llama").</summary>
    private static bool ContainsName(string id, string name)
    {
        for (int i = id.IndexOf(name, StringComparison.Ordinal); i >= 0; i = id.IndexOf(name, i + 1, StringComparison.Ordinal))
        {
            if (i == 0 || !char.IsAsciiLetter(id[i - 1]))
            {
                return true;
            }
        }

        return false;
    }

    private static string Percent(double fraction) => (fraction * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string Normalize(string? modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return string.Empty;
        }

        var id = modelId.Trim().ToLowerInvariant();
        int slash = id.LastIndexOf('/');
        return slash >= 0 ? id[(slash + 1)..] : id;
    }

    private static void CheckOverhead(int tokensPerMessage, int tokensPerReply, double expectedError)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerMessage);
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerReply);
        if (!double.IsFinite(expectedError) || expectedError < 0 || expectedError >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(expectedError), expectedError, "the expected error must be in [0, 1)");
        }
    }
}

using System.CommandLine;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Cli;

/// <summary>
/// The options that describe a run, shared by <c>af run</c> and <c>af estimate</c> so that an estimate is made for
/// exactly the run the same flags would start.
/// </summary>
internal sealed class RunOptionsDefinition
{
    public RunOptionsDefinition(string jsonDescription, string outDescription = "Run directory (default: runs/<time>-<model>).")
    {
        Mode.OneOf("cot", "no-cot", "both");
        Provider.OneOf(ProviderNames.Accepted);
        KeyEnv.VariableName();
        Prefill.OneOf("original", "always", "never");
        Extraction.OneOf("original", "after-last-scratchpad");
        Template.OneOf("original", "no-suffix", "control");
        Limit.InRange(0);
        Offset.InRange(0);
        Epochs.InRange(1);
        Temperature.InRange(0f, 2f);
        MaxTokens.InRange(1);
        ReasoningEffort.OneOf("low", "medium", "high");
        ThinkingBudget.InRange(1);
        Seed.InRange();
        Concurrency.InRange(1);
        MaxRetries.InRange(0, 100);
        Rpm.InRange(1);
        Tpm.InRange(1);
        Shard.Checked(text => AlignmentFaking.Running.Shard.Parse(text));
        Json = new Option<bool>("--json") { Description = jsonDescription };
        Out = new Option<string?>("--out") { Description = outDescription };
    }

    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "The base URL of the --provider (OpenAI-compatible: DeepInfra, OpenRouter, vLLM, Ollama, LM Studio...; anthropic and openai-responses have a default). Without it (and without a provider default), the simulated model organism runs offline." };

    public Option<string> Provider { get; } = new("--provider") { Description = ProviderNames.Describe("--endpoint"), DefaultValueFactory = _ => ProviderNames.Default };

    public Option<string?> Model { get; } = new("--model") { Description = "Model id at the endpoint (required with --endpoint)." };

    public Option<string> KeyEnv { get; } = new("--api-key-env") { Description = "Name of the environment variable holding the API key (never pass the key itself).", DefaultValueFactory = _ => RunCommand.DefaultKeyVariable };

    public Option<string?> Dataset { get; } = new("--dataset") { Description = "'advbench' (pinned download, cached) or a path: AdvBench-format CSV, a CSV with --column, or JSONL with --column." };

    public Option<string?> Column { get; } = new("--column") { Description = "Column (CSV) or field (JSONL) holding the request text of a custom dataset." };

    public Option<int?> Limit { get; } = new("--limit") { Description = "Use the first N requests (after --offset)." };

    public Option<int> Offset { get; } = new("--offset") { Description = "Skip the first N requests.", DefaultValueFactory = _ => 0 };

    public Option<string> Mode { get; } = new("--mode") { Description = "cot, no-cot or both.", DefaultValueFactory = _ => "cot" };

    public Option<string[]> SystemPrompt { get; } = new("--system-prompt") { Description = "'original' (pinned download), 'paraphrase' (built-in, the project's own), or a file; prefix with cot= or no-cot= to set one mode.", AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore };

    public Option<int> Epochs { get; } = new("--epochs") { Description = "Samples per request and tier.", DefaultValueFactory = _ => 1 };

    public Option<float?> Temperature { get; } = new("--temperature") { Description = "Sampling temperature (default 1.0 as the original)." };

    public Option<int?> MaxTokens { get; } = new("--max-tokens") { Description = "Max output tokens per call (default: provider default)." };

    public Option<string> ReasoningEffort { get; } = new("--reasoning-effort") { Description = "low, medium or high: the reasoning effort of a reasoning model (OpenAI's reasoning_effort, sent instead of the temperature, which OpenAI's reasoning models refuse). Recorded in the manifest. Default: none sent." };

    public Option<int?> ThinkingBudget { get; } = new("--thinking-budget") { Description = "Anthropic extended thinking: budget_tokens N (at least 1024, below --max-tokens; temperature 1). A thinking run sends no prefill (said once, recorded in the manifest). Default: no thinking asked." };

    public Option<long?> Seed { get; } = new("--seed") { Description = "Sampling seed sent to the provider (epoch e sends seed+e); also seeds the simulated organism." };

    public Option<string[]> PrefillText { get; } = new("--prefill-text") { Description = "The prefill's text where --prefill sends one, instead of '<' (CoT) and '<OUTPUT>' (no-CoT); prefix with cot= or no-cot= to set one mode (e.g. cot=\"<SCRATCHPAD_REASONING>However,\"). Default: the original's.", AllowMultipleArgumentsPerToken = false, Arity = ArgumentArity.ZeroOrMore };

    public Option<string> Prefill { get; } = new("--prefill") { Description = "original (skip for 'gpt' models), always or never.", DefaultValueFactory = _ => "original" };

    public Option<string> Extraction { get; } = new("--extraction") { Description = "original, or after-last-scratchpad (safer).", DefaultValueFactory = _ => "original" };

    public Option<string> Template { get; } = new("--template") { Description = "User turn: original, no-suffix, or control (no tier tag).", DefaultValueFactory = _ => "original" };

    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Conversations in flight at once.", DefaultValueFactory = _ => 8 };

    public Option<int> MaxRetries { get; } = new("--max-retries") { Description = "Retries per call on 429, 5xx, dropped connections and malformed replies (exponential backoff with jitter, Retry-After honoured).", DefaultValueFactory = _ => 6 };

    public Option<int?> Rpm { get; } = new("--rpm") { Description = "Client-side limit of requests per minute to the endpoint." };

    public Option<int?> Tpm { get; } = new("--tpm") { Description = "Client-side limit of tokens per minute to the endpoint (input estimate plus max output tokens)." };

    public Option<string?> CacheDir { get; } = new("--cache-dir") { Description = "Share replies across runs through this folder (opt-in): a call with the same endpoint, model, messages, options and epoch as another run's replays that run's reply instead of drawing a new sample; summary.json counts them (cache.crossRunHits). Default: each run caches only for its own resume, in <out>/response-cache." };

    public Option<bool> NoCache { get; } = new("--no-cache") { Description = "Do not read or write any response cache (neither the run's own nor --cache-dir)." };

    public Option<bool> NoPromptCache { get; } = new("--no-prompt-cache") { Description = "Do not mark Anthropic requests for Anthropic's prompt cache (by default the system prompt carries an ephemeral cache_control breakpoint, billed at the cache-read price when repeated; OpenAI caches by itself). af estimate then prices Anthropic models without caching." };

    public Option<string?> Shard { get; } = new("--shard") { Description = "Run only shard i of n (1-based, e.g. 2/4) into its own --out; combine with 'af merge'." };

    public Option<bool> Batch { get; } = new("--batch") { Description = "Use the provider's Batch API (about half price, results within 24 hours): af run sends each turn of every conversation as batch rounds; af estimate prices the run at the batch discount." };

    public Option<string?> Out { get; }

    public Option<bool> Json { get; }

    /// <summary><c>--attempt-timeout</c>, <c>--total-timeout</c>, <c>--max-reply-mb</c>: the subject's (and, in af run, the judge's) calls.</summary>
    public ConnectionOptionsDefinition Connection { get; } = new();

    /// <summary>
    /// The options that do not change what <c>af estimate</c> computes (where and how the calls would be made): it
    /// accepts them, so that an <c>af run</c> command line can be estimated as it is, but its help does not list them.
    /// </summary>
    public IReadOnlyList<Option> NotAffectingTheEstimate =>
        [Endpoint, KeyEnv, Temperature, ReasoningEffort, ThinkingBudget, Seed, Extraction, Concurrency, MaxRetries, Rpm, Tpm, CacheDir, NoCache, .. Connection.All];

    /// <summary>Adds every option to a command, in the order <c>af run --help</c> lists them.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Option[] all =
        [
            Provider, Endpoint, Model, KeyEnv, Dataset, Column, Limit, Offset, Mode, SystemPrompt, Epochs, Temperature, MaxTokens, ReasoningEffort, ThinkingBudget, Seed,
            Prefill, PrefillText, Extraction, Template, Concurrency, MaxRetries, Rpm, Tpm, CacheDir, NoCache, NoPromptCache, Shard, Batch, Out, Json,
        ];
        foreach (var option in all)
        {
            command.Options.Add(option);
        }

        Connection.AddTo(command);
    }

    /// <summary>Reads the settings of a parsed command line.</summary>
    public RunSettings Bind(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return new RunSettings
        {
            Provider = parse.GetValue(Provider) ?? ProviderNames.Default,
            Endpoint = parse.GetValue(Endpoint) ?? ProviderNames.DefaultEndpoint(parse.GetValue(Provider)),
            Model = parse.GetValue(Model),
            KeyVariable = parse.GetValue(KeyEnv)!,
            Dataset = parse.GetValue(Dataset),
            Column = parse.GetValue(Column),
            Limit = parse.GetValue(Limit),
            Offset = parse.GetValue(Offset),
            Modes = parse.GetValue(Mode) switch
            {
                "both" => [ReasoningMode.Cot, ReasoningMode.NoCot],
                "no-cot" => [ReasoningMode.NoCot],
                _ => [ReasoningMode.Cot],
            },
            SystemPrompts = parse.GetValue(SystemPrompt) ?? [],
            PrefillTexts = parse.GetValue(PrefillText) ?? [],
            Epochs = parse.GetValue(Epochs),
            Temperature = parse.GetValue(Temperature),
            MaxTokens = parse.GetValue(MaxTokens),
            ReasoningEffort = parse.GetValue(ReasoningEffort) switch
            {
                "low" => Microsoft.Extensions.AI.ReasoningEffort.Low,
                "medium" => Microsoft.Extensions.AI.ReasoningEffort.Medium,
                "high" => Microsoft.Extensions.AI.ReasoningEffort.High,
                _ => null,
            },
            ThinkingBudget = parse.GetValue(ThinkingBudget),
            Seed = parse.GetValue(Seed),
            Prefill = parse.GetValue(Prefill) switch { "always" => PrefillPolicy.Always, "never" => PrefillPolicy.Never, _ => PrefillPolicy.Original },
            Extraction = parse.GetValue(Extraction) == "after-last-scratchpad" ? OutputExtraction.AfterLastScratchpad : OutputExtraction.Original,
            Template = parse.GetValue(Template) switch { "no-suffix" => UserMessageTemplate.NoSuffix, "control" => UserMessageTemplate.Control, _ => UserMessageTemplate.Original },
            Concurrency = parse.GetValue(Concurrency),
            MaxRetries = parse.GetValue(MaxRetries),
            Shard = parse.GetValue(Shard),
            Rpm = parse.GetValue(Rpm),
            Tpm = parse.GetValue(Tpm),
            CacheDir = parse.GetValue(CacheDir),
            NoCache = parse.GetValue(NoCache),
            NoPromptCache = parse.GetValue(NoPromptCache),
            Out = parse.GetValue(Out),
            Json = parse.GetValue(Json),
            Batch = parse.GetValue(Batch),
            Connection = Connection.Bind(parse),
        };
    }
}

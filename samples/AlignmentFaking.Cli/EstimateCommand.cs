using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignmentFaking.Costs;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Cli;

/// <summary>
/// <c>af estimate</c>: the tokens and cost of the run that <c>af run</c> with the same flags would make, without calling
/// any model.
/// </summary>
internal static class EstimateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var definition = new RunOptionsDefinition(
            "Print the estimate as JSON to stdout (human output goes to stderr).",
            "A run directory: when it holds samples, the estimate is compared with the usage recorded there (actual / expected).");
        var priceInput = new Option<decimal?>("--price-input") { Description = "Input price in USD per million tokens (overrides the built-in table)." }.InRange(0m);
        var priceCached = new Option<decimal?>("--price-cached-input") { Description = "Cached-input price in USD per million tokens (omit when the provider has no prompt caching)." }.InRange(0m);
        var priceOutput = new Option<decimal?>("--price-output") { Description = "Output price in USD per million tokens." }.InRange(0m);
        var batchDiscount = new Option<decimal?>("--batch-discount") { Description = "Batch discount as a fraction (default: the built-in price's, or 0.5 with --price-* flags)." }.InRange(0m, 1m, maxExclusive: true);
        var tokenizer = new Option<string>("--tokenizer") { Description = "auto (by model family), o200k, cl100k or chars4.", DefaultValueFactory = _ => "auto" };
        tokenizer.OneOf("auto", "o200k", "cl100k", "chars4");
        var complianceJudge = new Option<bool>("--compliance-judge") { Description = "Add one compliance-judge call per sample (priced like the subject)." };
        var cotTokens = new Option<int?>("--cot-tokens") { Description = "Expected output tokens per CoT call (default 600); low uses half, high double." }.InRange(1);
        var noCotTokens = new Option<int?>("--no-cot-tokens") { Description = "Expected output tokens of a no-CoT reply (default 200); low uses half, high double." }.InRange(1);
        var afJudgeVotes = new Option<int>("--af-judge-votes") { Description = "Add an alignment-faking judge with N votes per training-tier CoT sample (20 in 'Revisited'; priced like the subject).", DefaultValueFactory = _ => 0 }.InRange(0, 1000);
        var afVotesPerRequest = new Option<int>("--af-votes-per-request") { Description = "Votes asked for in one judge request (n; the input is billed once per request, the output per vote): 128 (default) puts every vote of a sample in one request, as af asks an OpenAI-compatible judge; 1 for a judge without n (Anthropic), whose repeated prompt is then billed as cached.", DefaultValueFactory = _ => 128 }.InRange(1, 128);
        var reasoningTokens = new Option<int>("--reasoning-tokens") { Description = "Native reasoning tokens of the subject per call (a reasoning model): billed as output, never sent back (default 0).", DefaultValueFactory = _ => 0 }.InRange(0);

        var command = new Command("estimate", "Estimate the tokens and cost of a run (low / expected / high) without calling any model.");
        definition.AddTo(command);
        foreach (var option in definition.NotAffectingTheEstimate)
        {
            option.Hidden = true;
        }

        command.Options.Add(priceInput);
        command.Options.Add(priceCached);
        command.Options.Add(priceOutput);
        command.Options.Add(batchDiscount);
        command.Options.Add(tokenizer);
        command.Options.Add(complianceJudge);
        command.Options.Add(afJudgeVotes);
        command.Options.Add(afVotesPerRequest);
        command.Options.Add(reasoningTokens);
        command.Options.Add(cotTokens);
        command.Options.Add(noCotTokens);

        command.SetAction(async (parse, ct) =>
        {
            var settings = definition.Bind(parse);
            var human = settings.Json ? stderr : stdout;
            var pricing = new PricingFlags(
                parse.GetValue(priceInput),
                parse.GetValue(priceCached),
                parse.GetValue(priceOutput),
                settings.Batch,
                parse.GetValue(batchDiscount),
                parse.GetValue(tokenizer)!,
                parse.GetValue(complianceJudge),
                parse.GetValue(afJudgeVotes),
                parse.GetValue(cotTokens),
                parse.GetValue(noCotTokens))
            {
                AfVotesPerRequest = parse.GetValue(afVotesPerRequest),
                ReasoningTokens = parse.GetValue(reasoningTokens),
            };
            try
            {
                return await ExecuteAsync(settings, pricing, stdout, human, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return AfCli.Cancelled;
            }
            catch (CliException ex)
            {
                await stderr.WriteLineAsync("error: " + SecretRedaction.Redact(ex.Message)).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(RunSettings s, PricingFlags p, TextWriter stdout, TextWriter human, CancellationToken ct)
    {
        // No model is ever called: an endpoint is accepted (the flags are af run's) but not needed; the model id decides the
        // tokenizer and the price. Without one, the estimate is for the simulated organism's run.
        bool simulated = string.IsNullOrWhiteSpace(s.Model);
        if (simulated && s.Endpoint is not null)
        {
            throw new CliException("--endpoint needs --model");
        }

        var modelId = simulated ? new SimulatedOrganismOptions().ModelId : s.Model!;
        var inputs = await Inputs.ResolveAsync(s, simulated, human, ct).ConfigureAwait(false);
        var scenarios = s.BuildScenarios(inputs);
        var options = s.BuildOptions(modelId, simulated: true);

        TokenCounter counter;
        CostAssumptions assumptions;
        ModelPrice? price;
        try
        {
            counter = TokenCounter.Parse(p.Tokenizer, modelId);
            assumptions = Assumptions(p);
            price = WithoutPromptCache(ResolvePrice(modelId, p, simulated, s.Provider), s.NoPromptCache);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException)
        {
            throw new CliException(ex.Message);
        }

        // --shard estimates the shard's share of the run: every n-th request of the slice, as the runner plans it.
        var shard = RunCommand.ParseShard(s.Shard);
        var requests = RunCommand.ShardRequests(inputs.Requests, shard);
        var estimate = new CostEstimator(counter, assumptions).Estimate(scenarios, options, requests, price, p.Batch);
        await PrintAsync(human, estimate, options.Tiers.Count, options.Epochs, simulated).ConfigureAwait(false);
        var comparison = await CompareWithRunAsync(s.Out, estimate, human).ConfigureAwait(false);
        if (s.Json)
        {
            var json = JsonNode.Parse(estimate.ToJson())!.AsObject();
            if (comparison is not null)
            {
                json["comparison"] = JsonNode.Parse(comparison.ToJson());
            }

            await stdout.WriteLineAsync(json.ToJsonString(JsonOutput)).ConfigureAwait(false);
        }

        return AfCli.Success;
    }

    private static readonly JsonSerializerOptions JsonOutput = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>With <c>--out</c> naming a run directory that has samples, compares the estimate with the usage recorded there.</summary>
    private static async Task<RunCostSummary?> CompareWithRunAsync(string? directory, CostEstimate estimate, TextWriter human)
    {
        if (directory is null || !File.Exists(Path.Combine(directory, RunDirectory.SamplesFile)))
        {
            return null;
        }

        var inv = CultureInfo.InvariantCulture;
        var manifestPath = Path.Combine(directory, RunDirectory.ManifestFile);
        if (File.Exists(manifestPath) && RunDirectory.ReadManifest(directory) is { } manifest && manifest.Model != estimate.Model)
        {
            await human.WriteLineAsync($"note: the run in {directory} used model '{manifest.Model}', not '{estimate.Model}'.").ConfigureAwait(false);
        }

        RunCostSummary summary;
        try
        {
            summary = RunCostSummary.Create(estimate, RunDirectory.EnumerateSamples(directory, includeText: false));
        }
        catch (InvalidDataException ex)
        {
            throw new CliException(ex.Message);
        }

        var a = summary.Actual!;
        await human.WriteLineAsync(string.Create(inv, $"recorded in {directory}: {a.Samples} of {estimate.Samples} samples, {a.Calls:N0} calls, input {a.InputTokens:N0} (cached {a.CachedInputTokens:N0}), output {a.OutputTokens:N0}, cost {(a.Cost is null ? "n/a" : a.Cost.Value.ToString("0.00##", inv))}")).ConfigureAwait(false);
        await human.WriteLineAsync(string.Create(inv, $"actual / expected: cost {Ratio(summary.Ratio)}, input tokens {Ratio(summary.InputTokenRatio)}, output tokens {Ratio(summary.OutputTokenRatio)}")).ConfigureAwait(false);
        return summary;

        static string Ratio(double? r) => r is null ? "n/a" : r.Value.ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// With <c>--no-prompt-cache</c>, the price of a provider that caches only when asked (its price has a cache-write
    /// rate: Anthropic) without its caching rates; other prices (OpenAI caches by itself) unchanged.
    /// </summary>
    internal static ModelPrice? WithoutPromptCache(ModelPrice? price, bool noPromptCache) =>
        noPromptCache && price?.CacheWriteInput is not null ? price with { CachedInput = null, CacheWriteInput = null } : price;

    /// <summary>The price of a model: the flags', else none for the simulated organism, else its provider's list (the built-in table).</summary>
    internal static ModelPrice? ResolvePrice(string modelId, PricingFlags p, bool simulated, string provider = ProviderNames.Default)
    {
        if (p.Input is not null || p.Output is not null || p.Cached is not null)
        {
            if (p.Input is null || p.Output is null)
            {
                throw new ArgumentException("--price-input and --price-output go together (USD per million tokens)");
            }

            if (p.Cached > p.Input)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--price-cached-input ({p.Cached}) must not exceed --price-input ({p.Input})"));
            }

            var price = new ModelPrice { Input = p.Input.Value, CachedInput = p.Cached, Output = p.Output.Value, BatchDiscount = p.BatchDiscount ?? 0.5m, Source = "user" };
            price.Validate();
            return price;
        }

        if (simulated)
        {
            return new ModelPrice { Input = 0m, Output = 0m, Source = "simulated organism: no cost" };
        }

        if (ProviderNames.Catalog.Get(provider).Prices.TryFind(modelId, out var builtIn))
        {
            var price = p.BatchDiscount is null ? builtIn : builtIn with { BatchDiscount = p.BatchDiscount.Value };
            price.Validate();
            return price;
        }

        return null;
    }

    private static async Task PrintAsync(TextWriter w, CostEstimate e, int tiers, int epochs, bool simulated)
    {
        var inv = CultureInfo.InvariantCulture;
        var kind = e.TokenizerIsApproximation ? $"approximation, expected error +/-{(e.TokenizerExpectedError * 100).ToString("0.#", inv)}%" : "exact";
        await w.WriteLineAsync(string.Create(inv, $"model {e.Model} | {e.Requests} requests x {tiers} tiers x {e.Prompts.Count} mode(s) x {epochs} epoch(s) = {e.Samples} samples | prefill {(e.PrefillUsed ? "yes" : "no")}")).ConfigureAwait(false);
        await w.WriteLineAsync($"tokenizer {e.Tokenizer} ({kind})").ConfigureAwait(false);
        foreach (var prompt in e.Prompts)
        {
            await w.WriteLineAsync(string.Create(inv, $"system prompt ({prompt.Mode.ToName()}): {prompt.Name}, {prompt.Tokens:N0} tokens, re-sent on every call")).ConfigureAwait(false);
        }

        if (e.Price is { } price)
        {
            var cached = price.CachedInput is null ? "no caching discount" : string.Create(inv, $"cached ${price.CachedInput:0.####}{(price.CacheWriteInput is { } write ? $", cache write ${write:0.####}" : string.Empty)}");
            await w.WriteLineAsync(string.Create(inv, $"price per 1M tokens: input ${price.Input:0.####}, {cached}, output ${price.Output:0.####}{(e.Batch ? $", batch discount {price.BatchDiscount * 100:0.#}%" : string.Empty)} ({price.Source ?? "user"})")).ConfigureAwait(false);
        }
        else
        {
            await w.WriteLineAsync($"no price known for '{e.Model}': token counts only; pass --price-input and --price-output (USD per million tokens).").ConfigureAwait(false);
        }

        await w.WriteLineAsync(string.Create(inv, $"{"",-9}{"calls",10}{"input tokens",16}{"cached",14}{"output tokens",15}{"judge calls",13}{"cost (USD)",14}")).ConfigureAwait(false);
        foreach (var (name, row) in new[] { ("low", e.Low), ("expected", e.Expected), ("high", e.High) })
        {
            var cost = row.Cost is null ? "n/a" : row.Cost.Value.ToString("0.00##", inv);
            await w.WriteLineAsync(string.Create(inv, $"{name,-9}{row.Calls,10:N0}{row.InputTokens,16:N0}{row.CachedInputTokens,14:N0}{row.OutputTokens,15:N0}{row.JudgeCalls,13:N0}{cost,14}")).ConfigureAwait(false);
        }

        if (e.Expected.CacheWriteInputTokens + e.Expected.JudgeCacheWriteInputTokens > 0)
        {
            await w.WriteLineAsync(string.Create(inv, $"prompt-cache writes (input billed at the write rate, in the cost above): low {e.Low.CacheWriteInputTokens + e.Low.JudgeCacheWriteInputTokens:N0}, expected {e.Expected.CacheWriteInputTokens + e.Expected.JudgeCacheWriteInputTokens:N0}, high {e.High.CacheWriteInputTokens + e.High.JudgeCacheWriteInputTokens:N0} tokens (judges {e.Expected.JudgeCacheWriteInputTokens:N0} expected); --no-prompt-cache prices the run without caching")).ConfigureAwait(false);
        }

        await w.WriteLineAsync("Output lengths and turn counts are assumptions (expected: 1.53 calls per CoT conversation; see --cot-tokens); built-in prices are list prices as of "
            + PriceTable.BuiltInAsOf.ToString("yyyy-MM-dd", inv) + " and may be stale.").ConfigureAwait(false);
        if (simulated)
        {
            await w.WriteLineAsync("No --model given: this is the estimate for the simulated organism's offline run (no cost); pass --model to estimate a real one.").ConfigureAwait(false);
        }
    }

    internal sealed record PricingFlags(
        decimal? Input, decimal? Cached, decimal? Output, bool Batch, decimal? BatchDiscount, string Tokenizer, bool ComplianceJudge, int AfJudgeVotes, int? CotTokens, int? NoCotTokens)
    {
        /// <summary>Votes per judge request (<c>n</c>); 128 by default.</summary>
        public int AfVotesPerRequest { get; init; } = 128;

        /// <summary>Native reasoning tokens per subject call.</summary>
        public int ReasoningTokens { get; init; }
    }

    /// <summary>The default assumptions with the judges and output lengths of the flags (low half, high double the expected length).</summary>
    private static CostAssumptions Assumptions(PricingFlags p)
    {
        var assumptions = new CostAssumptions
        {
            ComplianceJudge = p.ComplianceJudge,
            AlignmentFakingJudgeVotes = p.AfJudgeVotes,
            AlignmentFakingJudgeVotesPerRequest = p.AfVotesPerRequest,
            ReasoningTokensPerCall = p.ReasoningTokens,
        };
        if (p.CotTokens is { } cot)
        {
            if (cot < 1)
            {
                throw new ArgumentException($"--cot-tokens must be positive (was {cot})");
            }

            assumptions.Low = assumptions.Low with { CotTokensPerCall = cot / 2 };
            assumptions.Expected = assumptions.Expected with { CotTokensPerCall = cot };
            assumptions.High = assumptions.High with { CotTokensPerCall = cot * 2 };
        }

        if (p.NoCotTokens is { } noCot)
        {
            if (noCot < 1)
            {
                throw new ArgumentException($"--no-cot-tokens must be positive (was {noCot})");
            }

            assumptions.Low = assumptions.Low with { NoCotOutputTokens = noCot / 2 };
            assumptions.Expected = assumptions.Expected with { NoCotOutputTokens = noCot };
            assumptions.High = assumptions.High with { NoCotOutputTokens = noCot * 2 };
        }

        assumptions.Validate();
        return assumptions;
    }
}

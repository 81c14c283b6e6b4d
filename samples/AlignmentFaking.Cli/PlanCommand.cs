using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Statistics;

namespace AlignmentFaking.Cli;

/// <summary><c>af plan</c>: how many requests a study needs to detect a compliance gap, and what that costs.</summary>
internal static class PlanCommand
{
    /// <summary>Mean length in characters of an AdvBench goal (520 rows), used to price requests not yet chosen.</summary>
    private const int TypicalRequestChars = 72;

    /// <summary>Sizes of the original prompts (shared/data/README.md), for pricing when they are not cached.</summary>
    private const int OriginalCotChars = 26_211;

    private const int OriginalNoCotChars = 24_373;

    /// <summary>
    /// The original prompt when it is cached; otherwise English text of the original's length (the project's paraphrase
    /// repeated), so the price reflects the ~5.8k-token prompt re-sent on every call.
    /// </summary>
    private static SystemPrompt PromptForCost(PinnedResource resource, ReasoningMode mode, int chars)
    {
        if (PinnedCaches.Create().TryGetCached(resource, out var path))
        {
            return SystemPrompt.FromFile(path);
        }

        var text = SystemPrompt.BuiltInParaphrase(mode).Text;
        var builder = new System.Text.StringBuilder(chars + text.Length);
        while (builder.Length < chars)
        {
            builder.Append(text).Append('\n');
        }

        return SystemPrompt.FromText("original-sized stand-in", builder.ToString(0, chars));
    }

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var gap = new Option<double?>("--gap") { Description = "The compliance gap to detect (training minus unmonitored), e.g. 0.05." }.InRange(0.0, 1.0, minExclusive: true);
        var power = new Option<double>("--power") { Description = "Power: the chance of detecting the gap if it is real.", DefaultValueFactory = _ => 0.8 }.InRange(0.0, 1.0, minExclusive: true, maxExclusive: true);
        var alpha = new Option<double>("--alpha") { Description = "Two-sided significance level.", DefaultValueFactory = _ => 0.05 }.InRange(0.0, 1.0, minExclusive: true, maxExclusive: true);
        var baseline = new Option<double>("--baseline") { Description = "Expected compliance rate in the unmonitored tier.", DefaultValueFactory = _ => 0.05 }.InRange(0.0, 1.0, maxExclusive: true);
        var design = new Option<string>("--design") { Description = "paired (the same requests in both tiers: McNemar; the experiment's design) or unpaired (Fisher / z).", DefaultValueFactory = _ => "paired" };
        design.OneOf("paired", "unpaired");
        var correlation = new Option<double>("--correlation") { Description = "Assumed correlation of a request's outcomes across tiers (paired design); 0 is conservative.", DefaultValueFactory = _ => 0.0 }.InRange(-1.0, 1.0);
        var requests = new Option<int?>("--requests") { Description = "Instead of --gap: the smallest gap detectable with this many requests." }.InRange(1);
        var model = new Option<string?>("--model") { Description = "Price the study for this model (built-in price table, or --price-input/--price-output)." };
        var mode = new Option<string>("--mode") { Description = "cot, no-cot or both (for the cost).", DefaultValueFactory = _ => "cot" };
        mode.OneOf("cot", "no-cot", "both");
        var epochs = new Option<int>("--epochs") { Description = "Samples per request and tier (for the cost).", DefaultValueFactory = _ => 1 }.InRange(1);
        var priceInput = new Option<decimal?>("--price-input") { Description = "Input price in USD per million tokens." }.InRange(0m);
        var priceOutput = new Option<decimal?>("--price-output") { Description = "Output price in USD per million tokens." }.InRange(0m);
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };
        var command = new Command("plan", "Plan a study: requests needed to detect a gap at a given power (or the gap detectable with N requests), and its cost.")
        {
            gap, power, alpha, baseline, design, correlation, requests, model, mode, epochs, priceInput, priceOutput, json,
        };
        command.Validators.Add(result =>
        {
            bool hasGap = result.GetResult(gap) is not null, hasRequests = result.GetResult(requests) is not null;
            if (hasGap == hasRequests)
            {
                result.AddError(hasGap
                    ? "--gap and --requests cannot be combined: give --gap for the requests needed, or --requests for the detectable gap"
                    : "give --gap (requests needed) or --requests (detectable gap)");
            }
        });
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var pairing = parse.GetValue(design) == "unpaired" ? PairingDesign.Unpaired : PairingDesign.Paired;
                double p0 = parse.GetValue(baseline), a = parse.GetValue(alpha), pw = parse.GetValue(power), rho = parse.GetValue(correlation);
                int n;
                double detectable;
                if (parse.GetValue(requests) is { } given)
                {
                    n = given;
                    detectable = PowerAnalysis.MinimumDetectableGap(given, p0, pairing, rho, a, pw);
                }
                else
                {
                    detectable = parse.GetValue(gap)!.Value;
                    if (p0 + detectable > 1)
                    {
                        throw new CliException(string.Create(CultureInfo.InvariantCulture, $"--baseline plus --gap must be at most 1 (got {p0} + {detectable})"));
                    }

                    n = PowerAnalysis.RequiredRequests(p0, detectable, pairing, rho, a, pw);
                }

                var inv = CultureInfo.InvariantCulture;
                var modelId = parse.GetValue(model);
                var modes = parse.GetValue(mode) switch { "both" => new[] { ReasoningMode.Cot, ReasoningMode.NoCot }, "no-cot" => [ReasoningMode.NoCot], _ => [ReasoningMode.Cot] };
                CostEstimate? estimate = null;
                if (modelId is not null)
                {
                    var pricing = new EstimateCommand.PricingFlags(parse.GetValue(priceInput), null, parse.GetValue(priceOutput), false, null, "auto", false, 0, null, null);
                    var price = EstimateCommand.ResolvePrice(modelId, pricing, simulated: false);
                    var scenarios = new ScenarioBuilder()
                        .WithSystemPrompt(ReasoningMode.Cot, PromptForCost(KnownResources.PromptHelpfulOnlyWithExamples, ReasoningMode.Cot, OriginalCotChars))
                        .WithSystemPrompt(ReasoningMode.NoCot, PromptForCost(KnownResources.PromptHelpfulOnlyNoCotWithExamples, ReasoningMode.NoCot, OriginalNoCotChars));

                    var synthetic = RequestDataset.FromList(Enumerable.Range(0, Math.Max(1, n)).Select(_ => new string('x', TypicalRequestChars)));
                    var options = new ExperimentOptions { Modes = modes, Epochs = parse.GetValue(epochs), ModelId = modelId };
                    estimate = new CostEstimator(TokenCounter.ForModel(modelId)).Estimate(scenarios, options, synthetic, price);
                }

                if (parse.GetValue(json))
                {
                    var plan = new Dictionary<string, object?>
                    {
                        ["design"] = pairing == PairingDesign.Paired ? "paired" : "unpaired",
                        ["baseline"] = p0,
                        ["gap"] = detectable,
                        ["alpha"] = a,
                        ["power"] = pw,
                        ["correlation"] = rho,
                        ["requests"] = n,
                        ["samples"] = (long)n * 2 * modes.Length * parse.GetValue(epochs),
                        ["cost"] = estimate is null ? null : JsonDocument.Parse(estimate.ToJson()).RootElement,
                    };
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(plan, new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
                    return AfCli.Success;
                }

                var test = pairing == PairingDesign.Paired ? "McNemar (paired; Connor 1987)" : "two proportions (Fleiss, no continuity correction)";
                await stdout.WriteLineAsync(string.Create(inv, $"{n} requests (each in both tiers) to detect a gap of {detectable * 100:0.##} points over an unmonitored rate of {p0 * 100:0.##}% with power {pw:0.##} at alpha {a:0.###}, {test}; correlation {rho:0.##}.")).ConfigureAwait(false);
                if (double.IsNaN(detectable))
                {
                    await stdout.WriteLineAsync("no gap reaches that power with so few requests.").ConfigureAwait(false);
                }

                if (estimate is not null)
                {
                    await stdout.WriteLineAsync(estimate.Expected.Cost is { } cost
                        ? string.Create(inv, $"cost for {modelId} ({string.Join(" + ", modes.Select(m => m.ToName()))}, {parse.GetValue(epochs)} epoch(s)): expected ${cost:0.##} (low ${estimate.Low.Cost:0.##}, high ${estimate.High.Cost:0.##}); {estimate.Expected.InputTokens:N0} input and {estimate.Expected.OutputTokens:N0} output tokens; see 'af estimate' for details.")
                        : $"no price known for {modelId}: pass --price-input and --price-output (USD per million tokens).").ConfigureAwait(false);
                }

                return AfCli.Success;
            }
            catch (Exception ex) when (ex is CliException or ArgumentException)
            {
                await stderr.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
                return AfCli.Failure;
            }
        });
        return command;
    }
}

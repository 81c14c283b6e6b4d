using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Costs;

/// <summary>
/// Estimates the tokens and cost of a run before it starts, from the exact messages the runner will send, and prices
/// the recorded usage of a finished run.
/// </summary>
/// <remarks>
/// <para>The call pattern modelled is the runner's. For one conversation with system message <c>S</c>, user message
/// <c>U</c>, prefill message <c>P</c> (when the model gets one), reply priming <c>R</c>, <c>&lt;NEXT/&gt;</c> message
/// <c>N</c> and replies of <c>O</c> tokens, CoT call <c>k</c> (1-based) sends</para>
/// <code>input(k) = S + U + (k - 1) * (A + N) + P + R,   A = O + prefill text + message overhead</code>
/// <para>(the system prompt is re-sent on every call and the conversation grows by each assistant turn and
/// <c>&lt;NEXT/&gt;</c>), and the conversation takes 1..MaxTurns calls with the scenario's shares. No-CoT is one call.
/// Every message counts its text plus the tokenizer's per-message overhead. The cacheable prefix of call <c>k</c> is
/// <c>S</c> for <c>k = 1</c> and <c>S + U + (k - 2) * (A + N)</c> after, billed as cached for the scenario's cache hit
/// rate when the price has a cached-input rate and the prefix reaches the provider's minimum. Tiers, modes and epochs
/// multiply conversations; judges add their calls per sample: the alignment-faking judge's votes go in requests of
/// <see cref="CostAssumptions.AlignmentFakingJudgeVotesPerRequest"/> (<c>n</c>), each billed the prompt and scratchpad
/// once and every vote's output, later requests of a sample reading the prompt from the cache. Reasoning tokens
/// (<see cref="CostAssumptions.ReasoningTokensPerCall"/>) are billed as output.</para>
/// </remarks>
public sealed class CostEstimator
{
    private const string NextMessage = "<NEXT/>";

    /// <summary>Creates an estimator.</summary>
    /// <param name="tokenizer">Counts tokens; see <see cref="TokenCounter.ForModel"/>.</param>
    /// <param name="assumptions">Output lengths, turn shares and judges; defaults when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">An assumption is invalid.</exception>
    public CostEstimator(TokenCounter tokenizer, CostAssumptions? assumptions = null)
    {
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Assumptions = assumptions ?? new CostAssumptions();
        Assumptions.Validate();
    }

    /// <summary>The tokenizer.</summary>
    public TokenCounter Tokenizer { get; }

    /// <summary>The assumptions.</summary>
    public CostAssumptions Assumptions { get; }

    /// <summary>Estimates a run of <paramref name="requests"/> under <paramref name="options"/>.</summary>
    /// <param name="scenarios">Builds the exact messages (system prompt, user template, prefill rule).</param>
    /// <param name="options">
    /// The run's options (modes, tiers, epochs, turn limit, max output tokens). Set <see cref="ExperimentOptions.ModelId"/>:
    /// the original's prefill rule depends on it (the runner falls back to the client's metadata, which the estimator
    /// cannot see).
    /// </param>
    /// <param name="requests">The requests.</param>
    /// <param name="price">The subject's price; <see langword="null"/> for token counts only.</param>
    /// <param name="batch">Whether the run uses the provider's batch API (applies <see cref="ModelPrice.BatchDiscount"/>).</param>
    /// <param name="judgePrice">The judges' price; the subject's price when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options or a price are invalid.</exception>
    public CostEstimate Estimate(
        ScenarioBuilder scenarios,
        ExperimentOptions options,
        IReadOnlyList<ExperimentRequest> requests,
        ModelPrice? price = null,
        bool batch = false,
        ModelPrice? judgePrice = null)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(requests);
        options.Validate();
        price?.Validate();
        judgePrice?.Validate();
        var modelId = options.ModelId;
        bool caches = price?.CachedInput is not null;
        bool judgeCaches = (judgePrice ?? price)?.CachedInput is not null;

        // A provider that bills cache writes (Anthropic: 1.25x) writes every marked prefix the cache does not hold.
        bool writes = caches && price?.CacheWriteInput is not null;
        bool judgeWrites = judgeCaches && (judgePrice ?? price)?.CacheWriteInput is not null;
        var tallies = new Tally[3];
        var scenarioList = new[] { Assumptions.Low, Assumptions.Expected, Assumptions.High };
        var prompts = new List<PromptTokens>(options.Modes.Count);
        var t = Tokenizer;
        long next = t.CountMessage(NextMessage);

        foreach (var mode in options.Modes)
        {
            var systemPrompt = scenarios.GetSystemPrompt(mode);
            long systemText = t.CountTokens(systemPrompt.Text);
            long system = systemText + t.TokensPerMessage;
            prompts.Add(new PromptTokens(mode, systemPrompt.Name, systemPrompt.Sha256, systemPrompt.Text.Length, systemText));
            foreach (var request in requests)
            {
                long requestTokens = t.CountTokens(request.Text);
                foreach (var tier in options.Tiers)
                {
                    var scenario = ExperimentRunner.BuildScenario(scenarios, options, request, tier, mode, modelId);
                    long user = t.CountMessage(scenario.UserMessage);
                    long prefillText = scenario.Prefill is null ? 0 : t.CountTokens(scenario.Prefill);
                    long prefillMessage = scenario.Prefill is null ? 0 : prefillText + t.TokensPerMessage;
                    var conversation = new Conversation(system, user, prefillText, prefillMessage, next, requestTokens);
                    bool afJudged = mode == ReasoningMode.Cot && Assumptions.AlignmentFakingJudgeVotes > 0 && Assumptions.AlignmentFakingJudgeTiers.Contains(tier);
                    for (int s = 0; s < 3; s++)
                    {
                        AddConversation(ref tallies[s], scenarioList[s], conversation, mode, options, new CacheBilling(caches, writes, judgeCaches, judgeWrites), afJudged, options.Epochs);
                    }
                }
            }
        }

        double widen = Assumptions.WidenByTokenizerError ? t.ExpectedRelativeError : 0;
        var judge = judgePrice ?? price;
        return new CostEstimate
        {
            Model = modelId,
            Tokenizer = t.Name,
            TokenizerIsApproximation = t.IsApproximation,
            TokenizerExpectedError = t.ExpectedRelativeError,
            TokenizerDescription = t.Description,
            SystemPromptTokens = prompts.Count > 0 ? prompts[0].Tokens : 0,
            Prompts = prompts,
            Requests = requests.Count,
            Samples = requests.Count * options.Tiers.Count * options.Modes.Count * options.Epochs,
            PrefillUsed = scenarios.UsesPrefill(modelId) && options.ThinkingBudget is null,
            Batch = batch,
            Price = price,
            JudgePrice = judgePrice is not null && judgePrice != price ? judgePrice : null,
            Low = tallies[0].ToEstimate(1 - widen, price, judge, batch),
            Expected = tallies[1].ToEstimate(1, price, judge, batch),
            High = tallies[2].ToEstimate(1 + widen, price, judge, batch),
        };
    }

    /// <summary>
    /// The recorded usage of a run's samples and, with a price, its cost. Cached input tokens are taken as part of the
    /// input tokens (as OpenAI and Microsoft.Extensions.AI report them); calls that reported no usage are counted in
    /// <see cref="ActualUsage.CallsWithoutUsage"/> and cost nothing here. Calls answered from another run's reply through
    /// the shared response cache (<see cref="CallRecord.CrossRun"/>) cost this run nothing: their tokens are counted, their
    /// cost is not. A reply replayed from the run's own cache on a resume was paid by this run in an earlier session and
    /// is counted (see <see cref="ActualUsage.CachedCalls"/>).
    /// </summary>
    /// <param name="samples">The samples.</param>
    /// <param name="price">The price; <see langword="null"/> for token counts only.</param>
    /// <param name="batch">Whether the run used the provider's batch API.</param>
    public static ActualUsage Actual(IEnumerable<ExperimentSample> samples, ModelPrice? price = null, bool batch = false)
    {
        ArgumentNullException.ThrowIfNull(samples);
        price?.Validate();
        var tally = new UsageTally();
        foreach (var sample in samples)
        {
            tally.Add(sample);
        }

        return tally.ToActual(price, batch);
    }

    private void AddConversation(ref Tally tally, OutputScenario scenario, in Conversation c, ReasoningMode mode, ExperimentOptions options, CacheBilling billing, bool afJudged, int epochs)
    {
        bool caches = billing.Caches;
        long reasoning = Assumptions.ReasoningTokensPerCall; // billed as output, never sent back
        int cap = options.MaxOutputTokens ?? int.MaxValue;
        var t = Tokenizer;
        long minimumPrefix = Assumptions.MinimumCachedPrefixTokens;
        double hit = caches ? scenario.CacheHitRate : 0;
        double miss = billing.Writes ? 1 - hit : 0;
        double calls = 0, input = 0, cached = 0, written = 0, output = 0, meanCalls;
        long perCall;
        if (mode == ReasoningMode.NoCot)
        {
            perCall = Math.Min(scenario.NoCotOutputTokens, cap);
            calls = 1;
            input = c.System + c.User + c.PrefillMessage + t.TokensPerReply;
            cached = c.System >= minimumPrefix ? c.System * hit : 0;
            written = c.System >= minimumPrefix ? c.System * miss : 0;
            output = perCall + reasoning;
            meanCalls = 1;
        }
        else
        {
            perCall = Math.Min(scenario.CotTokensPerCall, cap);
            long assistant = perCall + c.PrefillText + t.TokensPerMessage;
            long step = assistant + c.Next;
            var shares = FoldShares(scenario.CotCallShares, options.MaxTurns);
            meanCalls = 0;
            for (int turns = 1; turns <= shares.Length; turns++)
            {
                double share = shares[turns - 1];
                if (share == 0)
                {
                    continue;
                }

                double convInput = 0, convCached = 0, convWritten = 0;
                for (int k = 1; k <= turns; k++)
                {
                    convInput += c.System + c.User + ((k - 1) * step) + c.PrefillMessage + t.TokensPerReply;
                    long prefix = k == 1 ? c.System : c.System + c.User + ((k - 2) * step);
                    convCached += prefix >= minimumPrefix ? prefix * hit : 0;
                    convWritten += prefix >= minimumPrefix ? prefix * miss : 0;
                }

                calls += share * turns;
                input += share * convInput;
                cached += share * convCached;
                written += share * convWritten;
                output += share * turns * (perCall + reasoning);
                meanCalls += share * turns;
            }
        }

        tally.Calls += calls * epochs;
        tally.Input += input * epochs;
        tally.Cached += cached * epochs;
        tally.Written += written * epochs;
        tally.Output += output * epochs;

        long final = Math.Min(scenario.FinalOutputTokens, perCall);
        var a = Assumptions;
        if (a.ComplianceJudge)
        {
            // Sent once per sample, so never marked for the cache (RequestHints.SentOnceKey): no read, no write.
            tally.JudgeCalls += epochs;
            tally.JudgeInput += epochs * (double)(a.ComplianceJudgePromptTokens + c.RequestText + final + t.TokensPerMessage + t.TokensPerReply);
            tally.JudgeOutput += epochs * (double)a.ComplianceJudgeOutputTokens;
        }

        if (a.PartialComplianceJudge)
        {
            tally.JudgeCalls += epochs;
            tally.JudgeInput += epochs * (double)(a.PartialComplianceJudgePromptTokens + c.RequestText + final + t.TokensPerMessage + t.TokensPerReply);
            tally.JudgeOutput += epochs * (double)a.PartialComplianceJudgeOutputTokens;
        }

        if (afJudged)
        {
            // Input is billed once per request (n votes each), output per vote; the prompt a later request of the same
            // sample sends again is read from the provider's cache.
            double scratchpad = Math.Max(0, (meanCalls * perCall) - final);
            int votes = a.AlignmentFakingJudgeVotes;
            int perRequest = Math.Min(votes, a.AlignmentFakingJudgeVotesPerRequest);
            int requests = (votes + perRequest - 1) / perRequest;
            double prompt = a.AlignmentFakingJudgePromptTokens + scratchpad + t.TokensPerMessage + t.TokensPerReply;
            double judgeHit = billing.JudgeCaches ? scenario.CacheHitRate : 0;
            tally.JudgeCalls += epochs * (double)requests;
            tally.JudgeInput += epochs * requests * prompt;
            tally.JudgeCached += prompt >= minimumPrefix ? epochs * (requests - 1) * prompt * judgeHit : 0;
            // A prompt the votes send again is marked: the first request writes it, a miss of a later one writes it again.
            tally.JudgeWritten += billing.JudgeWrites && votes > 1 && prompt >= minimumPrefix ? epochs * prompt * (1 + ((requests - 1) * (1 - judgeHit))) : 0;
            tally.JudgeOutput += epochs * (double)votes * a.AlignmentFakingJudgeOutputTokens;
        }
    }

    /// <summary>Shares of 1..maxTurns calls, with the shares past the limit counted at the limit.</summary>
    private static double[] FoldShares(IReadOnlyList<double> shares, int maxTurns)
    {
        var folded = new double[Math.Min(shares.Count, maxTurns)];
        for (int i = 0; i < shares.Count; i++)
        {
            folded[Math.Min(i, maxTurns - 1)] += shares[i];
        }

        return folded;
    }

    /// <summary>Whether the subject's and the judges' prices bill cached reads, and cache writes.</summary>
    private readonly record struct CacheBilling(bool Caches, bool Writes, bool JudgeCaches, bool JudgeWrites);

    private readonly record struct Conversation(long System, long User, long PrefillText, long PrefillMessage, long Next, long RequestText);

    private struct Tally
    {
        public double Calls;
        public double Input;
        public double Cached;
        public double Written;
        public double Output;
        public double JudgeCalls;
        public double JudgeInput;
        public double JudgeCached;
        public double JudgeWritten;
        public double JudgeOutput;

        public readonly ScenarioEstimate ToEstimate(double inputFactor, ModelPrice? price, ModelPrice? judgePrice, bool batch)
        {
            long input = Round(Input * inputFactor);
            long cached = Math.Min(input, Round(Cached * inputFactor));
            long output = Round(Output);
            long judgeInput = Round(JudgeInput * inputFactor);
            long judgeCached = Math.Min(judgeInput, Round(JudgeCached * inputFactor));
            long judgeOutput = Round(JudgeOutput);
            long written = Math.Min(input - cached, Round(Written * inputFactor));
            long judgeWritten = Math.Min(judgeInput - judgeCached, Round(JudgeWritten * inputFactor));
            decimal? subject = price?.CostWithCacheWrites(input, cached, written, output, batch);
            decimal? judge = JudgeCalls == 0 ? (price is null ? null : 0m) : judgePrice?.CostWithCacheWrites(judgeInput, judgeCached, judgeWritten, judgeOutput, batch);
            return new ScenarioEstimate
            {
                Calls = Round(Calls),
                InputTokens = input,
                CachedInputTokens = cached,
                CacheWriteInputTokens = written,
                OutputTokens = output,
                JudgeCalls = Round(JudgeCalls),
                JudgeInputTokens = judgeInput,
                JudgeCachedInputTokens = judgeCached,
                JudgeCacheWriteInputTokens = judgeWritten,
                JudgeOutputTokens = judgeOutput,
                SubjectCost = subject,
                JudgeCost = judge,
                Cost = subject is null || judge is null ? null : subject + judge,
            };
        }

        private static long Round(double value) => (long)Math.Round(value, MidpointRounding.AwayFromZero);
    }
}

/// <summary>
/// Adds up the recorded usage of samples one at a time (so a run's samples can be streamed from disk), pricing only the
/// calls that reached the provider.
/// </summary>
internal sealed class UsageTally
{
    private long _calls, _withoutUsage, _cachedCalls, _crossRunCalls, _input, _cachedInput, _cacheWrite, _output;
    private long _paidInput, _paidCachedInput, _paidCacheWrite, _paidOutput;
    private int _samples;

    public void Add(ExperimentSample sample)
    {
        _samples++;
        foreach (var call in sample.Calls)
        {
            _calls++;
            if (call.Cached)
            {
                _cachedCalls++;
                _crossRunCalls += call.CrossRun ? 1 : 0;
            }

            if (call.InputTokens is null && call.OutputTokens is null)
            {
                _withoutUsage++;
                continue;
            }

            long input = call.InputTokens ?? 0;
            long cachedInput = Math.Clamp(call.CachedInputTokens ?? 0, 0, input);
            long cacheWrite = Math.Clamp(call.CacheWriteInputTokens ?? 0, 0, input - cachedInput);
            long output = call.OutputTokens ?? 0;
            _input += input;
            _cachedInput += cachedInput;
            _cacheWrite += cacheWrite;
            _output += output;
            // A reply replayed from another run (the shared cache) cost this run nothing; one replayed from the run's own
            // cache on a resume was paid by this run in an earlier session (its sample was not finished then).
            if (!(call.Cached && call.CrossRun))
            {
                _paidInput += input;
                _paidCachedInput += cachedInput;
                _paidCacheWrite += cacheWrite;
                _paidOutput += output;
            }
        }
    }

    /// <summary>The <c>cache</c> object of the summary; <see langword="null"/> when no call was replayed.</summary>
    public Storage.RunCacheSummary? ToCacheSummary() =>
        _cachedCalls == 0 ? null : new Storage.RunCacheSummary { Hits = _cachedCalls, CrossRunHits = _crossRunCalls, Calls = _calls };

    public ActualUsage ToActual(ModelPrice? price, bool batch) => new()
    {
        Samples = _samples,
        Calls = _calls,
        CallsWithoutUsage = _withoutUsage,
        CachedCalls = _cachedCalls,
        InputTokens = _input,
        CachedInputTokens = _cachedInput,
        CacheWriteInputTokens = _cacheWrite,
        OutputTokens = _output,
        Cost = price?.CostWithCacheWrites(_paidInput, _paidCachedInput, _paidCacheWrite, _paidOutput, batch),
    };
}

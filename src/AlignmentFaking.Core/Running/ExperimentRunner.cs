using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AlignmentFaking.Classification;
using AlignmentFaking.Costs;
using AlignmentFaking.Datasets;
using AlignmentFaking.Diagnostics;
using AlignmentFaking.Internal;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlignmentFaking.Running;

/// <summary>
/// Runs the experiment over any <see cref="IChatClient"/>: every request in every tier and mode, for every epoch, with
/// the original's turn loop, and classifies each sample with the compliance proxy.
/// </summary>
/// <remarks>
/// Each run calls the subject through a <see cref="ChatClientBuilder"/> pipeline composed over it, outermost first:
/// <see cref="CallTelemetryChatClient"/> (unless the subject's pipeline has one), <see cref="ResponseCachingChatClient"/>
/// when <see cref="ExperimentOptions.ResponseCache"/> or <see cref="ExperimentOptions.SharedResponseCache"/> is set, and
/// <see cref="RunBudgetChatClient"/> when <see cref="ExperimentOptions.Budget"/> is set. A subject composed with
/// <c>UseResponseCache</c> or <c>UseRunBudget</c> itself (e.g. through <c>AddSubjectChatClient</c>) works the same way:
/// the runner sends each call's epoch to a response cache it finds in the pipeline (<see cref="ResponseCachingChatClient.EpochKey"/>),
/// reads the replay marks of the replies into the call records, and stops launching when a budget it finds refuses a call.
/// </remarks>
public sealed class ExperimentRunner
{
    private readonly IChatClient _subject;
    private readonly ScenarioBuilder _scenarios;
    private readonly ExperimentOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a runner.</summary>
    /// <param name="subject">The model under test.</param>
    /// <param name="scenarios">How conversations are built; the built-in paraphrase prompts when <see langword="null"/>.</param>
    /// <param name="options">Run options; defaults when <see langword="null"/>.</param>
    /// <param name="logger">Receives warnings about samples without a verdict; none when <see langword="null"/>.</param>
    public ExperimentRunner(IChatClient subject, ScenarioBuilder? scenarios = null, ExperimentOptions? options = null, ILogger<ExperimentRunner>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _subject = subject ?? throw new ArgumentNullException(nameof(subject));
        _scenarios = scenarios ?? new ScenarioBuilder();
        _options = options ?? new ExperimentOptions();
        _options.Validate();
        if ((_options.ResponseCache is not null || _options.SharedResponseCache is not null) && _subject.GetService<ResponseCachingChatClient>() is not null)
        {
            throw new ArgumentException("the response cache is set twice: in ExperimentOptions and in the subject's pipeline (UseResponseCache); keep one", nameof(options));
        }

        if (PrefillOffForThinking(_scenarios, _options, ModelId) && _logger.IsEnabled(LogLevel.Information))
        {
            _logger.LogInformation("extended thinking refuses an assistant prefill: this thinking run sends none (the prefill policy is {Policy})", _scenarios.Prefill);
        }
    }

    /// <summary>The model id used for the prefill rule and sent with each call, if known.</summary>
    public string? ModelId => _options.ModelId ?? _subject.GetService<ChatClientMetadata>()?.DefaultModelId;

    /// <summary>The options of this runner.</summary>
    public ExperimentOptions Options => _options;

    /// <summary>The scenario builder of this runner.</summary>
    public ScenarioBuilder Scenarios => _scenarios;

    /// <summary>The work of a run over <paramref name="requests"/>, in launch order.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="shard">Only this shard's requests; all when <see langword="null"/>.</param>
    public IReadOnlyList<SampleKey> Plan(IReadOnlyList<ExperimentRequest> requests, Shard? shard = null) => WorkPlan.Create(requests, _options, shard);

    /// <summary>Runs the experiment and returns every sample with the summary.</summary>
    /// <param name="requests">The requests.</param>
    /// <param name="progress">Receives progress after each sample.</param>
    /// <param name="cancellationToken">Stops launching new conversations and cancels those in flight.</param>
    public async Task<ExperimentResult> RunAsync(
        IReadOnlyList<ExperimentRequest> requests,
        IProgress<RunProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var samples = new List<ExperimentSample>();
        await foreach (var sample in StreamAsync(Plan(requests), progress, cancellationToken).ConfigureAwait(false))
        {
            samples.Add(sample);
        }

        samples.Sort(SampleOrder.Instance);
        return new ExperimentResult(samples, RunSummary.Compute(ModelId ?? "unknown", samples));
    }

    /// <summary>
    /// Runs the given work and yields each sample as soon as it finishes (completion order, not plan order). Cancelling
    /// stops launching, cancels calls in flight and ends the sequence; finished samples have all been yielded. A
    /// <see cref="FatalCallException"/> from the subject (wrong key, model or URL) stops the run the same way and is
    /// rethrown; any other failed call becomes an <c>error</c> sample. A caller that stops reading (leaves its
    /// <c>await foreach</c>, or its loop body throws, e.g. a failed append) stops the run too: nothing more is
    /// launched, the calls in flight are cancelled, and disposing the enumerator returns once they have ended.
    /// </summary>
    /// <param name="work">The samples to produce (see <see cref="Plan"/>).</param>
    /// <param name="progress">Receives progress after each sample.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    public async IAsyncEnumerable<ExperimentSample> StreamAsync(
        IReadOnlyList<SampleKey> work,
        IProgress<RunProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        var channel = Channel.CreateBounded<ExperimentSample>(new BoundedChannelOptions(Math.Max(64, _options.MaxConcurrency * 4))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var time = _options.TimeProvider;
        var pipeline = ComposePipeline();
        long started = time.GetTimestamp();
        long calls = 0, inputTokens = 0, outputTokens = 0;
        int completed = 0;
        string? modelId = ModelId;
        var recent = new CompletionRate(time);

        // Cancelled when the caller cancels, and when the caller stops reading (see the finally below).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var runToken = stop.Token;
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    await Parallel.ForEachAsync(
                        work,
                        new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = runToken },
                        async (key, ct) =>
                        {
                            if (pipeline.BudgetStopped)
                            {
                                return;
                            }

                            var sample = await RunConversationAsync(pipeline, key, modelId, ct).ConfigureAwait(false);
                            if (sample is null)
                            {
                                return; // stopped by the budget: not a sample, resumable
                            }

                            recent.Record();
                            Interlocked.Add(ref calls, sample.Turns);
                            Interlocked.Add(ref inputTokens, sample.Usage.InputTokens);
                            Interlocked.Add(ref outputTokens, sample.Usage.OutputTokens);
                            await channel.Writer.WriteAsync(sample, ct).ConfigureAwait(false);
                        }).ConfigureAwait(false);
                    channel.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    channel.Writer.TryComplete(ex);
                }
            },
            CancellationToken.None);

        try
        {
            await foreach (var sample in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                completed++;
                progress?.Report(new RunProgress(completed, work.Count, Interlocked.Read(ref calls), Interlocked.Read(ref inputTokens), Interlocked.Read(ref outputTokens), time.GetElapsedTime(started))
                {
                    RecentSamplesPerSecond = recent.PerSecond(),
                });
                yield return sample;
            }
        }
        finally
        {
            // Reached when the run ended, and when the caller stopped reading early (left its loop, or its loop body
            // threw): launch nothing more, cancel what is in flight, and return only once it has ended. The producer
            // never throws (it completes the channel with its failure instead).
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(false);
        }
        if (pipeline.BudgetStopped)
        {
            decimal spent = pipeline.Budget?.Spent ?? pipeline.Stop?.Spent ?? 0;
            decimal limit = pipeline.Budget?.LimitUsd ?? pipeline.Stop?.Limit ?? 0;
            throw new BudgetExhaustedException($"the budget of ${limit} would be passed (spent ${decimal.Round(spent, 4)}): stopped launching calls; {completed} samples finished in this session")
            {
                Spent = spent,
                Limit = limit,
            };
        }
    }

    /// <summary>
    /// The pipeline of a run over the subject (see the remarks of the class), composed when the run starts, so a budget
    /// set on the options after the runner was created applies.
    /// </summary>
    private RunPipeline ComposePipeline()
    {
        var builder = _subject.AsBuilder(); // first Use = outermost
        if (_subject.GetService<CallTelemetryChatClient>() is null)
        {
            builder.UseCallTelemetry(_options.TimeProvider);
        }

        if (_options.ResponseCache is not null || _options.SharedResponseCache is not null)
        {
            builder.UseResponseCache(_options.ResponseCache, _options.SharedResponseCache, _logger);
        }

        if (_options.Budget is { } budget)
        {
            var composed = _subject.GetService<RunBudget>();
            if (composed is not null && !ReferenceEquals(composed, budget))
            {
                throw new ArgumentException("the budget is set twice: in ExperimentOptions.Budget and in the subject's pipeline (UseRunBudget); keep one", nameof(ExperimentOptions.Budget));
            }

            if (composed is null)
            {
                builder.UseRunBudget(budget);
            }
        }

        if (_subject.GetService<NativeReasoningChatClient>() is null)
        {
            builder.UseNativeReasoning(); // innermost: the cache stores the split reply
        }

        var client = builder.Build();
        return new RunPipeline(client, client.GetService<RunBudget>(), client.GetService<ResponseCachingChatClient>() is not null);
    }

    /// <summary>Runs one conversation to its end. Never throws for a failed call; the sample records the error.</summary>
    private async Task<ExperimentSample?> RunConversationAsync(RunPipeline pipeline, SampleKey key, string? modelId, CancellationToken cancellationToken)
    {
        using var activity = AlignmentFakingTelemetry.Source.StartActivity("af.conversation");
        activity?.SetTag("af.sample_id", key.SampleId);
        activity?.SetTag("af.tier", key.Tier.ToName());
        activity?.SetTag("af.mode", key.Mode.ToName());
        var sample = await RunConversationCoreAsync(pipeline, key, modelId, cancellationToken).ConfigureAwait(false);
        if (sample is null)
        {
            activity?.SetTag("af.stopped", "budget");
            return null;
        }

        activity?.SetTag("af.turns", sample.Turns);
        activity?.SetTag("af.proxy", OutcomeNames.ToName(sample.Proxy));
        if (sample.OutputSource == OutputSource.CallFailed)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, sample.Error);
            if (_logger.IsEnabled(LogLevel.Warning))
            {
                _logger.LogWarning("sample {SampleId} has no verdict: {Error}", sample.SampleId, sample.Error);
            }
        }

        AlignmentFakingTelemetry.Samples.Add(1, new KeyValuePair<string, object?>("af.outcome", OutcomeNames.ToName(sample.Proxy)));
        return sample;
    }

    private async Task<ExperimentSample?> RunConversationCoreAsync(RunPipeline pipeline, SampleKey key, string? modelId, CancellationToken cancellationToken)
    {
        var scenario = BuildScenario(_scenarios, _options, key.Request, key.Tier, key.Mode, modelId);
        var loop = new ConversationLoop(scenario, _options.Extraction, _options.MaxTurns);
        var chatOptions = CreateChatOptions(_options, key.Epoch);
        if (pipeline.SendsEpoch)
        {
            // Read by the response cache's key and removed there: never sent to the provider.
            (chatOptions.AdditionalProperties ??= [])[ResponseCachingChatClient.EpochKey] = key.Epoch;
        }

        var callRecords = new List<CallRecord>(scenario.Mode == ReasoningMode.Cot ? _options.MaxTurns : 1);
        var usage = TokenUsage.Zero;
        string? lastFinish = null;
        string? error = null;
        var time = _options.TimeProvider;

        while (!loop.IsFinished)
        {
            var messages = loop.NextMessages();
            long start = time.GetTimestamp();
            ChatResponse response;
            try
            {
                response = await pipeline.Client.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (FatalCallException)
            {
                throw;
            }
            catch (BudgetExhaustedException ex)
            {
                pipeline.StopByBudget(ex);
                return null; // not made: stopped by the budget, not a sample, resumable
            }
#pragma warning disable CA1031 // a failed call becomes an explicit outcome of its sample, never a crash of the run
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = SecretRedactor.Redact($"{ex.GetType().Name}: {ex.Message}");
                callRecords.Add(new CallRecord { Turn = loop.Turns + 1, LatencyMs = time.GetElapsedTime(start).TotalMilliseconds, Error = error });
                break;
            }

            var latency = time.GetElapsedTime(start);
            lastFinish = response.FinishReason?.Value;
            var details = response.Usage;
            callRecords.Add(new CallRecord
            {
                Turn = loop.Turns + 1,
                InputTokens = details?.InputTokenCount,
                OutputTokens = details?.OutputTokenCount,
                CachedInputTokens = details?.CachedInputTokenCount,
                CacheWriteInputTokens = UsageCounts.CacheWrite(details),
                ReasoningTokens = details?.ReasoningTokenCount,
                FinishReason = lastFinish,
                LatencyMs = latency.TotalMilliseconds,
                ModelId = response.ModelId,
                ResponseId = response.ResponseId,
                Cached = Marked(response, ResponseCachingChatClient.CachedKey),
                CrossRun = Marked(response, ResponseCachingChatClient.CrossRunKey),
                Repaired = response.AdditionalProperties?.TryGetValue(ModelHttpClient.RepairedKey, out object? repaired) == true ? repaired as string : null,
            });
            usage += new TokenUsage(details?.InputTokenCount ?? 0, details?.OutputTokenCount ?? 0);
            var reply = NativeReasoningChatClient.Read(response);
            loop.Accept(reply.Text, reply.Reasoning, reply.ReasoningHidden, reply.HiddenKind);
        }

        return BuildSample(key, scenario, loop, usage, callRecords, lastFinish, error);
    }

    /// <summary>
    /// The first call of a conversation: the scenario builder's, without the prefill in a thinking run
    /// (<see cref="ExperimentOptions.ThinkingBudget"/>: Anthropic refuses a prefill with extended thinking).
    /// </summary>
    internal static Scenario BuildScenario(ScenarioBuilder scenarios, ExperimentOptions options, ExperimentRequest request, Tier tier, ReasoningMode mode, string? modelId)
    {
        var scenario = scenarios.Build(request, tier, mode, modelId);
        return options.ThinkingBudget is null ? scenario : scenario.WithoutPrefill();
    }

    /// <summary>Whether a thinking run turns off the prefill the prefill policy would send to <paramref name="modelId"/>.</summary>
    internal static bool PrefillOffForThinking(ScenarioBuilder scenarios, ExperimentOptions options, string? modelId) =>
        options.ThinkingBudget is not null && scenarios.UsesPrefill(modelId);

    /// <summary>The options of every call of a conversation (the online and batch runners send the same).</summary>
    internal static ChatOptions CreateChatOptions(ExperimentOptions options, int epoch)
    {
        var chatOptions = new ChatOptions
        {
            Temperature = options.Temperature,
            MaxOutputTokens = options.MaxOutputTokens,
            Seed = options.Seed + epoch,
            ModelId = options.ModelId,
        };
        if (options.ReasoningEffort is { } effort)
        {
            chatOptions.Reasoning = new ReasoningOptions { Effort = effort };
        }

        if (options.ThinkingBudget is { } budget)
        {
            // Read by the provider client that supports extended thinking, and removed there.
            chatOptions.AdditionalProperties = new() { [NativeReasoningChatClient.ThinkingBudgetKey] = budget };
        }

        return chatOptions;
    }

    private static bool Marked(ChatResponse response, string key) =>
        response.AdditionalProperties is { } properties && properties.TryGetValue(key, out object? value) && value is true;

    /// <summary>
    /// The sample of a finished conversation; the one place samples are built, so the online and batch runners give
    /// identical samples for identical replies.
    /// </summary>
    internal static ExperimentSample BuildSample(SampleKey key, Scenario scenario, ConversationLoop loop, TokenUsage usage, IReadOnlyList<CallRecord> calls, string? lastFinish, string? error)
    {
        var source = error is not null ? OutputSource.CallFailed : loop.OutputSource;
        var output = error is not null ? null : loop.Output;
        return new ExperimentSample
        {
            SampleId = key.SampleId,
            RequestIndex = key.Request.Index,
            Request = key.Request.Text,
            Tier = key.Tier,
            Mode = key.Mode,
            Epoch = key.Epoch,
            Output = output,
            OutputSource = source,
            Proxy = ComplianceProxyClassifier.Classify(output, source, lastFinish),
            Turns = loop.Turns,
            Transcript = loop.Transcript,
            Usage = usage,
            Calls = calls,
            SystemPromptSha256 = scenario.SystemPrompt.Sha256,
            Prefill = scenario.Prefill,
            FinishReason = lastFinish,
            Error = error ?? loop.Problem,
        };
    }
}

/// <summary>The subject's pipeline of one run, what the runner found in it, and whether a budget stopped the run.</summary>
internal sealed class RunPipeline(IChatClient client, RunBudget? budget, bool sendsEpoch)
{
    private BudgetExhaustedException? _stop;

    /// <summary>The pipeline.</summary>
    public IChatClient Client => client;

    /// <summary>The budget in the pipeline, if any.</summary>
    public RunBudget? Budget => budget;

    /// <summary>Whether a response cache in the pipeline reads the epoch of each call.</summary>
    public bool SendsEpoch => sendsEpoch;

    /// <summary>The first refusal of a budget in the pipeline, if any.</summary>
    public BudgetExhaustedException? Stop => Volatile.Read(ref _stop);

    /// <summary>Whether a budget refused a call (or is exhausted): nothing more is launched.</summary>
    public bool BudgetStopped => Stop is not null || Budget?.Exhausted == true;

    /// <summary>Records that a budget refused a call.</summary>
    public void StopByBudget(BudgetExhaustedException refusal) => Interlocked.CompareExchange(ref _stop, refusal, null);
}

internal sealed class SampleOrder : IComparer<ExperimentSample>
{
    public static SampleOrder Instance { get; } = new();

    public int Compare(ExperimentSample? x, ExperimentSample? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        int c = x.Mode.CompareTo(y.Mode);
        if (c == 0)
        {
            c = x.Epoch.CompareTo(y.Epoch);
        }

        if (c == 0)
        {
            c = x.RequestIndex.CompareTo(y.RequestIndex);
        }

        return c != 0 ? c : x.Tier.CompareTo(y.Tier);
    }
}

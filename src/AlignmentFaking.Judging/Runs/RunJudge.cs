using AlignmentFaking.Classification;
using AlignmentFaking.Judging.Agreement;
using AlignmentFaking.Judging.Caching;
using AlignmentFaking.Judging.Internal;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Judging.Runs;

/// <summary>
/// Judges the samples of a finished run without calling the subject again (what <c>af judge</c> does): every sample
/// gets a compliance verdict in <see cref="ExperimentSample.Judge"/> and, for CoT samples with reasoning, an
/// alignment-faking assessment; the run directory's <c>samples.jsonl</c> is rewritten atomically and
/// <c>summary.json</c> recomputed with judge rates and the AF rate. As an <see cref="ISampleJudge"/> it judges each
/// sample of an <see cref="ExperimentSession"/> as the run goes.
/// </summary>
public sealed class RunJudge : ISampleJudge
{
    private readonly IComplianceClassifier _compliance;
    private readonly AlignmentFakingReasoningClassifier? _alignmentFaking;
    private readonly RunJudgeOptions _options;

    /// <summary>Creates a run judge.</summary>
    /// <param name="compliance">The compliance judge (e.g. <c>LlmJudgeClassifier</c>).</param>
    /// <param name="alignmentFaking">The reasoning judge; CoT samples are not assessed when <see langword="null"/>.</param>
    /// <param name="options">Options; defaults when <see langword="null"/>.</param>
    public RunJudge(IComplianceClassifier compliance, AlignmentFakingReasoningClassifier? alignmentFaking = null, RunJudgeOptions? options = null)
    {
        _compliance = compliance ?? throw new ArgumentNullException(nameof(compliance));
        _alignmentFaking = alignmentFaking;
        _options = options ?? new RunJudgeOptions();
        _options.Validate();
    }

    /// <summary>
    /// Judges samples (at most <see cref="RunJudgeOptions.MaxConcurrency"/> at once) and returns them in the same order
    /// with <see cref="ExperimentSample.Judge"/> and <see cref="ExperimentSample.AlignmentFaking"/> set.
    /// </summary>
    /// <param name="samples">The samples.</param>
    /// <param name="progress">Receives progress after each sample.</param>
    /// <param name="cancellationToken">Cancels the judgement.</param>
    public async Task<IReadOnlyList<ExperimentSample>> JudgeSamplesAsync(
        IReadOnlyList<ExperimentSample> samples,
        IProgress<JudgeProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return await JudgeIntoAsync(samples, new ExperimentSample[samples.Count], progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the judge calls the next judgement of <paramref name="samples"/> would make, without making any: every
    /// sample goes through <see cref="JudgeSampleAsync"/> with replies taken from the judge cache, and each reply missing
    /// there is recorded instead of asked for (samples already judged and replies already cached need none). Calls that
    /// depend on other replies (a retry after an unparseable reply; with <see cref="RunJudgeOptions.AssessOnlyCompliant"/>,
    /// the votes after the compliance verdict) appear once those replies are cached, so plan again after storing them
    /// until the plan is empty. Only judges built on this library's classifiers are planned; a custom classifier's own
    /// calls are made as usual.
    /// </summary>
    /// <param name="samples">The samples.</param>
    /// <param name="fallbackCache">The cache of classifiers configured without one; such classifiers make their calls as usual when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the planning.</param>
    internal async Task<JudgeCallPlan> PlanJudgeCallsAsync(IReadOnlyList<ExperimentSample> samples, JudgeCache? fallbackCache = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var scope = new JudgeCallPlanScope(fallbackCache);
        await Task.Run(
            async () =>
            {
                await Parallel.ForEachAsync(
                    samples,
                    new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                    async (sample, ct) =>
                    {
                        scope.EnterSample();
                        await JudgeSampleAsync(sample, ct).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        var calls = scope.Calls.OrderBy(c => c.CacheKey, StringComparer.Ordinal).ToArray();
        return new JudgeCallPlan(calls, scope.SamplesPending, samples.Count);
    }

    /// <summary>
    /// <see cref="JudgeDirectoryAsync"/> without calling the judge: every reply comes from the cache, and a call without
    /// a cached reply gives an error reply (with the reason in <paramref name="failures"/>, if there) instead.
    /// </summary>
    internal async Task<(RunJudgement Judgement, int Unanswered)> JudgeDirectoryFromCacheAsync(
        string directory, JudgeCache fallbackCache, IReadOnlyDictionary<string, string> failures, IProgress<JudgeProgress>? progress, CancellationToken cancellationToken)
    {
        var scope = new JudgeCallPlanScope(fallbackCache, failures);
        var judgement = await Task.Run(
            () =>
            {
                scope.Enter();
                return JudgeLockedDirectoryAsync(directory, progress, cancellationToken);
            },
            cancellationToken).ConfigureAwait(false);
        return (judgement, scope.Calls.Count);
    }

    /// <summary>Judges into <paramref name="completed"/>, which holds every sample (judged or not yet) also when this throws.</summary>
    private async Task<ExperimentSample[]> JudgeIntoAsync(
        IReadOnlyList<ExperimentSample> samples,
        ExperimentSample[] completed,
        IProgress<JudgeProgress>? progress,
        CancellationToken cancellationToken)
    {
        var result = completed;
        for (int i = 0; i < samples.Count; i++)
        {
            result[i] = samples[i];
        }

        int done = 0;
        await Parallel.ForEachAsync(
            Enumerable.Range(0, samples.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                result[i] = await JudgeSampleAsync(samples[i], ct).ConfigureAwait(false);
                progress?.Report(new JudgeProgress(Interlocked.Increment(ref done), samples.Count));
            }).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Judges a run directory in place, holding its lock (<see cref="RunDirectory.AcquireLock"/>; another writer gets
    /// <see cref="RunDirectoryLockedException"/>): repairs a torn last line of <c>samples.jsonl</c> as a resume does
    /// (<see cref="RunDirectory.RepairTornLineAsync"/>: dropped, the run no longer complete if a planned sample is now
    /// missing; <see cref="RunJudgement.RepairedTornLine"/> says which), reads <c>samples.jsonl</c>, judges every sample, rewrites
    /// <c>samples.jsonl</c> atomically when a sample changed (a temporary file moved over it; when cancelled or failing,
    /// the samples judged so far are written before the exception is thrown) and recomputes <c>summary.json</c> from the
    /// samples and the manifest (<see cref="RunDirectory.UpdateSummaryAsync"/>: judge rates, AF rate, cost; also when
    /// cancelled, for the samples judged so far). A second
    /// judgement with nothing left to judge changes no file.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="progress">Receives progress after each sample.</param>
    /// <param name="cancellationToken">Cancels the judgement.</param>
    public async Task<RunJudgement> JudgeDirectoryAsync(string directory, IProgress<JudgeProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _ = RunDirectory.ReadManifest(directory);
        using var directoryLock = RunDirectory.AcquireLock(directory);
        return await JudgeLockedDirectoryAsync(directory, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><see cref="JudgeDirectoryAsync"/> for a caller that holds the directory's lock.</summary>
    internal async Task<RunJudgement> JudgeLockedDirectoryAsync(string directory, IProgress<JudgeProgress>? progress, CancellationToken cancellationToken)
    {
        _ = RunDirectory.ReadManifest(directory);
        int? repaired = await RunDirectory.RepairTornLineAsync(directory, cancellationToken).ConfigureAwait(false);
        var samples = RunDirectory.ReadSamples(directory);
        var judged = new ExperimentSample[samples.Count];
        try
        {
            await JudgeIntoAsync(samples, judged, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled or crashed: keep what was judged (the others are unchanged) and summarize it, then let the caller see why.
            await WriteIfChangedAsync(CancellationToken.None).ConfigureAwait(false);
            await RunDirectory.UpdateSummaryAsync(directory, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        await WriteIfChangedAsync(cancellationToken).ConfigureAwait(false);
        var summary = await RunDirectory.UpdateSummaryAsync(directory, cancellationToken).ConfigureAwait(false);
        return new RunJudgement
        {
            Samples = judged,
            Summary = summary,
            Agreement = AgreementReport.ProxyVsJudge(judged),
            Judged = judged.Where((s, i) => !ReferenceEquals(s, samples[i])).Count(),
            RepairedTornLine = repaired,
        };

        Task WriteIfChangedAsync(CancellationToken ct) =>
            judged.Where((s, i) => !ReferenceEquals(s, samples[i])).Any() ? WriteSamplesAsync(directory, judged, ct) : Task.CompletedTask;
    }

    /// <summary>
    /// Rewrites <c>samples.jsonl</c> of a run directory atomically (temporary file, flushed, then moved over it); see
    /// <see cref="RunDirectory.RewriteSamplesAsync"/>. The caller holds the directory's lock.
    /// </summary>
    /// <param name="directory">The run directory.</param>
    /// <param name="samples">The samples, in the order to write.</param>
    /// <param name="cancellationToken">Cancels the write (before the move).</param>
    public static Task WriteSamplesAsync(string directory, IReadOnlyList<ExperimentSample> samples, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(samples);
        return RunDirectory.RewriteSamplesAsync(directory, samples, cancellationToken);
    }

    /// <summary>
    /// Judges one sample (e.g. as it finishes during a run): returns it with <see cref="ExperimentSample.Judge"/> and, for
    /// a CoT sample (or one whose native reasoning the classifier reads), <see cref="ExperimentSample.AlignmentFaking"/> set; a sample that already has them is returned as is
    /// unless <see cref="RunJudgeOptions.Rejudge"/> is set (a failed judge call is always retried).
    /// </summary>
    /// <param name="sample">The sample.</param>
    /// <param name="cancellationToken">Cancels the judge calls.</param>
    public async Task<ExperimentSample> JudgeSampleAsync(ExperimentSample sample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        // A CoT sample, or any sample with native reasoning when the classifier reads it (--af-source reasoning|both).
        bool wantsAf = _alignmentFaking is not null && (sample.Mode == ReasoningMode.Cot || _alignmentFaking.ReasoningOf(sample).Length > 0);
        // A failed judge call is not a result: it is judged again on the next pass.
        bool needsJudge = _options.Rejudge || sample.Judge is null or ComplianceOutcome.Error;
        bool needsAf = wantsAf && (_options.Rejudge || sample.AlignmentFaking is null || sample.AlignmentFaking.Votes.Any(v => v.Answer == AlignmentFakingVote.Error));
        if (!needsJudge && !needsAf)
        {
            return sample;
        }

        var judge = sample.Judge;
        var explanation = sample.JudgeExplanation;
        if (needsJudge)
        {
            var verdict = await _compliance.ClassifyAsync(sample, cancellationToken).ConfigureAwait(false);
            judge = verdict.Outcome;
            explanation = string.IsNullOrWhiteSpace(verdict.RawReply) ? verdict.Reason : verdict.RawReply.Trim();
        }

        var af = sample.AlignmentFaking;
        if (needsAf && _options.AssessOnlyCompliant && judge != ComplianceOutcome.Complied)
        {
            needsAf = false;
        }

        if (needsAf)
        {
            af = await _alignmentFaking!.ClassifyAsync(sample, cancellationToken).ConfigureAwait(false);
        }

        return sample with { Judge = judge, JudgeExplanation = explanation, AlignmentFaking = af };
    }
}

using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running.Batch;

/// <summary>
/// What a batch workload adds to the <see cref="BatchRoundEngine"/>: what its requests are and what a result does. The
/// engine owns the rest (the journal, its replay on resume, splitting by the provider's limits, recovery of a batch
/// created but not recorded, polling, taking in results, attempts per call). The engine calls the members from one
/// thread at a time, in this order: <see cref="Replay"/> for each earlier line, <see cref="StartAsync"/>, then per
/// round <see cref="NextRoundAsync"/> and, for each result, <see cref="Accepts"/> and <see cref="TakeReplyAsync"/> or
/// <see cref="TakeFailure"/>; <see cref="FinishAsync"/> last. <see cref="BatchExperimentRunner"/> (conversations, one
/// turn per round) and the judges' batch path (independent judge calls) are the two workloads of this library.
/// </summary>
/// <typeparam name="TOutput">What the workload hands out as it goes (<see cref="TakeFinished"/>).</typeparam>
public interface IBatchRoundWork<TOutput>
{
    /// <summary>
    /// A label of the workload in the batches' metadata (<c>af_kind</c>) and the input file names
    /// (<c>af-{kind}-round{n}-part{p}.jsonl</c>); <see langword="null"/> for none (<c>af-round{n}-part{p}.jsonl</c>).
    /// </summary>
    string? Kind { get; }

    /// <summary>
    /// Whether the next round waits until no batch is in flight (its calls may depend on the replies in flight); when
    /// <see langword="false"/>, the calls no batch in flight carries are sent at once.
    /// </summary>
    bool WaitBeforeNextRound { get; }

    /// <summary>Work finished, for progress (e.g. samples done).</summary>
    int Completed { get; }

    /// <summary>Work in all, for progress.</summary>
    int Total { get; }

    /// <summary>
    /// The call a custom id is an attempt of: attempts are counted per call, and a call carried by a batch in flight is
    /// not sent again. The custom id itself when each call keeps one id.
    /// </summary>
    /// <param name="customId">A request's custom id.</param>
    string CallKey(string customId);

    /// <summary>
    /// Takes in one line an earlier process wrote, on resume, in file order: every kind but <c>file</c>, <c>batch</c> and
    /// <c>consumed</c> (which the engine reads itself), a <c>failed</c> line once per batch and custom id.
    /// </summary>
    /// <param name="entry">The line.</param>
    /// <param name="attempts">For <c>failed</c>: the attempts of its call recorded up to that line.</param>
    void Replay(BatchJournalEntry entry, int attempts);

    /// <summary>Called once after the replay, before the recovery of unrecorded batches and the first round.</summary>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    ValueTask StartAsync(CancellationToken cancellationToken);

    /// <summary>Whether an input recorded without its batch (a crash around the create call) is still needed for this request.</summary>
    /// <param name="customId">A custom id the input carries.</param>
    bool IsNeeded(string customId);

    /// <summary>
    /// The requests of the next round: every call still to make. The engine leaves out calls carried by batches in
    /// flight and calls already sent <see cref="BatchRunOptions.MaxAttemptsPerTurn"/> times; when none is left and no
    /// batch is in flight, the run ends.
    /// </summary>
    /// <param name="cancellationToken">Cancels the planning.</param>
    ValueTask<IReadOnlyList<BatchRequest>> NextRoundAsync(CancellationToken cancellationToken);

    /// <summary>Whether a result for this custom id is still wanted; unknown and stale results are skipped.</summary>
    /// <param name="customId">The result's custom id (one the batch carried).</param>
    bool Accepts(string customId);

    /// <summary>
    /// Takes in a reply and returns the journal line to record for it (the engine sets its kind <c>reply</c>, time,
    /// batch and custom id), or <see langword="null"/> to record none.
    /// </summary>
    /// <param name="customId">The request's custom id.</param>
    /// <param name="response">The reply.</param>
    /// <param name="batchId">The batch it came from.</param>
    /// <param name="latency">Time from the batch's creation (as recorded) to taking in its results.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    ValueTask<BatchJournalEntry?> TakeReplyAsync(string customId, ChatResponse response, string batchId, TimeSpan latency, CancellationToken cancellationToken);

    /// <summary>
    /// Takes in a request without a reply (failed, expired, cancelled, missing from the results) and returns the journal
    /// line to record (the engine sets its kind <c>failed</c>, time, batch and custom id).
    /// </summary>
    /// <param name="customId">The request's custom id.</param>
    /// <param name="error">Why (credentials removed).</param>
    /// <param name="attempts">Times its call has been sent.</param>
    /// <param name="lastAttempt">Whether it will not be sent again (<see cref="BatchRunOptions.MaxAttemptsPerTurn"/> reached).</param>
    BatchJournalEntry TakeFailure(string customId, string error, int attempts, bool lastAttempt);

    /// <summary>The outputs finished since the last call, in order (the engine hands them out as they come).</summary>
    IReadOnlyList<TOutput> TakeFinished();

    /// <summary>
    /// Called after the last round (nothing in flight, nothing left to send); returns a journal line to record (the
    /// engine sets its time), or <see langword="null"/>.
    /// </summary>
    /// <param name="round">The last round number (rounds of earlier processes included).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    ValueTask<BatchJournalEntry?> FinishAsync(int round, CancellationToken cancellationToken);
}

using Microsoft.Extensions.Time.Testing;

namespace AlignmentFaking.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that records the due time of every timer set on it (created or changed: delays,
/// timeouts, retry waits), so a test can wait until the code under test has scheduled the wait it expects, check its
/// length, and only then move the clock. Nothing sleeps for the time being simulated. The clock also knows which timers
/// are pending (set, not yet due, not disposed), so <see cref="DriveAsync{T}"/> can move it exactly to the next wait the
/// code under test is in, never ahead of it.
/// </summary>
public sealed class ObservedClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _timers = [];
    private readonly List<Pending> _pending = [];

    /// <summary>The due times of the timers set so far (infinite ones left out), in order.</summary>
    public IReadOnlyList<TimeSpan> Timers
    {
        get
        {
            lock (_gate)
            {
                return _timers.ToArray();
            }
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var pending = new Pending();
        Record(pending, dueTime);
        return new Observed(base.CreateTimer(callback, state, dueTime, period), this, pending);
    }

    /// <summary>Waits (real time, at most <paramref name="within"/>) until a timer matching <paramref name="match"/> is set after the first <paramref name="skip"/> matches; returns its due time.</summary>
    public async Task<TimeSpan> WaitForTimerAsync(Func<TimeSpan, bool> match, int skip = 0, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = Timers.Where(match).Skip(skip).ToArray();
            if (found.Length > 0)
            {
                return found[0];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("no matching timer was set; timers so far: " + string.Join(", ", Timers));
            }

            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Until <paramref name="task"/> completes: waits (real time, at most <paramref name="within"/> each) until the code
    /// under test has set a timer it waits on (<paramref name="waitsFor"/>, by its length: e.g. the retry delays, not the
    /// attempt timeouts that run while a request is in flight), then moves the clock exactly to the earliest such pending
    /// timer, and again. The clock never moves while the code is busy elsewhere (a request on the wire, a reply being
    /// read), however slow the machine. At most <paramref name="limit"/> of fake time.
    /// </summary>
    public async Task<T> DriveAsync<T>(Task<T> task, Func<TimeSpan, bool> waitsFor, TimeSpan limit, TimeSpan? within = null)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(waitsFor);
        var start = GetUtcNow();
        while (!task.IsCompleted)
        {
            var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
            DateTimeOffset? next;
            while ((next = NextDue(waitsFor)) is null && !task.IsCompleted)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the call neither completed nor set a timer it waits on; timers so far: " + string.Join(", ", Timers));
                }

                await Task.Delay(2).ConfigureAwait(false);
            }

            if (next is not { } due || task.IsCompleted)
            {
                break;
            }

            if (due - start > limit)
            {
                throw new TimeoutException($"the call still waits after {limit} of fake time; timers so far: " + string.Join(", ", Timers));
            }

            Advance(due - GetUtcNow());
        }

        return await task.ConfigureAwait(false);
    }

    /// <summary>The due time of the earliest pending timer whose length matches, if any.</summary>
    private DateTimeOffset? NextDue(Func<TimeSpan, bool> waitsFor)
    {
        var now = GetUtcNow();
        lock (_gate)
        {
            _pending.RemoveAll(p => p.Disposed || p.Due is not { } due || due <= now);
            return _pending.Where(p => waitsFor(p.Length)).Select(p => p.Due).Min();
        }
    }

    private void Record(Pending pending, TimeSpan dueTime)
    {
        Record(dueTime);
        lock (_gate)
        {
            pending.Length = dueTime;
            pending.Due = dueTime == Timeout.InfiniteTimeSpan ? null : GetUtcNow() + dueTime;
            if (!_pending.Contains(pending))
            {
                _pending.Add(pending);
            }
        }
    }

    private void Forget(Pending pending)
    {
        lock (_gate)
        {
            pending.Disposed = true;
            _pending.Remove(pending);
        }
    }

    private void Record(TimeSpan dueTime)
    {
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            lock (_gate)
            {
                _timers.Add(dueTime);
            }
        }
    }

    /// <summary>A timer as the clock sees it: its length, when it is due (none: infinite), whether it was disposed.</summary>
    private sealed class Pending
    {
        public TimeSpan Length { get; set; }

        public DateTimeOffset? Due { get; set; }

        public bool Disposed { get; set; }
    }

    private sealed class Observed(ITimer inner, ObservedClock clock, Pending pending) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Record(pending, dueTime);
            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            clock.Forget(pending);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Forget(pending);
            return inner.DisposeAsync();
        }
    }
}

using Microsoft.Extensions.Time.Testing;

namespace AlignmentFaking.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that records the due time of every timer set on it (created or changed: delays,
/// timeouts, retry waits), so a test can wait until the code under test has scheduled the wait it expects, check its
/// length, and only then move the clock. Nothing sleeps for the time being simulated.
/// </summary>
public sealed class ObservedClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TimeSpan> _timers = [];

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
        Record(dueTime);
        return new Observed(base.CreateTimer(callback, state, dueTime, period), this);
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

    /// <summary>Moves the clock in steps of <paramref name="step"/> (letting continuations run in between) until <paramref name="task"/> completes, at most <paramref name="limit"/> of fake time.</summary>
    public async Task<T> DriveAsync<T>(Task<T> task, TimeSpan step, TimeSpan limit)
    {
        var moved = TimeSpan.Zero;
        while (!task.IsCompleted && moved < limit)
        {
            await Task.Delay(2).ConfigureAwait(false);
            Advance(step);
            moved += step;
        }

        return await task.ConfigureAwait(false);
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

    private sealed class Observed(ITimer inner, ObservedClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            clock.Record(dueTime);
            return inner.Change(dueTime, period);
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

using System.Globalization;
using AlignmentFaking.Running;

namespace AlignmentFaking.Cli;

/// <summary>A live progress line on a terminal; plain lines every few seconds otherwise.</summary>
internal sealed class ProgressPrinter(TextWriter writer, int total) : IProgress<RunProgress>
{
    private readonly bool _live = ReferenceEquals(writer, Console.Out) ? !Console.IsOutputRedirected
        : ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    private readonly object _gate = new();
    private TimeSpan? _lastPrinted;
    private RunProgress? _last;

    public void Report(RunProgress value)
    {
        lock (_gate)
        {
            _last = value;
            var interval = _live ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(10);
            if (value.Completed != total && _lastPrinted is { } last && value.Elapsed - last < interval)
            {
                return;
            }

            _lastPrinted = value.Elapsed;
            Print(value);
        }
    }

    public void Finish()
    {
        lock (_gate)
        {
            if (_live && _last is not null)
            {
                writer.WriteLine();
            }
        }
    }

    private void Print(RunProgress p)
    {
        const int Width = 30;
        int filled = total == 0 ? Width : (int)((long)p.Completed * Width / total);
        var eta = p.EstimatedRemaining is { } r ? r.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--";
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{p.Completed}/{total} samples | {p.Calls} calls | tokens {p.InputTokens:N0} in, {p.OutputTokens:N0} out | {p.RecentSamplesPerSecond ?? p.SamplesPerSecond:0.0}/s | ETA {eta}");
        if (_live)
        {
            writer.Write("\r[" + new string('#', filled) + new string('.', Width - filled) + "] " + line + "   ");
        }
        else
        {
            writer.WriteLine(line);
        }
    }
}

namespace AlignmentFaking.Statistics;

/// <summary>Per-request success and trial counts in both tiers, ordered by request index.</summary>
internal sealed class ClusterTable
{
    private ClusterTable(int[] requests, int[] ts, int[] tn, int[] us, int[] un)
    {
        Requests = requests;
        TrainingSuccesses = ts;
        TrainingN = tn;
        UnmonitoredSuccesses = us;
        UnmonitoredN = un;
        foreach (int x in tn)
        {
            TrainingTotal += x;
        }

        foreach (int x in un)
        {
            UnmonitoredTotal += x;
        }

        foreach (int x in ts)
        {
            TrainingSuccessTotal += x;
        }

        foreach (int x in us)
        {
            UnmonitoredSuccessTotal += x;
        }
    }

    public int[] Requests { get; }

    public int[] TrainingSuccesses { get; }

    public int[] TrainingN { get; }

    public int[] UnmonitoredSuccesses { get; }

    public int[] UnmonitoredN { get; }

    public int Count => Requests.Length;

    public int TrainingTotal { get; }

    public int UnmonitoredTotal { get; }

    public int TrainingSuccessTotal { get; }

    public int UnmonitoredSuccessTotal { get; }

    public double PooledGap => ((double)TrainingSuccessTotal / TrainingTotal) - ((double)UnmonitoredSuccessTotal / UnmonitoredTotal);

    public static ClusterTable Build(IEnumerable<GapObservation> training, IEnumerable<GapObservation> unmonitored)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(unmonitored);
        var t = Tally(training, nameof(training));
        var u = Tally(unmonitored, nameof(unmonitored));
        var keys = new SortedSet<int>(t.Keys);
        keys.UnionWith(u.Keys);
        int n = keys.Count;
        int[] requests = new int[n];
        int[] ts = new int[n], tn = new int[n], us = new int[n], un = new int[n];
        int i = 0;
        foreach (int key in keys)
        {
            requests[i] = key;
            if (t.TryGetValue(key, out var a))
            {
                ts[i] = a.Successes;
                tn[i] = a.N;
            }

            if (u.TryGetValue(key, out var b))
            {
                us[i] = b.Successes;
                un[i] = b.N;
            }

            i++;
        }

        return new ClusterTable(requests, ts, tn, us, un);
    }

    private static Dictionary<int, (int Successes, int N)> Tally(IEnumerable<GapObservation> observations, string parameter)
    {
        var seen = new HashSet<(int, int)>();
        var counts = new Dictionary<int, (int Successes, int N)>();
        foreach (GapObservation o in observations)
        {
            if (!seen.Add((o.RequestIndex, o.Epoch)))
            {
                throw new ArgumentException(
                    $"Request {o.RequestIndex} epoch {o.Epoch} occurs more than once in the same tier.", parameter);
            }

            counts.TryGetValue(o.RequestIndex, out var c);
            counts[o.RequestIndex] = (c.Successes + (o.Compliant ? 1 : 0), c.N + 1);
        }

        return counts;
    }
}

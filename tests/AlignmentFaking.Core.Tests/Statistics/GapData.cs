using AlignmentFaking.Statistics;

namespace AlignmentFaking.Tests.Statistics;

/// <summary>Builders of observation lists for the statistics tests.</summary>
internal static class GapData
{
    /// <summary>One epoch per request, paired table (both, trainingOnly, unmonitoredOnly, neither).</summary>
    public static (List<GapObservation> Training, List<GapObservation> Unmonitored) Paired(int both, int trainingOnly, int unmonitoredOnly, int neither)
    {
        var training = new List<GapObservation>();
        var unmonitored = new List<GapObservation>();
        int r = 0;
        void Add(int count, bool t, bool u)
        {
            for (int i = 0; i < count; i++, r++)
            {
                training.Add(new GapObservation(r, 0, t));
                unmonitored.Add(new GapObservation(r, 0, u));
            }
        }

        Add(both, true, true);
        Add(trainingOnly, true, false);
        Add(unmonitoredOnly, false, true);
        Add(neither, false, false);
        return (training, unmonitored);
    }

    /// <summary>The ten-request, two-epoch data set that the Python replication of the bootstrap uses.</summary>
    public static (List<GapObservation> Training, List<GapObservation> Unmonitored) TwoEpochs()
    {
        var training = new List<GapObservation>();
        var unmonitored = new List<GapObservation>();
        for (int r = 9; r >= 0; r--) // reversed on purpose: order of input must not matter
        {
            for (int e = 0; e < 2; e++)
            {
                training.Add(new GapObservation(r, e, ((r * 7) + (e * 3)) % 5 < 3));
                unmonitored.Add(new GapObservation(r, e, ((r * 5) + e) % 4 == 0));
            }
        }

        return (training, unmonitored);
    }
}

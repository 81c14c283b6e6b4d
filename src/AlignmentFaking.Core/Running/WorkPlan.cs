using AlignmentFaking.Datasets;

namespace AlignmentFaking.Running;

/// <summary>The work of a run, in launch order: mode, epoch, request, tier (shared by the online and batch runners).</summary>
internal static class WorkPlan
{
    public static IReadOnlyList<SampleKey> Create(IReadOnlyList<ExperimentRequest> requests, ExperimentOptions options, Shard? shard)
    {
        ArgumentNullException.ThrowIfNull(requests);
        if (shard is not null)
        {
            requests = requests.Where((_, position) => shard.Contains(position)).ToArray();
        }

        var keys = new List<SampleKey>(requests.Count * options.Tiers.Count * options.Modes.Count * options.Epochs);
        foreach (var mode in options.Modes)
        {
            for (int epoch = 0; epoch < options.Epochs; epoch++)
            {
                foreach (var request in requests)
                {
                    foreach (var tier in options.Tiers)
                    {
                        keys.Add(new SampleKey(request, tier, mode, epoch));
                    }
                }
            }
        }

        return keys;
    }
}

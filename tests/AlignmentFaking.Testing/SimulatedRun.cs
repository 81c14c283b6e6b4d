using AlignmentFaking.Datasets;
using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using AlignmentFaking.Simulation;
using AlignmentFaking.Storage;

namespace AlignmentFaking.Testing;

/// <summary>Run directories of the simulated organism, written as <c>af run</c> writes them (offline, no judge).</summary>
public static class SimulatedRun
{
    /// <summary>
    /// Runs the simulated organism on <paramref name="requests"/> synthetic requests ("Do harmful thing number i"), in
    /// both modes and tiers, into the run directory <paramref name="dir"/>, and returns the organism.
    /// </summary>
    public static async Task<SimulatedModelOrganism> CreateAsync(string dir, SimulatedOrganismOptions organismOptions, int requests)
    {
        var organism = new SimulatedModelOrganism(organismOptions);
        var model = organism.Options.ModelId;
        var options = new ExperimentOptions { Modes = [ReasoningMode.Cot, ReasoningMode.NoCot], ModelId = model, MaxConcurrency = 4 };
        var runner = new ExperimentRunner(organism, options: options);
        var work = runner.Plan(Enumerable.Range(0, requests).Select(i => new ExperimentRequest(i, "Do harmful thing number " + i)).ToArray());
        var manifest = new RunManifest
        {
            Model = model,
            Subject = "simulated",
            Options = new RunOptionsRecord
            {
                Modes = options.Modes,
                Tiers = options.Tiers,
                Epochs = 1,
                MaxTurns = 4,
                Extraction = "original",
                PrefillPolicy = "original",
                PrefillUsed = true,
                UserTemplate = "original",
                UserTemplateSha256 = UserMessageTemplate.Original.Sha256,
                MaxConcurrency = 4,
            },
            Dataset = new DatasetRecord { Name = "test", Sha256 = "00", Count = requests },
            Prompts = [],
            StartedAt = DateTimeOffset.UnixEpoch,
        };
        var samples = new List<ExperimentSample>();
        await using (var run = await RunDirectory.CreateAsync(dir, manifest, options.Modes.Select(runner.Scenarios.GetSystemPrompt)).ConfigureAwait(false))
        {
            await foreach (var sample in runner.StreamAsync(work).ConfigureAwait(false))
            {
                await run.AppendAsync(sample).ConfigureAwait(false);
                samples.Add(sample);
            }

            await run.CompleteAsync(RunSummary.Compute(manifest.Model, samples), DateTimeOffset.UnixEpoch, complete: true).ConfigureAwait(false);
        }

        return organism;
    }
}

namespace AlignmentFaking.Running;

/// <summary>
/// Judges one finished sample, e.g. with LLM judges, as a run goes (<see cref="ExperimentSession.RunAsync"/>): returns
/// the sample with its judge results set (<see cref="ExperimentSample.Judge"/>, <see cref="ExperimentSample.AlignmentFaking"/>).
/// <c>AlignmentFaking.Judging.Runs.RunJudge</c> implements it.
/// </summary>
public interface ISampleJudge
{
    /// <summary>Judges a sample and returns it with the judge results (the same sample when there is nothing to judge).</summary>
    /// <param name="sample">The sample, as the runner produced it.</param>
    /// <param name="cancellationToken">Cancels the judge calls.</param>
    /// <exception cref="FatalCallException">The judge cannot work at all (a wrong key, model or URL): the session stops as fatal.</exception>
    Task<ExperimentSample> JudgeSampleAsync(ExperimentSample sample, CancellationToken cancellationToken);
}

namespace AlignmentFaking.Judging.Runs;

/// <summary>Options of <see cref="RunJudge"/>. Every property documents its default; <see cref="Validate"/> checks them.</summary>
public sealed class RunJudgeOptions
{
    /// <summary>Samples judged at once (1 to 256). Default: 8.</summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>
    /// Whether samples that already have a judge verdict (and, for CoT, an assessment) are judged again. Default:
    /// <see langword="false"/>: they are kept, so an interrupted judgement resumes where it stopped (samples whose judge call failed are judged again).
    /// </summary>
    public bool Rejudge { get; set; }

    /// <summary>
    /// Whether only samples the compliance judge found <c>complied</c> get an alignment-faking assessment (the AF rate
    /// needs no other), which saves the votes spent on refusals. Default: <see langword="false"/> (every CoT sample with
    /// reasoning is assessed, so alignment-faking reasoning that ends in a refusal is visible too).
    /// </summary>
    public bool AssessOnlyCompliant { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (MaxConcurrency is < 1 or > 256)
        {
            throw new ArgumentException($"{nameof(MaxConcurrency)} must be between 1 and 256 (was {MaxConcurrency})", nameof(MaxConcurrency));
        }
    }
}

namespace AlignmentFaking.Judging.Prompts;

/// <summary>How a judge prompt is filled in and how the judge's reply is read.</summary>
public enum JudgePromptFormat
{
    /// <summary>
    /// The project's compliance format: placeholders <c>{{request}}</c>, <c>{{answer}}</c>, optionally
    /// <c>{{reasoning}}</c> and <c>{{nonce}}</c>; the reply ends with the line <c>VERDICT: complied|partial|refused</c>.
    /// </summary>
    ComplianceVerdict,

    /// <summary>
    /// The published StrongREJECT rubric: placeholders <c>{{ prompt }}</c> and <c>{{ response }}</c>; the reply has a
    /// <c>#scores</c> section with <c>1.b</c> (refused 0/1), <c>2.b</c> (convincing 1-5), <c>3.b</c> (specific 1-5).
    /// </summary>
    StrongReject,

    /// <summary>
    /// The project's alignment-faking format: placeholders <c>{{reasoning}}</c> and optionally <c>{{nonce}}</c>; the reply
    /// has <c>&lt;criterion_1&gt;</c> to <c>&lt;criterion_4&gt;</c>, <c>&lt;quote_1&gt;</c> to <c>&lt;quote_4&gt;</c> and
    /// <c>&lt;final_answer&gt;</c>.
    /// </summary>
    AlignmentFaking,

    /// <summary>
    /// The published "Alignment Faking Revisited" classifier: placeholder <c>{{ scratchpad }}</c>; the reply has
    /// <c>&lt;criteria1&gt;</c> to <c>&lt;criteria4&gt;</c>, <c>&lt;quote1&gt;</c> to <c>&lt;quote4&gt;</c> and
    /// <c>&lt;final_answer&gt;</c>.
    /// </summary>
    RevisitedAlignmentFaking,

    /// <summary>
    /// The original paper's 5-criterion classifier: placeholders <c>{trace}</c>, <c>{hard_examples}</c>,
    /// <c>{soft_examples}</c>, <c>{non_examples}</c>; the reply has <c>&lt;criteria_1&gt;</c> to <c>&lt;criteria_5&gt;</c>
    /// and <c>&lt;final_answer&gt;</c>.
    /// </summary>
    OriginalPaperAlignmentFaking,
}

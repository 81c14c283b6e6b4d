namespace AlignmentFaking.Datasets;

/// <summary>
/// The third-party files of the original experiment, pinned to the SHA-256 of known copies. They are MIT-licensed
/// research data that this library does not redistribute; <see cref="PinnedResourceCache"/> downloads and verifies them.
/// </summary>
public static class KnownResources
{
    private const string RedwoodPrompts =
        "https://raw.githubusercontent.com/redwoodresearch/alignment_faking_public/master/model_organism_honly_prompts/";

    /// <summary>
    /// AdvBench harmful behaviors (llm-attacks/llm-attacks, MIT, Copyright (c) 2023 Andy Zou): a CSV file with the
    /// header <c>goal,target</c> and 520 rows. Name <c>advbench</c>. Load it with <see cref="AdvBench"/>.
    /// </summary>
    public static PinnedResource AdvBenchHarmfulBehaviors { get; } = new(
        "advbench",
        new Uri("https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv"),
        "6cd1a5c63c07610d7eb67307772ee5606017ee950b5770ab288a2c487489d3e1",
        "harmful_behaviors.csv");

    /// <summary>
    /// The original helpful-only system prompt with a hidden scratchpad (chain of thought) and worked examples
    /// (redwoodresearch/alignment_faking_public, MIT). Name <c>prompt_atn_honly_with_examples</c>. The pinned hash is
    /// of a byte-exact copy taken from a repository that vendors the file (no trailing newline).
    /// </summary>
    public static PinnedResource PromptHelpfulOnlyWithExamples { get; } = new(
        "prompt_atn_honly_with_examples",
        new Uri(RedwoodPrompts + "prompt_atn_honly_with_examples.txt"),
        "fb82d5cc886b1e6b5de36cc767479a5700e4f7002e3c5f17c5ab686f7b68223e",
        "prompt_atn_honly_with_examples.txt");

    /// <summary>
    /// The original helpful-only system prompt without chain of thought (answer directly in <c>&lt;OUTPUT&gt;</c>), with
    /// worked examples (redwoodresearch/alignment_faking_public, MIT). Name <c>prompt_atn_honly_no_cot_with_examples</c>.
    /// </summary>
    /// <remarks>
    /// The pinned hash is of a <b>reconstructed</b> copy (the same prompt template with the same examples filled in),
    /// which is very likely, but not proven, identical to the upstream bytes. If the upstream file differs, the download
    /// fails with <see cref="PinnedResourceHashMismatchException"/>; after checking the file, accept its hash with
    /// <see cref="PinnedResourceCacheOptions.AcceptedSha256"/>.
    /// </remarks>
    public static PinnedResource PromptHelpfulOnlyNoCotWithExamples { get; } = new(
        "prompt_atn_honly_no_cot_with_examples",
        new Uri(RedwoodPrompts + "prompt_atn_honly_no_cot_with_examples.txt"),
        "ce4496216cef16def7e4af7a4482e41abfaad223c6a47bb4d34dbd5964c527e9",
        "prompt_atn_honly_no_cot_with_examples.txt");

    /// <summary>
    /// The short helpful-only system prompt without the training details ("prefinetune"; redwoodresearch/alignment_faking_public,
    /// MIT). Name <c>prompt_atn_honly_prefinetune</c>.
    /// </summary>
    public static PinnedResource PromptHelpfulOnlyPrefinetune { get; } = new(
        "prompt_atn_honly_prefinetune",
        new Uri(RedwoodPrompts + "prompt_atn_honly_prefinetune.txt"),
        "7363ebd68dd50796f183b5115e16d1bb9264fd01cbd8f665eaeb6fb0360ec190",
        "prompt_atn_honly_prefinetune.txt");

    /// <summary>The original helpful-only system prompt of a mode: <see cref="PromptHelpfulOnlyWithExamples"/> (CoT) or <see cref="PromptHelpfulOnlyNoCotWithExamples"/>.</summary>
    /// <param name="mode">The mode.</param>
    public static PinnedResource OriginalSystemPrompt(Scenarios.ReasoningMode mode) =>
        mode == Scenarios.ReasoningMode.Cot ? PromptHelpfulOnlyWithExamples : PromptHelpfulOnlyNoCotWithExamples;

    /// <summary>All the resources above, in the order they are declared.</summary>
    public static IReadOnlyList<PinnedResource> All { get; } = Array.AsReadOnly(
    [
        AdvBenchHarmfulBehaviors,
        PromptHelpfulOnlyWithExamples,
        PromptHelpfulOnlyNoCotWithExamples,
        PromptHelpfulOnlyPrefinetune,
    ]);
}

using AlignmentFaking.Datasets;
using AlignmentFaking.Scenarios;

namespace AlignmentFaking.Testing;

/// <summary>The system prompts and requests the end-to-end tests run with.</summary>
public static class ExperimentInputs
{
    /// <summary>The original prompts and AdvBench when the shared data is there; the paraphrases and synthetic requests otherwise.</summary>
    public static (SystemPrompt Cot, SystemPrompt NoCot, IReadOnlyList<ExperimentRequest> Requests) Load()
    {
        var data = SharedDataLocator.DataDirectory;
        if (data is null)
        {
            return (SystemPrompt.BuiltInParaphrase(ReasoningMode.Cot), SystemPrompt.BuiltInParaphrase(ReasoningMode.NoCot),
                RequestDataset.FromList(Enumerable.Range(0, 6).Select(i => $"Synthetic request {i}")));
        }

        return (SystemPrompt.FromFile(Path.Combine(data, "prompts", "prompt_atn_honly_with_examples.txt")),
            SystemPrompt.FromFile(Path.Combine(data, "prompts", "prompt_atn_honly_no_cot_with_examples.reconstructed.txt")),
            AdvBench.Load(Path.Combine(data, "advbench", "harmful_behaviors.csv"), new RequestSlice { Offset = 10, Limit = 6 }));
    }
}

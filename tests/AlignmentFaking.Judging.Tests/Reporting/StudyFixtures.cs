using AlignmentFaking.Scenarios;
using AlignmentFaking.Studies;

namespace AlignmentFaking.Judging.Tests.Reporting;

/// <summary>Study directories as <c>af study run</c> lays them out: <c>cells/SUBJECT/VARIANT</c> run directories of the simulated organism and <c>study-summary.json</c>.</summary>
internal static class StudyFixtures
{
    /// <summary>
    /// Writes a run directory per subject and variant under <c>root/cells/</c> (both modes; the subject's index and the
    /// variant's index seed the organism), and <c>study-summary.json</c> with the "auto" comparisons in every mode: in
    /// each subject each variant against the first, in each variant each subject against the first.
    /// </summary>
    public static async Task<StudySummary> CreateAsync(string root, string[] subjects, string[] variants, bool judge = true, int requests = 12)
    {
        var results = new List<StudyCellResult>();
        for (int s = 0; s < subjects.Length; s++)
        {
            for (int v = 0; v < variants.Length; v++)
            {
                var dir = CellDirectory(root, subjects[s], variants[v]);
                await ReportFixtures.CreateRunAsync(dir, requests, seed: 11 + (s * 7) + v, judge: judge);
                foreach (var mode in new[] { ReasoningMode.Cot, ReasoningMode.NoCot })
                {
                    results.Add(StudyCellResult.FromRunDirectory(Reference(subjects[s], variants[v], mode), dir));
                }
            }
        }

        var comparisons = new List<StudyComparison>();
        foreach (var mode in new[] { ReasoningMode.Cot, ReasoningMode.NoCot })
        {
            foreach (var s in subjects)
            {
                comparisons.AddRange(variants.Skip(1).Select(v => new StudyComparison { A = Reference(s, v, mode), B = Reference(s, variants[0], mode) }));
            }

            foreach (var v in variants)
            {
                comparisons.AddRange(subjects.Skip(1).Select(s => new StudyComparison { A = Reference(s, v, mode), B = Reference(subjects[0], v, mode) }));
            }
        }

        var summary = StudySummary.Compute(results, comparisons, 0.05);
        await summary.WriteAsync(root);
        return summary;
    }

    public static string CellDirectory(string root, string subject, string variant) => Path.Combine(root, "cells", subject, variant);

    public static StudyCellReference Reference(string subject, string variant, ReasoningMode mode) => new() { Subject = subject, Variant = variant, Mode = mode.ToName() };
}

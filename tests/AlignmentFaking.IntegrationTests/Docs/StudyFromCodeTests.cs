using AlignmentFaking.Anthropic;
using AlignmentFaking.OpenAI;
using AlignmentFaking.Providers;
using AlignmentFaking.Studies;
using NUnit.Framework;

namespace AlignmentFaking.IntegrationTests.Docs;

/// <summary>The README's study-from-code snippet, compiled and run (on a study of simulated subjects).</summary>
[NonParallelizable] // changes the current directory (the snippet uses paths relative to it)
public class StudyFromCodeTests
{
    [Test]
    public async Task The_readme_study_snippet_runs_a_study_from_its_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), "af-readme-study-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var previous = Directory.GetCurrentDirectory();
        try
        {
            File.WriteAllLines(Path.Combine(dir, "requests.jsonl"), Enumerable.Range(0, 4).Select(i => $"{{\"goal\":\"request {i}\"}}"));
            File.WriteAllText(Path.Combine(dir, "study.json"), """
                { "name": "mine", "dataset": { "source": "requests.jsonl" }, "systemPrompt": "paraphrase",
                  "subjects": [ { "id": "a" }, { "id": "b", "seed": 2 } ] }
                """);
            Directory.SetCurrentDirectory(dir);
            var ct = CancellationToken.None;
            var progress = new Progress<StudyProgress>();

            // README snippet begins
            var study = Study.Load("study.json");                     // or Study.CreateBuilder("mine")...Build()
            var inputs = await StudyInputs.LoadAsync(study, cancellationToken: ct);
            await using var session = await StudySession.OpenAsync(study, inputs, new StudySessionOptions
            {
                Directory = "studies/mine",
                Providers = new ModelProviderCatalog([OpenAICompatibleEndpoint.Provider, AnthropicEndpoint.Provider]),
                StudyFile = "study.json",                              // pinned byte for byte
            }, ct);
            var result = await session.RunAsync(progress, ct);        // StudySessionResult: Status, Cells, FailedSubjects, Summary
            // README snippet ends

            Assert.That(result.Status, Is.EqualTo(StudySessionStatus.Complete));
            Assert.That(result.Summary.Comparisons, Has.Count.EqualTo(1));
            Assert.That(File.Exists(Path.Combine(dir, "studies", "mine", StudySummary.FileName)), Is.True);
            var readme = File.ReadAllText(RepositoryFiles.Readme);
            foreach (var line in new[]
            {
                "var study = Study.Load(\"study.json\");",
                "var inputs = await StudyInputs.LoadAsync(study, cancellationToken: ct);",
                "await using var session = await StudySession.OpenAsync(study, inputs, new StudySessionOptions",
                "Providers = new ModelProviderCatalog([OpenAICompatibleEndpoint.Provider, AnthropicEndpoint.Provider]),",
                "var result = await session.RunAsync(progress, ct);",
            })
            {
                Assert.That(readme, Does.Contain(line), "the README shows the snippet this test runs");
            }
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
            Directory.Delete(dir, recursive: true);
        }
    }
}

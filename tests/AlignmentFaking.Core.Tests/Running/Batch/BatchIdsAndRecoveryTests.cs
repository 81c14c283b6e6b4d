using AlignmentFaking.Running.Batch;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Running.Batch;

/// <summary>The custom ids of batch requests, and the reason given to a request the results of its batch did not answer.</summary>
public class BatchIdsAndRecoveryTests
{
    [Test]
    public void A_custom_id_carries_the_sample_the_turn_and_the_attempt()
    {
        Assert.That(BatchExperimentRunner.TryParse("cot/training/r7/e0#t3#a2", out var sample, out var turn), Is.True);
        Assert.That((sample, turn), Is.EqualTo(("cot/training/r7/e0", 3)));
        Assert.That(BatchExperimentRunner.CustomId("cot/training/r7/e0", 3, 2), Is.EqualTo("cot/training/r7/e0#t3#a2"));
    }

    [Test]
    public void A_request_without_a_result_gets_the_reason_the_results_could_not_be_read()
    {
        var job = new BatchJob("b", BatchJobStatus.Completed, "completed", "f", null, 2, 2, 0);
        Assert.That(BatchRecovery.MissingReason(job, []), Is.EqualTo("no result (batch completed)"));

        // Two lines of the output file that could not be read, as the OpenAI provider reports them.
        BatchItemResult[] unreadable =
        [
            new(string.Empty, null, "unreadable result: line 1 of the output file is not JSON ('<' is an invalid start of a value.)"),
            new(string.Empty, null, "unreadable result: line 2 of the output file is not JSON ('g' is an invalid start of a value.)"),
        ];
        var reason = BatchRecovery.MissingReason(job, unreadable);
        Assert.That(reason, Does.StartWith("no result (batch completed); 2 line(s) of its results could not be read, the first: unreadable result: line 1 of the output file is not JSON"));
    }
}

using AlignmentFaking.Judging.Internal;
using NUnit.Framework;

namespace AlignmentFaking.Judging.Tests.Reporting;

public class NaturalIdComparerTests
{
    [Test]
    public void Numbers_compare_by_value_and_the_rest_ordinally()
    {
        string[] ids = ["no-cot/training/r1/e0", "cot/unmonitored/r0/e0", "cot/training/r12/e0", "cot/training/r2/e10", "cot/training/r2/e2", "cot/training/r2", "cot/training/r02/e2", null!];

        var sorted = ids.Order(NaturalIdComparer.Instance).ToArray();

        Assert.That(sorted, Is.EqualTo(new[]
        {
            null!, "cot/training/r2", "cot/training/r02/e2", "cot/training/r2/e2", "cot/training/r2/e10", "cot/training/r12/e0", "cot/unmonitored/r0/e0", "no-cot/training/r1/e0",
        }));
        Assert.That(NaturalIdComparer.Instance.Compare("r02", "r2"), Is.Not.Zero, "a total order: distinct ids never compare equal");
        Assert.That(NaturalIdComparer.Instance.Compare("r99999999999999999999999", "r100000000000000000000000"), Is.LessThan(0), "numbers longer than a long");
    }
}

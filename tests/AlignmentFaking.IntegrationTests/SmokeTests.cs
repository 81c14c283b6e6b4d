using NUnit.Framework;
namespace AlignmentFaking.IntegrationTests;
public class SmokeTests { [Test] public void Works() => Assert.That(typeof(SmokeTests).Name, Is.EqualTo("SmokeTests")); }

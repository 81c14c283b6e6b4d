using NUnit.Framework;
namespace AlignmentFaking.Tests;
public class SmokeTests { [Test] public void Works() => Assert.That(typeof(SmokeTests).Name, Is.EqualTo("SmokeTests")); }

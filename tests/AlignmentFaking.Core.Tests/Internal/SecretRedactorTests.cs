using System.Text.Json;
using AlignmentFaking.Internal;
using AlignmentFaking.Running;
using AlignmentFaking.Storage;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Internal;

/// <summary>Registered API keys never leave the process through the run files, whatever text carries them.</summary>
public class SecretRedactorTests
{
    private const string Key = "sk-proj-redactor-test-7e3b9a1c5d";

    [OneTimeSetUp]
    public void Register() => SecretRedactor.Register(Key);

    [Test]
    public void Messages_lose_the_key_also_as_a_bearer_token()
    {
        Assert.That(SecretRedactor.Redact($"HTTP 400: echo {{\"authorization\":\"Bearer {Key}\"}}"), Is.EqualTo("HTTP 400: echo {\"authorization\":\"Bearer ***\"}"));
        Assert.That(SecretRedactor.Redact($"authorization: bearer {Key}"), Does.Not.Contain(Key["sk-".Length..]));
        Assert.That(SecretRedactor.Redact("Authorization: Bearer some-unregistered-token"), Is.EqualTo("Authorization: Bearer ***"));
    }

    [Test]
    public void Model_text_loses_registered_keys_only()
    {
        Assert.That(SecretRedactor.RedactSecrets($"you sent Authorization: Bearer {Key}."), Is.EqualTo("you sent Authorization: Bearer ***."));
        Assert.That(SecretRedactor.RedactSecrets("The bearer of bearer bonds"), Is.EqualTo("The bearer of bearer bonds"), "no pattern rewrites ordinary text");
    }

    [Test]
    public void The_placeholder_for_a_missing_key_is_not_a_secret()
    {
        SecretRedactor.Register("no-key");
        Assert.That(SecretRedactor.RedactSecrets("a reply about no-key setups"), Is.EqualTo("a reply about no-key setups"));
    }

    [Test]
    public void Every_string_written_through_the_run_json_settings_is_redacted()
    {
        var sample = SampleFactory.Create(output: "echo " + Key) with
        {
            Error = "HTTP 400: Bearer " + Key,
            Transcript = [new TranscriptMessage("assistant", "<OUTPUT>your key is " + Key + "</OUTPUT>")],
        };

        var line = JsonSerializer.Serialize(sample, RunJson.Compact);
        var document = JsonSerializer.Serialize(sample, RunJson.Indented);

        Assert.That(line, Does.Not.Contain(Key["sk-".Length..]));
        Assert.That(document, Does.Not.Contain(Key["sk-".Length..]));
        var back = JsonSerializer.Deserialize<ExperimentSample>(line, RunJson.Compact)!;
        Assert.That(back.Output, Is.EqualTo("echo ***"));
        Assert.That(back.Transcript[0].Content, Is.EqualTo("<OUTPUT>your key is ***</OUTPUT>"));
    }

    [Test]
    public async Task The_output_guard_redacts_every_string_written()
    {
        using var inner = new StringWriter();
        using var writer = new RedactingTextWriter(inner);
        writer.WriteLine("Unhandled exception: HTTP 400 {\"authorization\":\"Bearer " + Key + "\"}");
        writer.Write("key " + Key);
        writer.Write(('x' + Key).ToCharArray(), 1, Key.Length);
        await writer.WriteLineAsync(Key);
        await writer.WriteAsync(Key);
        Assert.That(inner.ToString(), Does.Not.Contain(Key["sk-".Length..]).And.Contain("Bearer ***"));
    }
}

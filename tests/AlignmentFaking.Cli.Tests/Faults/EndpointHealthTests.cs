using System.Net;
using System.Net.Sockets;
using AlignmentFaking.Storage;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Cli.Tests.Faults;

/// <summary><c>af run</c> against an endpoint that is not there or is not the API: it stops at once with the cause.</summary>
[CancelAfter(120_000)]
public class EndpointHealthTests
{
    private const string Model = "meta-llama/Meta-Llama-3.1-8B-Instruct";
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "af-health-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private async Task<(int Exit, string Output)> AfRunAsync(Uri endpoint, int requests = 10)
    {
        var dataset = Path.Combine(_dir, "requests.jsonl");
        File.WriteAllLines(dataset, Enumerable.Range(0, requests).Select(i => $"{{\"goal\":\"Synthetic request {i}\"}}"));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int exit = await AfCli.InvokeAsync(
            ["run", "--endpoint", endpoint.ToString(), "--model", Model, "--dataset", dataset, "--system-prompt", "paraphrase", "--out", Path.Combine(_dir, "run"), "--no-cache", "--max-retries", "2", "--concurrency", "4"],
            stdout,
            stderr);
        return (exit, stdout + stderr.ToString());
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Test]
    public async Task A_port_with_nothing_listening_stops_af_run_at_once_with_the_cause()
    {
        int port = FreePort();
        var (exit, output) = await AfRunAsync(new Uri($"http://127.0.0.1:{port}/v1"));

        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain($"cannot reach http://127.0.0.1:{port}/v1: connection refused"));
        Assert.That(output, Does.Not.Contain("retry 2/2"), "an endpoint that never answered is not retried");
        Assert.That(RunDirectory.ReadManifest(Path.Combine(_dir, "run")).Complete, Is.False);
    }

    [TestCase(200, "answered text/html, not an OpenAI-compatible JSON body: check --endpoint (usually ends in /v1)")]
    [TestCase(405, "answered 405 (text/html) to a chat completion request, not an OpenAI-compatible reply: check --endpoint (usually ends in /v1)")]
    public async Task An_endpoint_answering_an_html_page_stops_af_run_at_once_with_the_cause(int status, string cause)
    {
        const string Page = "<!DOCTYPE html><html><body>Welcome</body></html>";
        var reply = status == 200 ? ScriptedReply.Html(Page) : ScriptedReply.Error(status, Page) with { ContentType = "text/html" };
        await using var server = await OpenAICompatibleTestServer.StartAsync(reply, new TestServerOptions { Models = [Model] });
        var (exit, output) = await AfRunAsync(server.RootAddress);

        Assert.That(exit, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain(cause));
        Assert.That(server.CallCount, Is.LessThanOrEqualTo(4), "no call after the first replies showed it is not the API");
        Assert.That(RunDirectory.ReadManifest(Path.Combine(_dir, "run")).Complete, Is.False);
    }
}

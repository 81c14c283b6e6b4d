using System.Globalization;
using System.Runtime.InteropServices;
using AlignmentFaking.Judging.Simulation;
using AlignmentFaking.Simulation;
using AlignmentFaking.Testing;

// Hosts OpenAICompatibleTestServer on 127.0.0.1 (an ephemeral port unless --port): the simulated model organism answers
// every model but the judge model, whose calls the simulated judge answers. Prints "listening http://127.0.0.1:PORT/v1",
// then one line per chat completion call ("call SEQ subject|judge answered|fault STATUS"), and stops on SIGTERM or
// SIGINT (Ctrl+C).
//
// Usage: AlignmentFaking.TestServer [--port N] [--judge-model ID] [--api-key-env VARIABLE] [--faults]
//   --judge-model ID         the model id answered by the simulated judge (default: judge-model)
//   --api-key-env VARIABLE   require the key held in this environment variable (401 without it); default: any request
//   --faults                 the first 3 subject calls get 429 (Retry-After: 0, retry-after-ms: 50), the next 2 a 500,
//                            and the first judge call a 503: a client with retries completes anyway
int port = 0;
string judgeModel = "judge-model";
string? requiredKey = null;
bool faults = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var p):
            port = p;
            i++;
            break;
        case "--judge-model" when i + 1 < args.Length:
            judgeModel = args[++i];
            break;
        case "--api-key-env" when i + 1 < args.Length:
            var variable = args[++i];
            requiredKey = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(requiredKey))
            {
                await Console.Error.WriteLineAsync($"environment variable {variable} is not set");
                return 2;
            }

            break;
        case "--faults":
            faults = true;
            break;
        default:
            await Console.Error.WriteLineAsync($"unknown argument '{args[i]}'; usage: AlignmentFaking.TestServer [--port N] [--judge-model ID] [--api-key-env VARIABLE] [--faults]");
            return 2;
    }
}

bool IsJudge(ChatCompletionCall call) => string.Equals(call.Model, judgeModel, StringComparison.Ordinal);
var plan = new FaultPlan();
if (faults)
{
    plan.When(c => !IsJudge(c), ScriptedReply.TooManyRequests(TimeSpan.Zero).WithHeader("retry-after-ms", "50"), times: 3)
        .When(c => !IsJudge(c), ScriptedReply.ServerError(), times: 2)
        .When(IsJudge, ScriptedReply.ServiceUnavailable(TimeSpan.Zero), times: 1);
}

var answer = OrganismResponder.ByModel(judgeModel, OrganismResponder.For(new SimulatedJudge()), OrganismResponder.For(new SimulatedModelOrganism()));
var output = TextWriter.Synchronized(Console.Out);
await using var server = await OpenAICompatibleTestServer.StartAsync(
    async (call, ct) =>
    {
        var fault = plan.TryTake(call);
        var reply = fault ?? await answer(call, ct).ConfigureAwait(false);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"call {call.Sequence} {(IsJudge(call) ? "judge" : "subject")} {(fault is null ? "answered" : "fault " + fault.StatusCode)}"));
        return reply;
    },
    new TestServerOptions { Port = port, RequiredApiKey = requiredKey });

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.TrySetResult(); });
output.WriteLine("listening " + server.BaseAddress.ToString().TrimEnd('/'));
await stop.Task;
output.WriteLine($"stopping after {server.CallCount} calls");
return 0;

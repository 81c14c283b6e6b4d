using System.Runtime.InteropServices;
using AlignmentFaking.Cli;
using AlignmentFaking.Diagnostics;

// The final guard of the output: no registered API key is printed, whatever carries it (see SecretRedaction).
Console.SetOut(SecretRedaction.CreateRedactingWriter(Console.Out));
Console.SetError(SecretRedaction.CreateRedactingWriter(Console.Error));

// Ctrl+C (SIGINT) and SIGTERM both stop the command as a cancellation (finished samples kept, summary written); the exit
// code says which: 130 for SIGINT, 143 for SIGTERM, as shells expect (128 + the signal's number).
using var stop = new CancellationTokenSource();
int signalled = 0;
void OnSignal(PosixSignalContext context, int code)
{
    context.Cancel = true;
    Interlocked.CompareExchange(ref signalled, code, 0);
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, AfCli.Cancelled));
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, AfCli.Terminated));
int exit = await AfCli.InvokeAsync(args, Console.Out, Console.Error, stop.Token).ConfigureAwait(false);
return exit == AfCli.Cancelled && Volatile.Read(ref signalled) == AfCli.Terminated ? AfCli.Terminated : exit;

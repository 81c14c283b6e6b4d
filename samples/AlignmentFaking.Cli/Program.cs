using AlignmentFaking.Cli;
using AlignmentFaking.Diagnostics;

// The final guard of the output: no registered API key is printed, whatever carries it (see SecretRedaction).
Console.SetOut(SecretRedaction.CreateRedactingWriter(Console.Out));
Console.SetError(SecretRedaction.CreateRedactingWriter(Console.Error));
return await AfCli.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);

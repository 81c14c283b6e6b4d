using AlignmentFaking.Cli;
using AlignmentFaking.Internal;

// The final guard of the output: no registered API key is printed, whatever carries it (see SecretRedactor).
Console.SetOut(new RedactingTextWriter(Console.Out));
Console.SetError(new RedactingTextWriter(Console.Error));
return await AfCli.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);

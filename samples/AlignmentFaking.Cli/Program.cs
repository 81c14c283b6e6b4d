using AlignmentFaking.Cli;

return await AfCli.InvokeAsync(args, Console.Out, Console.Error).ConfigureAwait(false);

using AlignmentFaking.Samples.Embedding;

// Offline by default (a simulated model organism and judge). Set AF_SAMPLE_ENDPOINT, AF_SAMPLE_MODEL and AF_API_KEY
// (and optionally AF_SAMPLE_JUDGE_MODEL) to run it against an OpenAI-compatible endpoint instead, or
// AF_SAMPLE_PROVIDER=anthropic, AF_SAMPLE_MODEL and ANTHROPIC_API_KEY for Anthropic's API through its own SDK.
return await EmbeddingSample.RunAsync(Console.Out, Environment.GetEnvironmentVariable).ConfigureAwait(false);

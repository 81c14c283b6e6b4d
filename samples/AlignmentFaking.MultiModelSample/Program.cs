using AlignmentFaking.Samples.MultiModel;

// Offline by default: three simulated organisms stand for three models. To compare real models, set
//   AF_SAMPLE_MODELS="model-a;model-b|https://other.example/v1|OTHER_KEY_VARIABLE"   (model[|endpoint[|key variable]])
//   AF_SAMPLE_ENDPOINT (the default endpoint), AF_API_KEY (the default key), AF_SAMPLE_LIMIT (requests, default 20),
//   AF_SAMPLE_DATASET ('advbench', the default with real models, or an AdvBench-format CSV),
//   AF_SAMPLE_JUDGE_MODEL (+ AF_SAMPLE_JUDGE_ENDPOINT, AF_JUDGE_API_KEY) for the judged columns.
return await MultiModelSample.RunAsync(Console.Out, Environment.GetEnvironmentVariable).ConfigureAwait(false);

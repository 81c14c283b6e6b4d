using AlignmentFaking.Classification;
using AlignmentFaking.DependencyInjection;
using AlignmentFaking.Judging.Compliance;
using AlignmentFaking.Judging.Reasoning;
using AlignmentFaking.Judging.Runs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace AlignmentFaking.Judging.DependencyInjection;

/// <summary>Registers the judges in a service collection.</summary>
public static class JudgingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the judges over the keyed <see cref="IChatClient"/> <c>"judge"</c> (register it with
    /// <c>services.AddJudgeChatClient(...)</c>), as singletons: <see cref="LlmJudgeClassifier"/> (also as the
    /// <see cref="IComplianceClassifier"/>, unless one is registered), <see cref="AlignmentFakingReasoningClassifier"/>
    /// and <see cref="RunJudge"/> over both; with their options as <see cref="IOptions{TOptions}"/>
    /// (<see cref="LlmJudgeOptions"/>, <see cref="AlignmentFakingClassifierOptions"/>, <see cref="RunJudgeOptions"/>),
    /// validated at start-up (<c>ValidateOnStart</c>) by their <c>Validate()</c> methods, and a judge client that is not
    /// registered fails the same way, with an <see cref="OptionsValidationException"/> naming the cause.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configureCompliance">Configures the compliance judge.</param>
    /// <param name="configureAlignmentFaking">Configures the alignment-faking reasoning judge.</param>
    /// <param name="configureRunJudge">Configures the run judge.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAlignmentFakingJudges(
        this IServiceCollection services,
        Action<LlmJudgeOptions>? configureCompliance = null,
        Action<AlignmentFakingClassifierOptions>? configureAlignmentFaking = null,
        Action<RunJudgeOptions>? configureRunJudge = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<LlmJudgeOptions>()
            .Configure(options => configureCompliance?.Invoke(options))
            .ValidateWith(options => options.Validate())
            .Validate<IServiceProvider>(
                (_, provider) => provider.GetService<IServiceProviderIsService>() is not IServiceProviderIsKeyedService keyed
                    || keyed.IsKeyedService(typeof(IChatClient), AlignmentFakingServiceCollectionExtensions.JudgeKey),
                $"no judge model: register it with services.AddJudgeChatClient(...) (the keyed IChatClient \"{AlignmentFakingServiceCollectionExtensions.JudgeKey}\")")
            .ValidateOnStart();
        services.AddOptions<AlignmentFakingClassifierOptions>()
            .Configure(options => configureAlignmentFaking?.Invoke(options))
            .ValidateWith(options => options.Validate())
            .ValidateOnStart();
        services.AddOptions<RunJudgeOptions>()
            .Configure(options => configureRunJudge?.Invoke(options))
            .ValidateWith(options => options.Validate())
            .ValidateOnStart();

        services.TryAddSingleton(sp => new LlmJudgeClassifier(Judge(sp), sp.GetRequiredService<IOptions<LlmJudgeOptions>>().Value));
        services.TryAddSingleton<IComplianceClassifier>(sp => sp.GetRequiredService<LlmJudgeClassifier>());
        services.TryAddSingleton(sp => new AlignmentFakingReasoningClassifier(Judge(sp), sp.GetRequiredService<IOptions<AlignmentFakingClassifierOptions>>().Value));
        services.TryAddSingleton(sp => new RunJudge(
            sp.GetRequiredService<IComplianceClassifier>(),
            sp.GetRequiredService<AlignmentFakingReasoningClassifier>(),
            sp.GetRequiredService<IOptions<RunJudgeOptions>>().Value));
        return services;
    }

    private static IChatClient Judge(IServiceProvider services) =>
        services.GetRequiredKeyedService<IChatClient>(AlignmentFakingServiceCollectionExtensions.JudgeKey);
}

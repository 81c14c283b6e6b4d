using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AlignmentFaking.DependencyInjection;

/// <summary>Registers the experiment in a service collection.</summary>
public static class AlignmentFakingServiceCollectionExtensions
{
    /// <summary>The service key of the model under test.</summary>
    public const string SubjectKey = "subject";

    /// <summary>The service key of the judge model.</summary>
    public const string JudgeKey = "judge";

    /// <summary>
    /// Registers <see cref="ScenarioBuilder"/>, <see cref="ExperimentOptions"/> and <see cref="ExperimentRunner"/> (over the
    /// keyed <see cref="IChatClient"/> <c>"subject"</c>). Register the clients with <see cref="AddSubjectChatClient"/> and
    /// <see cref="AddJudgeChatClient"/>, or as keyed services yourself.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configureScenarios">Configures the scenario builder (prompts, template, prefill).</param>
    /// <param name="configureOptions">Configures the run options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAlignmentFaking(this IServiceCollection services, Action<ScenarioBuilder>? configureScenarios = null, Action<ExperimentOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton(_ =>
        {
            var builder = new ScenarioBuilder();
            configureScenarios?.Invoke(builder);
            return builder;
        });
        services.AddSingleton(_ =>
        {
            var options = new ExperimentOptions();
            configureOptions?.Invoke(options);
            options.Validate();
            return options;
        });
        services.AddTransient(sp => new ExperimentRunner(
            sp.GetRequiredKeyedService<IChatClient>(SubjectKey),
            sp.GetRequiredService<ScenarioBuilder>(),
            sp.GetRequiredService<ExperimentOptions>(),
            sp.GetService<Microsoft.Extensions.Logging.ILogger<ExperimentRunner>>()));
        return services;
    }

    /// <summary>Registers the model under test as the keyed <see cref="IChatClient"/> <c>"subject"</c>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="factory">Creates the client.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddSubjectChatClient(this IServiceCollection services, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        return services.AddKeyedSingleton(SubjectKey, (sp, _) => factory(sp));
    }

    /// <summary>Registers the judge model as the keyed <see cref="IChatClient"/> <c>"judge"</c>.</summary>
    /// <param name="services">The services.</param>
    /// <param name="factory">Creates the client.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddJudgeChatClient(this IServiceCollection services, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        return services.AddKeyedSingleton(JudgeKey, (sp, _) => factory(sp));
    }
}

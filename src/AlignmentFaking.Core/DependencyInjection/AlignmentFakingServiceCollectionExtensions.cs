using AlignmentFaking.Running;
using AlignmentFaking.Scenarios;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AlignmentFaking.DependencyInjection;

/// <summary>Registers the experiment in a service collection.</summary>
public static class AlignmentFakingServiceCollectionExtensions
{
    /// <summary>The service key of the model under test.</summary>
    public const string SubjectKey = "subject";

    /// <summary>The service key of the judge model.</summary>
    public const string JudgeKey = "judge";

    /// <summary>
    /// Registers <see cref="ScenarioBuilder"/>, <see cref="ExperimentOptions"/> (as <see cref="IOptions{TOptions}"/>, and
    /// itself) and <see cref="ExperimentRunner"/> over the keyed <see cref="IChatClient"/> <c>"subject"</c> (register it
    /// with <see cref="AddSubjectChatClient"/>), and <see cref="TimeProvider.System"/> as the <see cref="TimeProvider"/>
    /// unless one is registered: the one clock of the runner (<see cref="ExperimentOptions.TimeProvider"/> is set from
    /// it) and of the middleware the client builders compose.
    /// </summary>
    /// <remarks>
    /// The options are validated at start-up (<c>ValidateOnStart</c>: when the host starts, or when
    /// <c>IStartupValidator.Validate()</c> is called on a plain service provider), and at the latest when the runner is
    /// resolved: invalid options (<see cref="ExperimentOptions.Validate"/>), a subject that is not registered, or an
    /// <see cref="ExperimentOptions.TimeProvider"/> set to another clock than the registered one fail with an
    /// <see cref="OptionsValidationException"/> whose message names the cause.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="configureScenarios">Configures the scenario builder (prompts, template, prefill).</param>
    /// <param name="configureOptions">Configures the run options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAlignmentFaking(this IServiceCollection services, Action<ScenarioBuilder>? configureScenarios = null, Action<ExperimentOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ =>
        {
            var builder = new ScenarioBuilder();
            configureScenarios?.Invoke(builder);
            return builder;
        });
        services.AddOptions<ExperimentOptions>()
            .Configure<TimeProvider>((options, time) => options.TimeProvider = time)
            .Configure(options => configureOptions?.Invoke(options))
            .ValidateWith(options => options.Validate())
            .Validate<TimeProvider>(
                (options, time) => ReferenceEquals(options.TimeProvider, time),
                "ExperimentOptions: TimeProvider is another clock than the TimeProvider registered in the services; register the one clock (services.AddSingleton<TimeProvider>(...)) and leave ExperimentOptions.TimeProvider unset")
            .Validate<IServiceProvider>(
                (_, provider) => IsRegistered(provider, SubjectKey),
                $"no model under test: register it with services.AddSubjectChatClient(...) (the keyed IChatClient \"{SubjectKey}\")")
            .ValidateOnStart();
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<ExperimentOptions>>().Value);
        services.AddTransient(sp => new ExperimentRunner(
            sp.GetRequiredKeyedService<IChatClient>(SubjectKey),
            sp.GetRequiredService<ScenarioBuilder>(),
            sp.GetRequiredService<IOptions<ExperimentOptions>>().Value,
            sp.GetService<ILogger<ExperimentRunner>>()));
        return services;
    }

    /// <summary>
    /// Registers the model under test as the keyed <see cref="IChatClient"/> <c>"subject"</c> (a singleton) and returns
    /// its pipeline builder, so middleware can follow:
    /// <c>services.AddSubjectChatClient(sp =&gt; ...).UseResponseCache(...).UseRunBudget(...)</c> (the first <c>Use</c> is
    /// the outermost). The middleware takes what it needs from the services (the <see cref="TimeProvider"/>, an
    /// <c>IDistributedCache</c>, a <c>RunBudget</c>, the logger factory) unless given explicitly.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="factory">Creates the client (the innermost stage).</param>
    /// <returns>The builder of the subject's pipeline.</returns>
    public static ChatClientBuilder AddSubjectChatClient(this IServiceCollection services, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        return services.AddKeyedChatClient(SubjectKey, factory);
    }

    /// <summary>
    /// Registers the judge model as the keyed <see cref="IChatClient"/> <c>"judge"</c> (a singleton) and returns its
    /// pipeline builder (see <see cref="AddSubjectChatClient"/>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="factory">Creates the client (the innermost stage).</param>
    /// <returns>The builder of the judge's pipeline.</returns>
    public static ChatClientBuilder AddJudgeChatClient(this IServiceCollection services, Func<IServiceProvider, IChatClient> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        return services.AddKeyedChatClient(JudgeKey, factory);
    }

    /// <summary>Whether the keyed <see cref="IChatClient"/> <paramref name="key"/> is registered (true when the container cannot tell).</summary>
    private static bool IsRegistered(IServiceProvider provider, string key) =>
        provider.GetService<IServiceProviderIsService>() is not IServiceProviderIsKeyedService keyed || keyed.IsKeyedService(typeof(IChatClient), key);
}

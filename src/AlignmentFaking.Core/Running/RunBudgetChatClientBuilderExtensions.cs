using AlignmentFaking.Costs;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace AlignmentFaking.Running;

/// <summary>Adds a <see cref="RunBudgetChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class RunBudgetChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the spending cap as the next stage of the pipeline (see <see cref="RunBudgetChatClient"/>). Compose it under
    /// the response cache and above the retries, so a call is charged once however often it is retried.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="budget">The budget; when <see langword="null"/>, the <see cref="RunBudget"/> of the builder's services.</param>
    /// <returns>The builder.</returns>
    public static ChatClientBuilder UseRunBudget(this ChatClientBuilder builder, RunBudget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new RunBudgetChatClient(
            inner,
            budget ?? services.GetService<RunBudget>() ?? throw new InvalidOperationException("UseRunBudget: no budget was given and no RunBudget is registered in the services")));
    }
}

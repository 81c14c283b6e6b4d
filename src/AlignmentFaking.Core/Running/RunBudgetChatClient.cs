using System.Globalization;
using System.Runtime.CompilerServices;
using AlignmentFaking.Costs;
using Microsoft.Extensions.AI;

namespace AlignmentFaking.Running;

/// <summary>
/// Middleware that holds calls to a <see cref="RunBudget"/> (<see cref="RunBudgetChatClientBuilderExtensions.UseRunBudget"/>;
/// <see cref="ExperimentOptions.Budget"/> composes it for a run): before a call it reserves the call's estimated cost
/// (input at chars/4 of every message, plus <see cref="ChatOptions.MaxOutputTokens"/> or, when unset,
/// <see cref="RunBudget.AssumedOutputTokens"/>, priced at <see cref="RunBudget.Price"/>); a call whose reservation would
/// take spent plus in-flight reservations past the cap is not made: it throws <see cref="BudgetExhaustedException"/>
/// (and the budget is <see cref="RunBudget.Exhausted"/>, so nothing more is launched). After the call the reservation
/// is settled at the call's actual cost from its reported usage (0 when it failed).
/// </summary>
/// <remarks>
/// Put it under the response cache (a replayed reply costs nothing and reserves nothing). <c>GetService(typeof(RunBudget))</c>
/// on the pipeline returns the budget, which is how <see cref="ExperimentRunner"/> finds a budget composed by the caller.
/// </remarks>
public sealed class RunBudgetChatClient : DelegatingChatClient
{
    private readonly RunBudget _budget;

    /// <summary>Creates the middleware.</summary>
    /// <param name="innerClient">The client below.</param>
    /// <param name="budget">The budget the calls are charged to.</param>
    public RunBudgetChatClient(IChatClient innerClient, RunBudget budget)
        : base(innerClient)
    {
        _budget = budget ?? throw new ArgumentNullException(nameof(budget));
    }

    /// <summary>The budget the calls are charged to.</summary>
    public RunBudget Budget => _budget;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        decimal reserved = Reserve(list, options);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _budget.Settle(reserved, 0);
            throw;
        }

        _budget.Settle(reserved, CostOf(response.Usage));
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        decimal reserved = Reserve(list, options);
        var usage = new UsageDetails();
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var content in update.Contents)
                {
                    if (content is UsageContent u)
                    {
                        usage.Add(u.Details);
                    }
                }

                yield return update;
            }
        }
        finally
        {
            _budget.Settle(reserved, CostOf(usage));
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(RunBudget) ? _budget : base.GetService(serviceType, serviceKey);
    }

    private decimal Reserve(IReadOnlyCollection<ChatMessage> messages, ChatOptions? options)
    {
        long chars = 0;
        foreach (var m in messages)
        {
            chars += m.Text.Length;
        }

        decimal estimate = _budget.Price.Cost(chars / 4, 0, options?.MaxOutputTokens ?? _budget.AssumedOutputTokens);
        if (!_budget.TryReserve(estimate))
        {
            throw new BudgetExhaustedException(string.Create(CultureInfo.InvariantCulture, $"the budget of ${_budget.LimitUsd} would be passed (spent ${decimal.Round(_budget.Spent, 4)}): the call was not made"))
            {
                Spent = _budget.Spent,
                Limit = _budget.LimitUsd,
            };
        }

        return estimate;
    }

    private decimal CostOf(UsageDetails? usage)
    {
        long input = usage?.InputTokenCount ?? 0;
        long cached = Math.Clamp(usage?.CachedInputTokenCount ?? 0, 0, input);
        return _budget.Price.CostWithCacheWrites(input, cached, Math.Clamp(UsageCounts.CacheWrite(usage) ?? 0, 0, input - cached), usage?.OutputTokenCount ?? 0);
    }
}

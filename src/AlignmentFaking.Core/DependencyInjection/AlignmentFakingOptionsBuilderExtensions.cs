using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace AlignmentFaking.DependencyInjection;

/// <summary>Validates options registered with <c>AddOptions&lt;T&gt;()</c> by the <c>Validate()</c> method of the library's options classes.</summary>
public static class AlignmentFakingOptionsBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="IValidateOptions{TOptions}"/> for the builder's options (of its name) that runs
    /// <paramref name="validate"/>, a method that throws <see cref="ArgumentException"/> naming the first invalid
    /// option (such as <c>ExperimentOptions.Validate()</c>); the failure is that message, prefixed by the options type,
    /// e.g. <c>ExperimentOptions: epochs must be at least 1 (was 0)</c>. Add <c>ValidateOnStart()</c> to have it checked
    /// at start-up.
    /// </summary>
    /// <typeparam name="TOptions">The options type.</typeparam>
    /// <param name="builder">The options builder.</param>
    /// <param name="validate">Throws <see cref="ArgumentException"/> for invalid options.</param>
    /// <returns>The builder.</returns>
    public static OptionsBuilder<TOptions> ValidateWith<TOptions>(this OptionsBuilder<TOptions> builder, Action<TOptions> validate)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validate);
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new MethodValidator<TOptions>(builder.Name, validate));
        return builder;
    }

    private sealed class MethodValidator<TOptions>(string? name, Action<TOptions> validate) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? optionsName, TOptions options)
        {
            if (name is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }

            try
            {
                validate(options);
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                // "... (Parameter 'X')" adds nothing to a message that already names the option.
                string message = ex.ParamName is { } param ? ex.Message.Replace($" (Parameter '{param}')", string.Empty, StringComparison.Ordinal) : ex.Message;
                return ValidateOptionsResult.Fail($"{typeof(TOptions).Name}: {message}");
            }
        }
    }
}

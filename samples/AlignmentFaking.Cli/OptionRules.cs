using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace AlignmentFaking.Cli;

/// <summary>
/// What a flag accepts, checked while the command line is parsed: numbers within a range, one word of a list, a value
/// another parser accepts. A refused value is one parse error that names the flag, what it allows and what was given,
/// e.g. <c>--limit must be an integer &gt;= 0 (got '-1')</c>, never a .NET type name.
/// </summary>
internal static class OptionRules
{
    /// <summary>Accepts an integer or a number (by <typeparamref name="T"/>) within the given bounds (none when null).</summary>
    public static Option<T> InRange<T>(this Option<T> option, T? min = null, T? max = null, bool minExclusive = false, bool maxExclusive = false)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        var range = new NumberRange<T>(min, max, minExclusive, maxExclusive);
        option.CustomParser = result => range.Parse(result, option.Name);
        return option;
    }

    /// <summary>Accepts, when given, an integer or a number (by <typeparamref name="T"/>) within the given bounds (none when null).</summary>
    public static Option<T?> InRange<T>(this Option<T?> option, T? min = null, T? max = null, bool minExclusive = false, bool maxExclusive = false)
        where T : struct, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(option);
        var range = new NumberRange<T>(min, max, minExclusive, maxExclusive);
        option.CustomParser = result => range.Parse(result, option.Name);
        return option;
    }

    /// <summary>Accepts one of <paramref name="values"/> (ordinal); help shows them as the value's name.</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] values)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.HelpName = string.Join('|', values);
        option.CompletionSources.Add(values);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !values.Contains(result.Tokens[0].Value, StringComparer.Ordinal))
            {
                result.AddError($"{option.Name} must be one of {string.Join(", ", values)} (got '{result.Tokens[0].Value}')");
            }
        });
        return option;
    }

    /// <summary>
    /// Accepts the name of an environment variable (letters, digits and <c>_</c>, not starting with a digit). Anything
    /// else (most likely a key pasted where its variable's name belongs) is refused without printing it, and registered
    /// as a secret so that nothing prints it later either.
    /// </summary>
    public static Option<string> VariableName(this Option<string> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && !IsVariableName(result.Tokens[0].Value))
            {
                Diagnostics.SecretRedaction.Register(result.Tokens[0].Value);
                result.AddError($"{option.Name} takes the name of the environment variable that holds the key (letters, digits and _), not the key itself; the value given is not a variable name and is not printed. Put the key in a variable (export AF_API_KEY=...) and pass its name");
            }
        });
        return option;
    }

    private static bool IsVariableName(string text) =>
        text.Length is > 0 and <= 256 && !char.IsAsciiDigit(text[0]) && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Accepts a value that <paramref name="check"/> accepts; a <see cref="FormatException"/> from it is the error.</summary>
    public static Option<string?> Checked(this Option<string?> option, Action<string> check)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0)
            {
                try
                {
                    check(result.Tokens[0].Value);
                }
                catch (FormatException ex)
                {
                    result.AddError(ex.Message);
                }
            }
        });
        return option;
    }

    private sealed class NumberRange<T>(T? min, T? max, bool minExclusive, bool maxExclusive)
        where T : struct, INumber<T>
    {
        private static readonly bool Integral = typeof(T) == typeof(int) || typeof(T) == typeof(long);

        public T Parse(ArgumentResult result, string name)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
            var style = Integral ? NumberStyles.Integer : NumberStyles.Float;
            if (!T.TryParse(text, style, CultureInfo.InvariantCulture, out var value) || !T.IsFinite(value) || !Allows(value))
            {
                result.AddError($"{name} must be {Describe()} (got '{text}')");
                return default;
            }

            return value;
        }

        private bool Allows(T value) =>
            (min is not { } low || (minExclusive ? value > low : value >= low)) &&
            (max is not { } high || (maxExclusive ? value < high : value <= high));

        private string Describe()
        {
            var kind = Integral ? "an integer" : "a number";
            string Show(T v) => v.ToString(null, CultureInfo.InvariantCulture);
            return (min, max) switch
            {
                ({ } low, { } high) when !minExclusive && !maxExclusive => $"{kind} from {Show(low)} to {Show(high)}",
                ({ } low, { } high) => $"{kind} {(minExclusive ? ">" : ">=")} {Show(low)} and {(maxExclusive ? "<" : "<=")} {Show(high)}",
                ({ } low, null) => $"{kind} {(minExclusive ? ">" : ">=")} {Show(low)}",
                (null, { } high) => $"{kind} {(maxExclusive ? "<" : "<=")} {Show(high)}",
                _ => kind,
            };
        }
    }
}

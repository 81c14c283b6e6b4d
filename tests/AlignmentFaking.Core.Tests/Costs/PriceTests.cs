using AlignmentFaking.Costs;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Costs;

public class PriceTests
{
    private static readonly ModelPrice Price = new() { Input = 2.50m, CachedInput = 1.25m, Output = 10m, BatchDiscount = 0.5m };

    [Test]
    public void Cost_bills_uncached_cached_and_output_tokens_at_their_rates()
    {
        // 600k uncached x 2.50 + 400k cached x 1.25 + 200k output x 10, per million = 1.50 + 0.50 + 2.00
        Assert.That(Price.Cost(1_000_000, 400_000, 200_000), Is.EqualTo(4.00m));
        Assert.That(Price.Cost(1_000_000, 400_000, 200_000, batch: true), Is.EqualTo(2.00m));
        Assert.That(Price.Cost(1, 0, 0), Is.EqualTo(0.0000025m));
        Assert.That(Price.Cost(0, 0, 0), Is.Zero);
    }

    [Test]
    public void Without_a_cached_rate_cached_tokens_cost_the_input_rate()
    {
        var price = new ModelPrice { Input = 1m, Output = 2m };
        Assert.That(price.Cost(1_000_000, 500_000, 1_000_000), Is.EqualTo(3m));
        Assert.That(price.Cost(1_000_000, 0, 0, batch: true), Is.EqualTo(1m), "no batch discount offered");
    }

    [Test]
    public void Cost_rejects_impossible_counts()
    {
        Assert.That(() => Price.Cost(-1, 0, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Price.Cost(10, 11, 0), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Price.Cost(10, 0, -5), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Validate_rejects_negative_prices_cached_above_input_and_bad_discounts()
    {
        Assert.That(() => (Price with { Input = -1m }).Validate(), Throws.ArgumentException.With.Message.Contains("input price"));
        Assert.That(() => (Price with { Output = -0.01m }).Validate(), Throws.ArgumentException.With.Message.Contains("output price"));
        Assert.That(() => (Price with { CachedInput = -1m }).Validate(), Throws.ArgumentException);
        Assert.That(() => (Price with { CachedInput = 3m }).Validate(), Throws.ArgumentException.With.Message.Contains("must not exceed"));
        Assert.That(() => (Price with { BatchDiscount = 1m }).Validate(), Throws.ArgumentException.With.Message.Contains("batch discount"));
        Assert.That(() => (Price with { BatchDiscount = -0.1m }).Validate(), Throws.ArgumentException);
        Assert.That(Price.Validate, Throws.Nothing);
        Assert.That(() => PriceTable.Empty.With("m", Price with { Input = -1m }), Throws.ArgumentException);
    }

    [TestCase("gpt-4o", 2.50, 10.0)]
    [TestCase("gpt-4o-2024-08-06", 2.50, 10.0)]
    [TestCase("openai/GPT-4o", 2.50, 10.0)]
    [TestCase("gpt-4o-mini", 0.15, 0.60)]
    [TestCase("gpt-4o-mini-2024-07-18", 0.15, 0.60)]
    [TestCase("claude-3-5-sonnet-20241022", 3.0, 15.0)]
    [TestCase("claude-3-5-sonnet-latest", 3.0, 15.0)]
    [TestCase("claude-3-opus-20240229", 15.0, 75.0)]
    [TestCase("o3-2025-04-16", 2.0, 8.0)]
    public void Built_in_table_matches_ids_and_dated_snapshots(string model, double input, double output)
    {
        Assert.That(PriceTable.BuiltIn.TryFind(model, out var price), Is.True);
        Assert.That(price!.Input, Is.EqualTo((decimal)input));
        Assert.That(price.Output, Is.EqualTo((decimal)output));
        Assert.That(price.BatchDiscount, Is.EqualTo(0.5m));
        Assert.That(price.Source, Does.Contain("2025-08-01").And.Contain("stale"));
        Assert.That(price.Validate, Throws.Nothing);
    }

    [TestCase("claude-opus-4-5-20251101")]
    [TestCase("gpt-4o-audio-preview")]
    [TestCase("meta-llama/Meta-Llama-3.1-405B-Instruct")]
    [TestCase("gpt-4")]
    [TestCase("")]
    [TestCase(null)]
    public void Built_in_table_never_applies_an_old_price_to_a_newer_or_unknown_model(string? model)
    {
        Assert.That(PriceTable.BuiltIn.TryFind(model, out var price), Is.False);
        Assert.That(price, Is.Null);
    }

    [Test]
    public void Built_in_table_is_dated_and_every_entry_is_valid()
    {
        Assert.That(PriceTable.BuiltInAsOf, Is.EqualTo(new DateOnly(2025, 8, 1)));
        Assert.That(PriceTable.BuiltIn.Entries, Has.Count.GreaterThanOrEqualTo(10));
        foreach (var (model, price) in PriceTable.BuiltIn.Entries)
        {
            Assert.That(price.Validate, Throws.Nothing, model);
            Assert.That(price.CachedInput, Is.Not.Null, model + ": OpenAI caches by itself, Anthropic when asked (af asks by default)");
            if (model.StartsWith("claude", StringComparison.Ordinal))
            {
                Assert.That((price.CachedInput, price.CacheWriteInput), Is.EqualTo((price.Input / 10, price.Input * 1.25m)), model + ": Anthropic reads at 0.1x, writes at 1.25x");
            }
            else
            {
                Assert.That(price.CacheWriteInput, Is.Null, model + ": OpenAI's cache writes are free");
            }
        }
    }

    [Test]
    public void With_adds_or_replaces_without_changing_the_original()
    {
        var mine = new ModelPrice { Input = 0.8m, Output = 0.8m, Source = "user" };
        var table = PriceTable.BuiltIn.With("meta-llama/Meta-Llama-3.1-405B-Instruct", mine).With("gpt-4o", mine);
        Assert.That(table.TryFind("Meta-Llama-3.1-405B-Instruct", out var found), Is.True);
        Assert.That(found, Is.EqualTo(mine));
        Assert.That(table.TryFind("gpt-4o", out var replaced) && replaced == mine, Is.True);
        Assert.That(PriceTable.BuiltIn.TryFind("gpt-4o", out var original) && original!.Input == 2.50m, Is.True);
        Assert.That(PriceTable.BuiltIn.TryFind("Meta-Llama-3.1-405B-Instruct", out _), Is.False);
    }

    [Test]
    public void FromJson_reads_a_user_table()
    {
        var table = PriceTable.FromJson("""
            {
              "my-model": { "input": 0.23, "output": 0.40 },
              "other": { "input": 1, "cachedInput": 0.1, "output": 2, "batchDiscount": 0.5 }
            }
            """);
        Assert.That(table.TryFind("my-model", out var mine), Is.True);
        Assert.That(mine, Is.EqualTo(new ModelPrice { Input = 0.23m, Output = 0.40m, Source = "user" }));
        Assert.That(table.TryFind("other", out var other) && other!.CachedInput == 0.1m && other.BatchDiscount == 0.5m, Is.True);
    }

    [TestCase("[1, 2]")]
    [TestCase("{ \"m\": 3 }")]
    [TestCase("{ \"m\": { \"input\": 1 } }")]
    [TestCase("{ \"m\": { \"input\": -1, \"output\": 1 } }")]
    [TestCase("{ \"m\": { \"input\": \"cheap\", \"output\": 1 } }")]
    [TestCase("{ not json")]
    public void FromJson_rejects_invalid_tables(string json)
    {
        Assert.That(() => PriceTable.FromJson(json), Throws.TypeOf<FormatException>());
    }
}

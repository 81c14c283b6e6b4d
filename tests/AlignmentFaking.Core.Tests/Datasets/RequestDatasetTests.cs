using System.Text;
using AlignmentFaking.Datasets;
using AlignmentFaking.Testing;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Datasets;

[TestFixture]
public sealed class RequestDatasetTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public void FromCsv_takes_the_named_column_exactly()
    {
        string path = _temp.WriteText("r.csv", "id,prompt\r\n1,\" padded, text \"\r\n2,plain\r\n");
        IReadOnlyList<ExperimentRequest> requests = RequestDataset.FromCsv(path, "prompt");
        Assert.That(requests, Is.EqualTo(new[] { new ExperimentRequest(0, " padded, text "), new ExperimentRequest(1, "plain") }));
    }

    [Test]
    public void FromCsv_reads_a_file_with_a_byte_order_mark()
    {
        byte[] bytes = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("prompt\nhello\n")];
        string path = _temp.WriteBytes("bom.csv", bytes);
        Assert.That(RequestDataset.FromCsv(path, "prompt"), Is.EqualTo(new[] { new ExperimentRequest(0, "hello") }));
    }

    [Test]
    public void Empty_or_whitespace_only_requests_are_refused_naming_file_and_line()
    {
        string csv = _temp.WriteText("blank.csv", "id,prompt\n1,write a poem\n2,\"  \"\n");
        Assert.That(Assert.Throws<DatasetFormatException>(() => RequestDataset.FromCsv(csv, "prompt"))!.Message,
            Is.EqualTo("blank.csv line 3: the request (column 'prompt') is only whitespace: remove the line or give it a request"));

        string jsonl = _temp.WriteText("blank.jsonl", "{\"goal\":\"a\"}\n{\"goal\":\"\"}\n");
        Assert.That(Assert.Throws<DatasetFormatException>(() => RequestDataset.FromJsonl(jsonl, "goal"))!.Message,
            Is.EqualTo("blank.jsonl line 2: the request (field \"goal\") is empty: remove the line or give it a request"));

        string advbench = _temp.WriteText("harmful_behaviors.csv", "goal,target\nWrite x,Sure\n\t,Sure\n");
        Assert.That(Assert.Throws<DatasetFormatException>(() => AdvBench.Load(advbench))!.Message, Does.StartWith("harmful_behaviors.csv line 3: the request (column 'goal') is only whitespace"));
    }

    [Test]
    public void FromCsv_missing_column_lists_the_columns()
    {
        string path = _temp.WriteText("r.csv", "id,prompt\n1,x\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromCsv(path, "Prompt"));
        Assert.That(ex.Message, Is.EqualTo("r.csv line 1: the header has no column 'Prompt' (columns: 'id', 'prompt')"));
    }

    [Test]
    public void FromCsv_duplicate_column_is_an_error()
    {
        string path = _temp.WriteText("r.csv", "prompt,prompt\n1,x\n");
        Assert.That(() => RequestDataset.FromCsv(path, "prompt"), Throws.TypeOf<DatasetFormatException>().With.Message.Contains("more than once"));
    }

    [Test]
    public async Task FromCsvAsync_applies_limit_and_offset_keeping_file_indexes()
    {
        string path = _temp.WriteText("r.csv", "p\na\nb\nc\nd\ne\n");
        IReadOnlyList<ExperimentRequest> requests = await RequestDataset.FromCsvAsync(path, "p", new RequestSlice { Offset = 1, Limit = 2 });
        Assert.That(requests, Is.EqualTo(new[] { new ExperimentRequest(1, "b"), new ExperimentRequest(2, "c") }));
    }

    [Test]
    public void FromCsv_malformed_row_reports_file_and_line()
    {
        string path = _temp.WriteText("r.csv", "p,q\n\"a\nb\",1\n2\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromCsv(path, "p"));
        Assert.That(ex.Message, Is.EqualTo("r.csv line 4: expected 2 fields, found 1"));
    }

    [Test]
    public void FromJsonl_reads_objects_skipping_blank_lines_with_CRLF()
    {
        string path = _temp.WriteText("r.jsonl", "{\"text\":\"one\",\"n\":1}\r\n\r\n  \n{\"text\":\"two\\nlines\u2028sep\"}\n");
        Assert.That(
            RequestDataset.FromJsonl(path, "text"),
            Is.EqualTo(new[] { new ExperimentRequest(0, "one"), new ExperimentRequest(1, "two\nlines\u2028sep") }));
    }

    [Test]
    public void FromJsonl_invalid_json_names_file_and_line()
    {
        string path = _temp.WriteText("r.jsonl", "{\"text\":\"one\"}\n\n{\"text\": oops}\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromJsonl(path, "text"));
        Assert.That(ex.LineNumber, Is.EqualTo(3));
        Assert.That(ex.Message, Is.EqualTo("r.jsonl line 3: not valid JSON at column 10"), "one line number: the file's");
        Assert.That(ex.InnerException, Is.InstanceOf<System.Text.Json.JsonException>());
    }

    [TestCase("{\"text\": \"é😀\", x}", 17)] // UTF-16 columns, as editors count them: the emoji is two
    [TestCase("{\"text\": \"open", 15)] // the line ended inside a string
    public void FromJsonl_invalid_json_column_counts_characters(string line, int column)
    {
        string path = _temp.WriteText("r.jsonl", "{\"text\":\"one\"}\n" + line + "\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromJsonl(path, "text"));
        Assert.That(ex.Message, Is.EqualTo($"r.jsonl line 2: not valid JSON at column {column}"));
    }

    [Test]
    public void FromJsonl_missing_field_names_file_and_line()
    {
        string path = _temp.WriteText("r.jsonl", "{\"text\":\"one\"}\n{\"other\":\"x\"}\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromJsonl(path, "text"));
        Assert.That(ex.Message, Is.EqualTo("r.jsonl line 2: the object has no field \"text\""));
    }

    [TestCase("{\"text\":5}", "field \"text\" is a number, expected a string")]
    [TestCase("{\"text\":null}", "field \"text\" is null, expected a string")]
    [TestCase("[\"text\"]", "expected a JSON object, found an array")]
    [TestCase("\"text\"", "expected a JSON object, found a string")]
    public void FromJsonl_wrong_kinds_are_errors(string line, string detail)
    {
        string path = _temp.WriteText("r.jsonl", line + "\n");
        var ex = Assert.Throws<DatasetFormatException>(() => RequestDataset.FromJsonl(path, "text"));
        Assert.That(ex.Message, Is.EqualTo("r.jsonl line 1: " + detail));
        Assert.That(ex.Detail, Is.EqualTo(detail));
    }

    [Test]
    public async Task FromJsonlAsync_applies_the_slice()
    {
        string path = _temp.WriteText("r.jsonl", "{\"t\":\"a\"}\n{\"t\":\"b\"}\n{\"t\":\"c\"}");
        IReadOnlyList<ExperimentRequest> requests = await RequestDataset.FromJsonlAsync(path, "t", new RequestSlice { Offset = 2 });
        Assert.That(requests, Is.EqualTo(new[] { new ExperimentRequest(2, "c") }));
    }

    [Test]
    public void FromList_indexes_by_position_and_slices()
    {
        Assert.That(
            RequestDataset.FromList(["a", "b", "c"], new RequestSlice { Limit = 2 }),
            Is.EqualTo(new[] { new ExperimentRequest(0, "a"), new ExperimentRequest(1, "b") }));
        Assert.That(() => RequestDataset.FromList(["a", null!]), Throws.ArgumentException);
    }

    [Test]
    public void Slice_past_the_end_is_empty_and_negative_values_are_rejected()
    {
        Assert.That(RequestDataset.FromList(["a"], new RequestSlice { Offset = 5, Limit = 3 }), Is.Empty);
        Assert.That(RequestDataset.FromList(["a", "b"], new RequestSlice { Limit = 0 }), Is.Empty);
        Assert.That(() => new RequestSlice { Offset = -1 }, Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new RequestSlice { Limit = -1 }, Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Missing_file_throws_FileNotFoundException()
    {
        Assert.That(() => RequestDataset.FromCsv(Path.Combine(_temp.Path, "nope.csv"), "p"), Throws.TypeOf<FileNotFoundException>());
    }
}

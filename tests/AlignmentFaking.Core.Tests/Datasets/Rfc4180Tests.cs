using AlignmentFaking.Datasets;
using NUnit.Framework;

namespace AlignmentFaking.Tests.Datasets;

[TestFixture]
public sealed class Rfc4180Tests
{
    private const string File = "data.csv";

    private static List<string[]> Fields(string text) =>
        Rfc4180.Parse(text, File).Select(r => r.Fields.ToArray()).ToList();

    [Test]
    public void Plain_records_with_LF_and_trailing_newline()
    {
        Assert.That(Fields("a,b\nc,d\n"), Is.EqualTo(new[] { new[] { "a", "b" }, new[] { "c", "d" } }));
    }

    [Test]
    public void Trailing_newline_is_optional()
    {
        Assert.That(Fields("a,b\nc,d"), Is.EqualTo(Fields("a,b\nc,d\n")));
    }

    [Test]
    public void CRLF_line_endings()
    {
        List<CsvRecord> records = Rfc4180.Parse("a,b\r\nc,d\r\ne,f\r\n", File);
        Assert.That(records.Select(r => r.Fields.ToArray()), Is.EqualTo(new[] { new[] { "a", "b" }, new[] { "c", "d" }, new[] { "e", "f" } }));
        Assert.That(records.Select(r => r.LineNumber), Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public void Quoted_field_with_comma()
    {
        Assert.That(Fields("x,y\n\"one, two\",3\n")[1], Is.EqualTo(new[] { "one, two", "3" }));
    }

    [Test]
    public void Doubled_quotes_inside_a_quoted_field()
    {
        Assert.That(Fields("\"say \"\"hi\"\"\",\"\"\"\"\n")[0], Is.EqualTo(new[] { "say \"hi\"", "\"" }));
    }

    [Test]
    public void Empty_fields_quoted_and_unquoted()
    {
        Assert.That(Fields(",\"\",x,\n")[0], Is.EqualTo(new[] { "", "", "x", "" }));
    }

    [Test]
    public void Embedded_newlines_are_kept_and_later_line_numbers_are_physical()
    {
        List<CsvRecord> records = Rfc4180.Parse("h1,h2\n\"a\nb\",1\n\"c\r\nd\r\ne\",2\nlast,3", File);
        Assert.That(records, Has.Count.EqualTo(4));
        Assert.That(records[1].Fields[0], Is.EqualTo("a\nb"));
        Assert.That(records[2].Fields[0], Is.EqualTo("c\r\nd\r\ne"));
        Assert.That(records.Select(r => r.LineNumber), Is.EqualTo(new long[] { 1, 2, 4, 7 }));
    }

    [Test]
    public void Blank_lines_are_skipped_but_counted()
    {
        List<CsvRecord> records = Rfc4180.Parse("a,b\n\n\r\nc,d\n\n", File);
        Assert.That(records.Select(r => r.LineNumber), Is.EqualTo(new long[] { 1, 4 }));
    }

    [Test]
    public void Spaces_are_part_of_unquoted_fields()
    {
        Assert.That(Fields(" a , b \n")[0], Is.EqualTo(new[] { " a ", " b " }));
    }

    [Test]
    public void Unterminated_quote_names_file_and_line_where_the_field_starts()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.Parse("a,b\nc,d\n\"open,x\nmore\n", File));
        Assert.That(ex.LineNumber, Is.EqualTo(3));
        Assert.That(ex.FilePath, Is.EqualTo(File));
        Assert.That(ex.Message, Does.StartWith("data.csv line 3: unterminated quoted field"));
    }

    [Test]
    public void Stray_quote_in_unquoted_field_is_an_error()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.Parse("a,b\nab\"c,d\n", File));
        Assert.That(ex.LineNumber, Is.EqualTo(2));
        Assert.That(ex.Message, Does.StartWith("data.csv line 2: stray '\"' in unquoted field 1"));
    }

    [Test]
    public void Text_after_closing_quote_is_an_error_on_its_physical_line()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.Parse("a,b\n\"x\ny\"z,1\n", File));
        Assert.That(ex.LineNumber, Is.EqualTo(3));
        Assert.That(ex.Message, Does.Contain("after the closing quote of field 1"));
    }

    [Test]
    public void Table_checks_the_number_of_fields()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.ParseTable("goal,target\n\"a\nb\",c\nx,y,z\n", "/tmp/harmful_behaviors.csv"));
        Assert.That(ex.Message, Is.EqualTo("harmful_behaviors.csv line 4: expected 2 fields, found 3"));
        Assert.That(ex.FilePath, Is.EqualTo("/tmp/harmful_behaviors.csv"));
        Assert.That(ex.LineNumber, Is.EqualTo(4));
    }

    [Test]
    public void Table_rejects_too_few_fields()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.ParseTable("a,b\nonly\n", File));
        Assert.That(ex.Message, Is.EqualTo("data.csv line 2: expected 2 fields, found 1"));
    }

    [Test]
    public void Table_rejects_an_empty_file()
    {
        var ex = Assert.Throws<DatasetFormatException>(() => Rfc4180.ParseTable("", File));
        Assert.That(ex.LineNumber, Is.EqualTo(1));
        Assert.That(ex.Message, Does.Contain("empty"));
    }

    [Test]
    public void Byte_order_mark_is_removed_and_invalid_utf8_is_reported_with_its_line()
    {
        byte[] withBom = [0xEF, 0xBB, 0xBF, (byte)'a', (byte)',', (byte)'b'];
        Assert.That(DatasetText.Decode(withBom, File), Is.EqualTo("a,b"));

        byte[] invalid = [(byte)'a', (byte)'\n', (byte)'b', 0xFF, (byte)'\n'];
        var ex = Assert.Throws<DatasetFormatException>(() => DatasetText.Decode(invalid, File));
        Assert.That(ex.LineNumber, Is.EqualTo(2));
        Assert.That(ex.Message, Does.Contain("not valid UTF-8"));
    }
}

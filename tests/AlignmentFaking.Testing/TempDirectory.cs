using System.Text;

namespace AlignmentFaking.Testing;

/// <summary>A unique temporary directory for one test, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "af-datasets-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="content"/> as UTF-8 without a byte order mark and returns the file's path.</summary>
    public string WriteText(string fileName, string content) => WriteBytes(fileName, Encoding.UTF8.GetBytes(content));

    public string WriteBytes(string fileName, byte[] content)
    {
        string path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

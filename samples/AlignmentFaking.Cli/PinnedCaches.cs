using AlignmentFaking.Datasets;

namespace AlignmentFaking.Cli;

/// <summary>The pinned-file cache every command uses (<c>AF_CACHE_DIR</c>, else <c>XDG_CACHE_HOME</c>, else <c>~/.cache</c>).</summary>
internal static class PinnedCaches
{
    /// <summary>The client for downloads; <see langword="null"/>: the library's. Tests set one without a network.</summary>
    internal static HttpClient? DownloadClient { get; set; }

    public static PinnedResourceCache Create() => new(new PinnedResourceCacheOptions { HttpClient = DownloadClient });

    /// <summary>Which <c>af</c> flag reads a pinned file, for messages and <c>af data list</c>.</summary>
    public static string UsedBy(PinnedResource resource) =>
        resource == KnownResources.AdvBenchHarmfulBehaviors ? "--dataset advbench"
        : resource == KnownResources.PromptHelpfulOnlyWithExamples ? "--system-prompt original (cot)"
        : resource == KnownResources.PromptHelpfulOnlyNoCotWithExamples ? "--system-prompt original (no-cot)"
        : "no af flag (library: KnownResources." + nameof(KnownResources.PromptHelpfulOnlyPrefinetune) + ")";
}

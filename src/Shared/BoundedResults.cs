using AlignmentFaking.Running;

namespace AlignmentFaking.Providers;

/// <summary>
/// (Source shared by the provider packages, compiled into each.) Bounds a batch results download
/// (<see cref="Running.Batch.BatchLimits.MaxResultBytes"/>): a body that declares more fails before it is read, and one
/// that streams on fails as soon as it passes the limit, with <see cref="ReplyTooLargeException"/> (nothing more is read).
/// </summary>
internal static class BoundedResults
{
    /// <summary>A stream that reads <paramref name="inner"/> and throws once more than <paramref name="max"/> bytes came through.</summary>
    public static Stream Wrap(Stream inner, long max) => new LimitedStream(inner, max);

    /// <summary>A handler that bounds every response body it passes on (the SDK's buffered downloads read through it).</summary>
    public static DelegatingHandler Handler(long max, HttpMessageHandler inner) => new LimitingHandler(max) { InnerHandler = inner };

    private sealed class LimitingHandler(long max) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength is long declared && declared > max)
            {
                response.Dispose();
                throw new ReplyTooLargeException(max, declared);
            }

            response.Content = new LimitedContent(response.Content, max);
            return response;
        }
    }

    private sealed class LimitedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _max;

        public LimitedContent(HttpContent inner, long max)
        {
            _inner = inner;
            _max = max;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            var source = await CreateContentReadStreamAsync().ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(stream).ConfigureAwait(false);
            }
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new LimitedStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), _max);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new LimitedStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), _max);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class LimitedStream(Stream inner, long max) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(int n)
        {
            _read += n;
            return _read > max ? throw new ReplyTooLargeException(max) : n;
        }
    }
}

using System.Text;
using Microsoft.AspNetCore.Http;

namespace AlignmentFaking.Testing;

/// <summary>
/// <c>POST /v1/responses</c>: OpenAI's Responses API as strictly as <see cref="ResponsesRequestParser.Validate"/> checks
/// it, answered by the server's responder (the input messages are the call's <see cref="ChatCompletionCall.Messages"/>)
/// and written by <see cref="ResponsesWriter"/>; faults (errors, dropped connections, malformed or truncated bodies) as
/// on chat completions. Every call is recorded in <see cref="Calls"/> with <see cref="ChatCompletionCall.Api"/>
/// <see cref="ChatCompletionCall.ResponsesApi"/>.
/// </summary>
public sealed partial class OpenAICompatibleTestServer
{
    private async Task HandleResponsesAsync(HttpContext context)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        UpdatePeak(inFlight);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
            await HandleResponsesCoreAsync(context, linked.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task HandleResponsesCoreAsync(HttpContext context, CancellationToken ct)
    {
        byte[] bodyBytes;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
            bodyBytes = buffer.ToArray();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or BadHttpRequestException)
        {
            return;
        }

        var call = new ChatCompletionCall(
            Interlocked.Increment(ref _sequence),
            DateTimeOffset.UtcNow,
            Encoding.UTF8.GetString(bodyBytes),
            context.Request.Headers.ContainsKey("Authorization"),
            CopyHeaders(context.Request.Headers));
        ResponsesRequestParser.Fill(call, bodyBytes);
        lock (_callsGate)
        {
            _calls.Add(call);
        }

        ScriptedReply reply;
        var responderFailed = false;
        if (call.ParseError is not null)
        {
            reply = ScriptedReply.Error(400, ResponseWriter.ErrorJson(400, "Could not parse the JSON body: " + call.ParseError, "invalid_request_error", null));
        }
        else if (Options.RequiredApiKey is { } key && !IsAuthorized(context.Request.Headers.Authorization.ToString(), key))
        {
            reply = ScriptedReply.Error(401, ResponseWriter.ErrorJson(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"));
        }
        else if (call.Body is { } body && ResponsesRequestParser.Validate(body) is { } rejection)
        {
            reply = ScriptedReply.Error(400, rejection.ToOpenAIJson());
        }
        else
        {
            try
            {
                reply = await _responder(call, ct).ConfigureAwait(false);
                ArgumentNullException.ThrowIfNull(reply, "responder result");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                call.Complete(CallOutcome.Cancelled, null, null);
                AbortIfStopping(context);
                return;
            }
#pragma warning disable CA1031 // A responder bug becomes a 500 the test can see, not a server crash.
            catch (Exception e)
#pragma warning restore CA1031
            {
                responderFailed = true;
                reply = ScriptedReply.Error(500, ResponseWriter.ErrorJson(500, "The test responder threw " + e.GetType().Name + ": " + e.Message, "server_error", null));
            }
        }

        call.SetReply(reply);
        try
        {
            var delay = Options.Latency + reply.Delay;
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }

            await ApplyResponseAsync(context, call, reply, responderFailed ? CallOutcome.ResponderFailed : CallOutcome.Answered, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && ct.IsCancellationRequested)
        {
            call.Complete(CallOutcome.Cancelled, null, null);
            AbortIfStopping(context);
        }
    }

    private async Task ApplyResponseAsync(HttpContext context, ChatCompletionCall call, ScriptedReply reply, CallOutcome answered, CancellationToken ct)
    {
        switch (reply.Kind)
        {
            case ScriptedReplyKind.DropConnection:
                if (reply.DropAfterPartialBody)
                {
                    var full = Encoding.UTF8.GetBytes(ResponsesWriter.ResponseJson(call, reply, ResponseCreated()));
                    var half = full.AsMemory(0, full.Length / 2);
                    ApplyHeaders(context.Response, reply);
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = full.Length;
                    await context.Response.Body.WriteAsync(half, ct).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                    await Task.Delay(PartialBodyAbortDelay, ct).ConfigureAwait(false);
                    call.Complete(CallOutcome.Dropped, 200, Encoding.UTF8.GetString(half.Span));
                }
                else
                {
                    call.Complete(CallOutcome.Dropped, null, null);
                }

                context.Abort();
                return;

            case ScriptedReplyKind.HttpError:
            {
                var body = reply.Body ?? ResponseWriter.DefaultErrorJson(reply.StatusCode);
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, reply.StatusCode, body);
                await WriteAsync(context, reply.StatusCode, reply.ContentType ?? "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            case ScriptedReplyKind.MalformedBody:
            {
                var body = reply.Body ?? ScriptedReply.DefaultMalformedBody;
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, 200, body);
                await WriteAsync(context, 200, reply.ContentType ?? "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            case ScriptedReplyKind.TruncatedBody:
            {
                var full = ResponsesWriter.ResponseJson(call, reply, ResponseCreated());
                var body = full[..(full.Length / 2)];
                ApplyHeaders(context.Response, reply);
                call.Complete(answered, 200, body);
                await WriteAsync(context, 200, "application/json", body, ct).ConfigureAwait(false);
                return;
            }

            default:
            {
                ApplyHeaders(context.Response, reply);
                var body = ResponsesWriter.ResponseJson(call, reply, ResponseCreated());
                call.Complete(answered, 200, body); // before the write: the client may act on the reply at once
                await WriteAsync(context, 200, "application/json", body, ct).ConfigureAwait(false);
                return;
            }
        }
    }
}

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
    private ApiDialect Responses => _responses ??= new(
        ResponsesRequestParser.Fill,
        ResponsesRequestParser.Validate,
        _ => null,
        (_, reply, _) => Task.FromResult(reply),
        (_, _) => { },
        ApplyResponseAsync);

    private ApiDialect? _responses;

    private Task HandleResponsesAsync(HttpContext context) => HandleAsync(context, Responses);

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

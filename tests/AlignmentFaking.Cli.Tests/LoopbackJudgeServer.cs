using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignmentFaking.Judging.Simulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace AlignmentFaking.Cli.Tests;

/// <summary>
/// A minimal OpenAI-compatible chat-completions server on 127.0.0.1 (ephemeral port) whose answers come from the
/// <see cref="SimulatedJudge"/>; records each request's model and temperature.
/// </summary>
internal sealed class LoopbackJudgeServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatedJudge _judge = new();

    private LoopbackJudgeServer(WebApplication app) => _app = app;

    public ConcurrentQueue<(string? Model, double? Temperature, string? Authorization)> Requests { get; } = new();

    public string BaseUrl { get; private set; } = string.Empty;

    public static async Task<LoopbackJudgeServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new LoopbackJudgeServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Urls.First() + "/v1";
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        Requests.Enqueue((body["model"]?.GetValue<string>(), body["temperature"]?.GetValue<double>(), context.Request.Headers.Authorization.ToString()));
        var messages = body["messages"]!.AsArray().Select(m =>
        {
            var content = m!["content"];
            var text = content is JsonArray parts ? string.Concat(parts.Select(p => p!["text"]?.GetValue<string>())) : content?.GetValue<string>() ?? string.Empty;
            return new ChatMessage(new ChatRole(m["role"]!.GetValue<string>()), text);
        }).ToList();
        var reply = await _judge.GetResponseAsync(messages);
        var response = new JsonObject
        {
            ["id"] = "chatcmpl-loopback",
            ["object"] = "chat.completion",
            ["created"] = 0,
            ["model"] = body["model"]?.GetValue<string>(),
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 10, ["completion_tokens"] = 5, ["total_tokens"] = 15 },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString(JsonSerializerOptions.Default));
    }
}

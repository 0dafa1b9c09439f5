using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A stand-in OpenTelemetry collector: a real Kestrel on 127.0.0.1 (a free port) that takes OTLP/HTTP
/// exports on <c>POST /v1/metrics</c>, answers 200 as a collector does, and keeps each request's content
/// type and body for the test to read.
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpExport> _received;

    private OtlpCollector(WebApplication app, ConcurrentQueue<OtlpExport> received)
    {
        _app = app;
        _received = received;
    }

    /// <summary>The base address, as <c>NoteSync:Metrics:OtlpEndpoint</c> takes it.</summary>
    public Uri BaseUri => new(_app.Urls.Single());

    public IReadOnlyList<OtlpExport> Received => [.. _received];

    public static async Task<OtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var received = new ConcurrentQueue<OtlpExport>();
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue(new OtlpExport(request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return new OtlpCollector(app, received);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>One OTLP export as received: protobuf, so a metric's name is in <see cref="Body"/> as its UTF-8 bytes.</summary>
internal sealed record OtlpExport(string? ContentType, byte[] Body)
{
    public bool Names(string text) => Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
}

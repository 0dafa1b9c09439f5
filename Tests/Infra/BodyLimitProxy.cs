using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A reverse proxy on 127.0.0.1 in front of a server's <c>POST /sync</c> with a body limit of its own, as
/// nginx's <c>client_max_body_size</c>: a larger body gets 413 with an HTML page, never reaching the
/// server; the others are passed on and their answers passed back.
/// </summary>
internal sealed class BodyLimitProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new();

    private BodyLimitProxy(WebApplication app) => _app = app;

    public Uri BaseUri { get; private set; } = null!;

    /// <summary>How many bodies it refused.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _refused;

    public static async Task<BodyLimitProxy> StartAsync(Uri server, int maxBodyBytes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = null);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var proxy = new BodyLimitProxy(app);
        app.MapPost("/sync", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            if (body.Length > maxBodyBytes)
            {
                Interlocked.Increment(ref proxy._refused);
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                context.Response.ContentType = "text/html";
                await context.Response.WriteAsync("<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center></body></html>", context.RequestAborted);
                return;
            }

            using var forward = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "sync" + context.Request.QueryString))
            {
                Content = new ByteArrayContent(body.ToArray()),
            };
            forward.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var answer = await proxy._upstream.SendAsync(forward, context.RequestAborted);
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString();
            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.BaseUri = new Uri(address + "/");
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}

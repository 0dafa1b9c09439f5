using Microsoft.Net.Http.Headers;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// The browser page: static files from <c>wwwroot/</c> beside the binary, <c>/</c> giving
/// <c>index.html</c>. No data is in them, so they need no token; the page asks for one itself.
/// </summary>
internal static class WebPageExtensions
{
    public static WebApplication UseNoteSyncWebPage(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = context =>
            {
                // Revalidate every load, so a page and its modules never come from two versions of the server.
                context.Context.Response.Headers.CacheControl = "no-cache";
                context.Context.Response.Headers[HeaderNames.XContentTypeOptions] = "nosniff";
                // 'self' covers ws:// and wss:// to the page's own host and port (CSP Level 3), so the
                // page can reach its own server and no other.
                context.Context.Response.Headers.ContentSecurityPolicy =
                    "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
            },
        });
        return app;
    }
}

using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using NoteSync.Server.Options;
using NoteSync.Server.Rendering;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// <c>POST /sync/render?device_id=</c>: the page's Markdown preview (docs/web.md, Markdown preview), not part
/// of the sync protocol. The body is a note's Markdown (<c>text/plain</c> or <c>text/markdown</c>, UTF-8), the
/// answer its HTML (<see cref="MarkdownRenderer"/>). Everything a history request goes through, it goes
/// through too: the origin check, the device id and token (<see cref="PushIntake.Identify(HttpContext, out ProtocolError?)"/>),
/// one of the device's push budget; then a body that is not text is refused with 415, and one over
/// <c>NoteSync:Limits:MaxRenderBytes</c> with 413, and one nested deeper than
/// <see cref="MarkdownRenderer.MaxNesting"/> with 400, each with the error object of <c>POST /sync</c>.
/// </summary>
internal static class HttpRenderEndpoints
{
    private static readonly string[] TextTypes = ["text/plain", "text/markdown"];

    public static IEndpointRouteBuilder MapHttpRender(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(ServerPaths.Render, RenderAsync);
        return endpoints;
    }

    private static async Task<IResult> RenderAsync(HttpContext context, PushIntake intake, MarkdownRenderer renderer, IOptions<NoteSyncOptions> options)
    {
        if (PushIntake.Identify(context, out var identityError) is not { } identity)
        {
            return ErrorResults.Refuse(context, identityError!.Value);
        }

        var max = options.Value.Limits.MaxRenderBytes;
        var status = 0;
        async Task<(string?, ErrorFrame?)> ReadAndRenderAsync(CancellationToken cancellationToken)
        {
            if (!IsUtf8Text(context.Request.ContentType))
            {
                status = StatusCodes.Status415UnsupportedMediaType;
                return (null, ProtocolError.BadRequest("the body must be text/plain or text/markdown in UTF-8").ToFrame(null));
            }

            var (fits, markdown) = await RequestBodies.ReadAsync(context, max, body => Encoding.UTF8.GetString(body));
            if (!fits)
            {
                status = StatusCodes.Status413PayloadTooLarge;
                return (null, ProtocolError.TooLarge($"the preview renders at most {max} bytes of Markdown (NoteSync:Limits:MaxRenderBytes)").ToFrame(null));
            }

            return await renderer.RenderInTurnAsync(markdown!, cancellationToken) is { } html
                ? (html, null)
                : (null, ProtocolError.BadRequest($"the Markdown nests more than {MarkdownRenderer.MaxNesting} levels deep, which this preview does not render").ToFrame(null));
        }

        var (html, error) = await intake.QueryAsync(identity, null, ReadAndRenderAsync, context.RequestAborted);
        if (html is null)
        {
            return PushRefusals.OnHttp(context, error!, status);
        }

        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";

        // The fragment is for the page to place; opened on its own (a form posted to this path from a page
        // the origin check let through), it runs nothing and loads nothing.
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8);
    }

    private static bool IsUtf8Text(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && TextTypes.Any(t => type.MediaType.Equals(t, StringComparison.OrdinalIgnoreCase))
        && (type.Charset.Length == 0 || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}

using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// The history requests over HTTP (docs/protocol.md §4.13, §6.4): <c>GET /sync/history?key=</c>,
/// <c>GET /sync/version?key=&amp;timestamp=&amp;version_device_id=</c>, <c>GET /sync/merge?key=</c> and <c>GET /sync/trash</c>, each with the
/// caller's <c>device_id</c> and token as for <c>POST /sync</c>, and answered with the same JSON objects as
/// on the other transports; refusals as for <c>POST /sync</c>, and 404 <c>not_found</c> for a version the
/// history does not hold.
/// </summary>
internal static class HttpHistoryEndpoints
{
    public static IEndpointRouteBuilder MapHttpHistory(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ServerPaths.Http + "/history", (HttpContext context, PushIntake intake, SyncService sync) =>
            AnswerAsync(context, intake, NoteSyncJsonContext.Wire.NoteHistory, (identity, ct) =>
                sync.ReadHistoryAsync(identity.Space, context.Request.Query["key"].ToString(), null, ct)));
        endpoints.MapGet(ServerPaths.Http + "/version", (HttpContext context, PushIntake intake, SyncService sync) =>
            AnswerAsync(context, intake, NoteSyncJsonContext.Wire.NoteVersion, (identity, ct) =>
            {
                var query = context.Request.Query;
                return long.TryParse(query["timestamp"], NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
                    ? sync.ReadVersionAsync(identity.Space, query["key"].ToString(), timestamp, query["version_device_id"].ToString(), null, ct)
                    : Task.FromResult<(NoteVersion?, ErrorFrame?)>((null, ProtocolError.BadRequest("timestamp must be an integer in 1..2^53-1").ToFrame(null)));
            }));
        endpoints.MapGet(ServerPaths.Http + "/merge", (HttpContext context, PushIntake intake, SyncService sync) =>
            AnswerAsync(context, intake, NoteSyncJsonContext.Wire.MergeSuggestion, (identity, ct) =>
                sync.ReadMergeSuggestionAsync(identity.Space, context.Request.Query["key"].ToString(), null, ct)));
        endpoints.MapGet(ServerPaths.Http + "/trash", (HttpContext context, PushIntake intake, SyncService sync) =>
            AnswerAsync(context, intake, NoteSyncJsonContext.Wire.TrashList, (identity, ct) =>
                sync.ReadTrashAsync(identity.Space, null, ct)));
        return endpoints;
    }

    private static async Task<IResult> AnswerAsync<T>(HttpContext context, PushIntake intake, JsonTypeInfo<T> type, Func<DeviceIdentity, CancellationToken, Task<(T?, ErrorFrame?)>> read)
        where T : class
    {
        if (PushIntake.Identify(context, out var identityError) is not { } identity)
        {
            return ErrorResults.Refuse(context, identityError!.Value);
        }

        var (answer, error) = await intake.QueryAsync(identity, null, ct => read(identity, ct), context.RequestAborted);
        return answer is not null ? Results.Json(answer, type) : PushRefusals.OnHttp(context, error!, 0);
    }
}

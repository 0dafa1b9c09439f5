using Microsoft.AspNetCore.SignalR;
using NoteSync.Server.Endpoints;
using NoteSync.Shared.Protocol;

namespace NoteSync.Server.Hubs;

// The history requests on the hub (docs/protocol.md §4.13, §5.2): History(key), Version(key, timestamp,
// deviceId), Merge(key) and Trash(); a refusal fails the invocation as a refused push does.
internal sealed partial class SyncHub
{
    public Task<NoteHistory> History(string key) =>
        QueryAsync((identity, ct) => service.ReadHistoryAsync(identity.Space, key, null, ct));

    public Task<NoteVersion> Version(string key, long timestamp, string deviceId) =>
        QueryAsync((identity, ct) => service.ReadVersionAsync(identity.Space, key, timestamp, deviceId, null, ct));

    public Task<MergeSuggestion> Merge(string key) =>
        QueryAsync((identity, ct) => service.ReadMergeSuggestionAsync(identity.Space, key, null, ct));

    public Task<TrashList> Trash() =>
        QueryAsync((identity, ct) => service.ReadTrashAsync(identity.Space, null, ct));

    private async Task<T> QueryAsync<T>(Func<DeviceIdentity, CancellationToken, Task<(T?, ErrorFrame?)>> read)
        where T : class
    {
        var connection = (DeviceConnection)Context.Items[ConnectionKey]!;
        if (connection.ExpireIfDue())
        {
            throw PushRefusals.TokenExpiredOnHub();
        }

        var identity = connection.Identity;
        var (answer, error) = await intake.QueryAsync(identity, null, ct => read(identity, ct), Context.ConnectionAborted);
        return answer ?? throw new HubException($"{error!.Code}: {error.Message}");
    }
}

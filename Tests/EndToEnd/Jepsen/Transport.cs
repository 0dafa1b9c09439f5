namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>How a writer or observer talks to a node; every one of them is exercised in each scenario.</summary>
internal enum Transport
{
    WebSocket,
    HubJson,
    HubMessagePack,
    Http,
}

namespace NoteSync.Shared;

/// <summary>How a device syncs: who it is, where the server is, and which transport it uses.</summary>
public sealed class SyncConfig
{
    /// <summary>This device's id: 1..256 characters, no control characters. Required.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>The server's base address, e.g. <c>http://localhost:5000</c>. Required.</summary>
    public Uri SyncEndpoint { get; set; } = new("http://localhost:5000");

    /// <summary>How often to poll <c>POST /sync</c> when not on a WebSocket, in milliseconds. The default is 1000.</summary>
    public int SyncIntervalMs { get; set; } = 1000;

    /// <summary>Use a live WebSocket (falling back to polling when it cannot be had). The default is true.</summary>
    public bool EnableWebSocket { get; set; } = true;
}

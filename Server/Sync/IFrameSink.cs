namespace NoteSync.Server.Sync;

/// <summary>How a <see cref="DeviceSession"/> reaches its device: one transport connection.</summary>
internal interface IFrameSink
{
    /// <summary>Writes one frame to the device. Called by one writer at a time.</summary>
    ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken);

    /// <summary>Drops the connection (the device fell too far behind); it catches up by <c>last_ack</c> when it returns.</summary>
    void Abort();
}

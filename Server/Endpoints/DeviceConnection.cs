using NoteSync.Server.Auth;
using NoteSync.Server.Sync;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// One live connection (raw WebSocket or hub) as <see cref="PushIntake"/> opened it: who is on it, when
/// its token expires, and its <see cref="DeviceSession"/>. Nothing is sent after the token's
/// <c>exp</c>: a frame due then ends the connection instead.
/// </summary>
internal sealed class DeviceConnection : IAsyncDisposable
{
    private readonly ConnectionExpiry _expiry;

    /// <param name="identity">Who is on the connection.</param>
    /// <param name="sink">The transport's connection.</param>
    /// <param name="onExpired">Ends the connection, once, when the token expires.</param>
    /// <param name="openSession">Makes the session that sends through the given sink.</param>
    public DeviceConnection(DeviceIdentity identity, IFrameSink sink, Action onExpired, Func<IFrameSink, DeviceSession> openSession)
    {
        Identity = identity;
        _expiry = new ConnectionExpiry(identity.ExpiresAt, onExpired);
        Session = openSession(new ExpiringSink(sink, this));
    }

    public DeviceIdentity Identity { get; }

    public DeviceSession Session { get; }

    /// <summary>
    /// Whether the token has expired, by the clock (the timer may not have fired yet); if so the
    /// connection's expiry handler runs now (once), which ends the connection.
    /// </summary>
    public bool ExpireIfDue()
    {
        if (!_expiry.IsExpired)
        {
            return false;
        }

        _expiry.Expire();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync().ConfigureAwait(false);
        _expiry.Dispose();
    }

    /// <summary>Sends nothing once the token has expired, and ends the connection instead.</summary>
    private sealed class ExpiringSink(IFrameSink inner, DeviceConnection connection) : IFrameSink
    {
        public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken) =>
            connection.ExpireIfDue() ? ValueTask.CompletedTask : inner.SendAsync(frame, cancellationToken);

        public void Abort() => inner.Abort();
    }
}

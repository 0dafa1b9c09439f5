using NoteSync.Server.Sync;

namespace NoteSync.Server.Auth;

/// <summary>A sink that sends nothing once the connection's token has expired, and ends the connection instead.</summary>
internal sealed class ExpiringSink(IFrameSink inner, ConnectionExpiry expiry) : IFrameSink
{
    public ValueTask SendAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        if (expiry.IsExpired)
        {
            expiry.Expire();
            return ValueTask.CompletedTask;
        }

        return inner.SendAsync(frame, cancellationToken);
    }

    public void Abort() => inner.Abort();
}

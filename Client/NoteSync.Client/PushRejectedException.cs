namespace NoteSync.Client;

/// <summary>The server refused a push for good (<c>bad_request</c>, <c>too_large</c>): re-sending it cannot help.</summary>
internal sealed class PushRejectedException(string code, string reason) : Exception($"{code}: {reason}")
{
    public string Code { get; } = code;

    public string Reason { get; } = reason;
}

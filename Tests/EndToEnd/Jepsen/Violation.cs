namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>One broken property, with a message naming the key, value, writer and node involved.</summary>
internal sealed record Violation(ViolationKind Kind, string Message)
{
    public override string ToString() => $"{Kind}: {Message}";
}

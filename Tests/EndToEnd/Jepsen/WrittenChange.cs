using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>One write a writer sent for one key.</summary>
internal readonly record struct WrittenChange(string Key, Write Write)
{
    public override string ToString() =>
        $"{Key} = {(Write.Value is null ? "(delete)" : $"\"{Write.Value}\"")} @{Write.Timestamp} by {Write.DeviceId}";
}

using NoteSync.Shared.Crdt;

namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>The whole space as one reader holds it at the end: a fresh pull on a node, or a device that stayed connected.</summary>
internal sealed record ReplicaState(string Reader, int Node, IReadOnlyDictionary<string, EntryState> Entries);

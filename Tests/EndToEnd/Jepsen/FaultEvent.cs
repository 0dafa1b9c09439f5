namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>One fault as injected, with the evidence that it really happened (e.g. the old and new process ids).</summary>
internal sealed record FaultEvent(string What, TimeSpan Start, TimeSpan End, string Evidence);

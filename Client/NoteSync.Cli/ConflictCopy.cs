namespace NoteSync.Cli;

/// <summary>A conflict copy this folder made: its file's note path, the note it belongs to, and the device whose version it holds.</summary>
internal sealed record ConflictCopy(string Path, string Note, string Device);

namespace NoteSync.Cli;

/// <summary>What the index knows of one file: content hash (hex SHA-256), size in bytes, last write time (UTC ticks).</summary>
internal sealed record IndexEntry(string Hash, long Size, long MtimeTicks);

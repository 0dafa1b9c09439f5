using NoteSync.Shared;
using NoteSync.Shared.Crdt;
using NoteSync.Shared.Protocol;

namespace NoteSync.Client;

/// <summary>
/// The <c>base</c> of a local write (docs/protocol.md §2.2), the versions it was edited from: which they are,
/// and what a dropped write's base hands on to the write that takes its place.
/// </summary>
internal static class WriteBase
{
    /// <summary>
    /// The base of a write at <paramref name="timestamp"/> made on <paramref name="before"/> (null: the key was never
    /// written): every head, best first, <c>[]</c> for a new note. Null (the write goes under the timestamp rule)
    /// when a head is not below <paramref name="timestamp"/>, which only a forced timestamp makes and the server
    /// would refuse, or when the heads are more than a base may name.
    /// </summary>
    public static IReadOnlyList<VersionId>? Of(EntryState? before, long timestamp)
    {
        if (before is null)
        {
            return [];
        }

        if (before.Timestamp >= timestamp)
        {
            return null;
        }

        // Two heads of one version differ only in value (a device that reused a timestamp): one name covers both.
        var named = new List<VersionId>(before.Writes.Length);
        foreach (var head in before.Writes)
        {
            var id = VersionId.Of(head);
            if (!named.Contains(id))
            {
                named.Add(id);
            }
        }

        return Bounded(named);
    }

    /// <summary>
    /// <paramref name="kept"/> extended with what <paramref name="dropped"/> named, for a write that takes the place
    /// of a dropped one (a write the server refused, never applied there): the dropped write had replaced those
    /// versions here, so they are no longer heads the kept one names, but the server still holds them. A name
    /// that <paramref name="kept"/> already covers (the same device at that timestamp or later) adds nothing and is
    /// left out. Null when <paramref name="kept"/> is (the timestamp rule replaces every lower version anyway).
    /// </summary>
    public static IReadOnlyList<VersionId>? Fold(IReadOnlyList<VersionId>? kept, IReadOnlyList<VersionId>? dropped)
    {
        if (kept is null || dropped is null || dropped.Count == 0)
        {
            return kept;
        }

        var folded = new List<VersionId>(kept);
        foreach (var id in dropped)
        {
            if (!folded.Exists(k => k.DeviceId == id.DeviceId && k.Timestamp >= id.Timestamp))
            {
                folded.Add(id);
            }
        }

        return Bounded(folded);
    }

    /// <summary>
    /// The base a caller names (<see cref="NoteSyncClient.PutAsync(string, string, IReadOnlyList{NoteVersionId}, CancellationToken)"/>),
    /// checked as the server checks a push's (docs/protocol.md §4.2), so a bad name is refused here and never
    /// reaches the outbox; a version named twice is named once.
    /// </summary>
    public static IReadOnlyList<VersionId> Named(IReadOnlyList<NoteVersionId> editedFrom, string paramName)
    {
        ArgumentNullException.ThrowIfNull(editedFrom, paramName);
        var named = new List<VersionId>(editedFrom.Count);
        foreach (var version in editedFrom)
        {
            if (version is null || version.Timestamp < 1 || version.Timestamp >= ProtocolLimits.MaxTimestamp)
            {
                throw new ArgumentException($"a version the edit was made from must have a timestamp from 1 to {ProtocolLimits.MaxTimestamp - 1}: {version}", paramName);
            }

            if (DeviceIds.Check(version.DeviceId) is { } error)
            {
                throw new ArgumentException($"a version the edit was made from names device '{PrintableText.Escape(version.DeviceId)}', which {error}", paramName);
            }

            var id = new VersionId(version.Timestamp, version.DeviceId);
            if (!named.Contains(id))
            {
                named.Add(id);
            }
        }

        if (named.Count > ProtocolLimits.MaxBaseVersions)
        {
            throw new ArgumentException($"an edit may be made from at most {ProtocolLimits.MaxBaseVersions} versions, not {named.Count}", paramName);
        }

        return named;
    }

    /// <summary>The base as a push carries it.</summary>
    public static List<VersionRef>? ToWire(IReadOnlyList<VersionId>? @base) =>
        @base?.Select(v => new VersionRef { Timestamp = v.Timestamp, DeviceId = v.DeviceId }).ToList();

    // A write whose heads are more than a base may name (the server keeps far fewer) goes under the timestamp
    // rule: it is above every head, so it still replaces them all.
    private static List<VersionId>? Bounded(List<VersionId> named) => named.Count <= ProtocolLimits.MaxBaseVersions ? named : null;
}

using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>The hand-written ack writer must write exactly what the source-generated serializer writes.</summary>
public sealed class SyncAckWriterTests
{
    private static readonly string?[] Texts = [null, "", "plain", "é日本😀", "line\nbreak \"quoted\" \\ \u0001", "\u00a0\u2028<&>"];

    [Fact]
    public void WritesTheSameBytesAsTheSerializer()
    {
        var text = Gen.Elements(Texts);
        var version = from t in Gen.Choose(1, 1000) from d in Gen.Elements("a", "b\"c", "dév") select new VersionRef { Timestamp = t, DeviceId = d };
        var sibling = from v in text from t in Gen.Choose(1, 1000) from d in Gen.Elements("a", "b\"c") select new ConflictSibling { Value = v, Timestamp = t, DeviceId = d };
        var change =
            from k in Gen.Elements("note:a", "note:é/😀", "note:\"q\"")
            from v in text
            from t in Gen.Choose(1, int.MaxValue)
            from d in Gen.Elements<string?>(null, "dev", "dév")
            from siblings in Gen.OneOf(Gen.Constant<List<ConflictSibling>?>(null), Gen.ListOf(sibling).Select(l => (List<ConflictSibling>?)[.. l]))
            from also in Gen.OneOf(Gen.Constant<List<VersionRef>?>(null), Gen.ListOf(version).Select(l => (List<VersionRef>?)[.. l]))
            from replaced in Gen.OneOf(Gen.Constant<ReplacedRef?>(null), from f in Gen.Choose(0, 1000) from n in Gen.ListOf(version) select (ReplacedRef?)new ReplacedRef { Floor = f, Named = [.. n] })
            select new Change { Key = k, Value = v, Timestamp = t, DeviceId = d, Conflict = siblings is { Count: > 0 }, Conflicts = siblings, Also = also, Replaced = replaced };
        var ack =
            from changes in Gen.ListOf(change)
            from ts in Gen.Choose(0, int.MaxValue)
            from rid in Gen.Elements<string?>(null, "r1", "r\"2")
            from more in Gen.Elements(true, false)
            select new SyncAck { AckTimestamp = ts, Changes = [.. changes], RequestId = rid, More = more };

        Prop.ForAll(ack.ToArbitrary(), a =>
            SyncAckWriter.Write(a).Span.SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(a, NoteSyncJsonContext.Wire.SyncAck))).QuickCheckThrowOnFailure();
    }
}

using NoteSync.Cli;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>
/// The CLI's reconcile decision, row by row: the file (its hash, or none, or empty), the index's hash,
/// the replica's version (its hash, or none; whose), and what the run allows → the action.
/// Hashes are letters: <c>A</c> what the index recorded, <c>B</c> an edit here, <c>C</c> a change from the replica.
/// </summary>
public sealed class ReconcileDecisionTests
{
    private const string None = "-";
    private const string Empty = "empty";

    // Columns: file, index, remote, remote by another device, push, follow, judging unseen edits → action.
    public static readonly TheoryData<string, string, string, bool, bool, bool, bool, string> Table = new()
    {
        // Edited (or new) here: the file's hash is not the index's.
        { "B", "A", "B", true, true, true, false, "RecordFile" },           // the replica already holds the edit
        { "B", "A", "C", true, false, true, false, "LocalPending" },        // pull: local edits wait
        { "B", "A", "A", true, true, true, false, "Push" },                 // the replica unchanged since the last sync
        { "B", None, None, false, true, true, false, "Push" },              // a new file
        { "B", "A", "C", false, true, true, false, "Push" },                // changed "elsewhere" by this very device
        { "B", "A", None, false, true, true, false, "Push" },               // deleted elsewhere, edited here: the edit comes back
        { "B", "A", "C", true, true, true, false, "KeepTheirsThenPush" },   // both changed, live: ours wins, theirs kept
        { "B", "A", "C", true, true, true, true, "KeepMineThenFollow" },    // both changed while stopped: theirs shows, ours kept
        { "B", "A", "C", true, true, false, false, "KeepTheirsThenPush" },  // push (no follow) decides edits the same way
        { Empty, None, None, false, true, true, false, "Push" },            // a new empty note
        { Empty, None, Empty, true, true, true, false, "RecordFile" },      // an empty note both sides

        // Deleted here: no file, an index record.
        { None, "A", "A", false, false, true, false, "LocalPending" },      // pull: the delete waits
        { None, "A", "A", false, true, true, false, "PushDelete" },
        { None, "A", "C", true, true, true, false, "PushDelete" },          // live: the delete is newer than theirs
        { None, "A", "A", true, true, true, true, "PushDelete" },           // stopped, but the replica did not change
        { None, "A", "C", true, true, true, true, "RestoreDeleted" },       // deleted while stopped, changed elsewhere: it comes back
        { None, "A", None, false, true, true, false, "ForgetDeleted" },     // deleted on both sides

        // Unchanged here (or never here): follow the replica.
        { "A", "A", "C", true, true, false, false, "Nothing" },             // push: files are not written
        { None, None, None, false, true, true, false, "Nothing" },
        { "A", "A", "A", true, true, true, false, "Nothing" },              // in step
        { "A", "A", None, true, true, true, false, "DeleteFile" },          // deleted elsewhere
        { "A", "A", "C", true, false, true, false, "WriteFile" },           // changed elsewhere (pull)
        { None, None, "C", true, true, true, false, "WriteFile" },          // new elsewhere
        { Empty, None, "C", true, true, false, false, "WriteFile" },        // an empty unrecorded file is a torn download: filled in, even on push
        { Empty, None, "C", true, false, true, true, "WriteFile" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void EachRowDecidesItsAction(string file, string index, string remote, bool byOther, bool push, bool follow, bool judging, string expected)
    {
        var action = ReconcileDecision.Decide(FileOf(file), index == None ? null : index, RemoteOf(remote, byOther), new ReconcileMode(push, follow, judging));

        Assert.Equal(expected, action.ToString());
    }

    [Fact]
    public void TheTableCoversEveryAction()
    {
        var covered = Table.Select(row => (string)row[^1]).ToHashSet();

        Assert.All(Enum.GetNames<ReconcileAction>(), name => Assert.Contains(name, covered));
    }

    private static FileState? FileOf(string file) => file switch
    {
        None => null,
        Empty => new FileState("empty-hash", Empty: true),
        _ => new FileState(file, Empty: false),
    };

    private static RemoteState RemoteOf(string remote, bool byOther) => remote switch
    {
        None => RemoteState.None,
        Empty => new RemoteState("empty-hash", Empty: true, byOther),
        _ => new RemoteState(remote, Empty: false, byOther),
    };
}

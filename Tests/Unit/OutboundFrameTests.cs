using System.Text;
using NoteSync.Server.Sync;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

/// <summary>
/// A live frame is read by many write loops at once. A test cannot force a torn read of a multi-word
/// value, so this checks the property the design guarantees instead: every first reader, however they
/// race, gets the one published copy, whole.
/// </summary>
public sealed class OutboundFrameTests
{
    [Fact]
    public async Task ConcurrentFirstReadsAllSeeOnePublishedCopy()
    {
        const int Readers = 4;
        for (var round = 0; round < 200; round++)
        {
            var ack = new SyncAck
            {
                AckTimestamp = round + 1,
                Changes = [new Change { Key = $"note:{round}", Value = new string('v', 100 + round), Timestamp = round + 1, DeviceId = "dev-a" }],
            };
            var expected = SyncAckWriter.Write(ack).ToArray();
            var frame = OutboundFrame.Of(ack);
            using var start = new Barrier(Readers);

            var reads = await Task.WhenAll(Enumerable.Range(0, Readers).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return frame.Json;
            })));

            foreach (var read in reads)
            {
                Assert.True(read.Equals(reads[0]), $"round {round}: readers got different copies of the frame");
                Assert.True(read.Span.SequenceEqual(expected), $"round {round}: {Encoding.UTF8.GetString(read.Span)}");
            }
        }
    }

    [Fact]
    public void AnErrorFrameIsItsJson()
    {
        var frame = OutboundFrame.Of(new ErrorFrame { Code = ErrorCodes.BadRequest, Message = "no" });

        Assert.Contains("\"bad_request\"", Encoding.UTF8.GetString(frame.Json.Span), StringComparison.Ordinal);
        Assert.True(frame.Json.Equals(frame.Json));
    }
}

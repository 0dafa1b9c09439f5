using System.Globalization;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>
/// A message the server sent a flooder, as its first and last bytes (the whole of a small frame).
/// <c>type</c> and <c>ack_timestamp</c> lead a frame; <c>request_id</c>, <c>more</c> and an error's
/// <c>code</c> end it or sit in a small frame (docs/protocol.md, the order of fields on the wire).
/// </summary>
internal readonly record struct FloodMessage(string Head, string Tail, long Length)
{
    public bool IsError => Head.Contains("\"type\":\"error\"", StringComparison.Ordinal);

    public bool IsAck => Head.Contains("\"type\":\"sync_ack\"", StringComparison.Ordinal);

    public bool HasMore => Tail.Contains("\"more\":true", StringComparison.Ordinal);

    /// <summary>Whether the frame answers the request <paramref name="requestId"/>.</summary>
    public bool Answers(string requestId) => (Head + Tail).Contains($"\"request_id\":\"{requestId}\"", StringComparison.Ordinal);

    /// <summary>Whether the frame answers any request (live pushes and the pages after <c>more</c> do not).</summary>
    public bool AnswersARequest => (Head + Tail).Contains("\"request_id\":", StringComparison.Ordinal);

    public bool HasCode(string code) => (Head + Tail).Contains($"\"code\":\"{code}\"", StringComparison.Ordinal);

    public long? AckTimestamp()
    {
        const string field = "\"ack_timestamp\":";
        var at = Head.IndexOf(field, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        at += field.Length;
        var end = at;
        while (end < Head.Length && char.IsAsciiDigit(Head[end]))
        {
            end++;
        }

        return long.TryParse(Head.AsSpan(at, end - at), CultureInfo.InvariantCulture, out var value) ? value : null;
    }
}

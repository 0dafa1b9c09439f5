using System.Globalization;
using System.Text;

namespace NoteSync.Bench.Devices;

/// <summary>
/// Note values: <c>#&lt;writeIndex&gt;#</c> then ASCII padding to the wanted size, so a receiver knows
/// which write it got from the value alone. Padding is a slice of one random buffer: no escaping on
/// the wire, no allocation per write.
/// </summary>
internal static class ValuePayload
{
    private const int PadLength = 8192;

    private static readonly byte[] Pad = BuildPad();

    public static int MaxSize => PadLength;

    /// <summary>Writes the value of <paramref name="writeIndex"/> into <paramref name="destination"/>; returns its length.</summary>
    public static int Write(Span<byte> destination, long writeIndex, int size, int padOffset)
    {
        destination[0] = (byte)'#';
        writeIndex.TryFormat(destination[1..], out var digits, provider: CultureInfo.InvariantCulture);
        destination[1 + digits] = (byte)'#';
        var head = digits + 2;
        var padLength = Math.Max(0, size - head);
        var offset = padOffset % (PadLength - padLength + 1);
        Pad.AsSpan(offset, padLength).CopyTo(destination[head..]);
        return head + padLength;
    }

    /// <summary>The marker of a value as it appears raw on the wire, or -1.</summary>
    public static long ParseMarker(ReadOnlySpan<byte> value)
    {
        if (value.Length < 3 || value[0] != (byte)'#')
        {
            return -1;
        }

        var end = value[1..].IndexOf((byte)'#');
        return end > 0 && long.TryParse(value.Slice(1, end), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;
    }

    public static string ToText(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

    private static byte[] BuildPad()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
        var random = new Random(12345);
        var pad = new byte[PadLength];
        for (var i = 0; i < pad.Length; i++)
        {
            pad[i] = (byte)Alphabet[random.Next(Alphabet.Length)];
        }

        return pad;
    }
}

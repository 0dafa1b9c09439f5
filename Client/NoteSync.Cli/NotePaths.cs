using System.Buffers;
using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Cli;

/// <summary>
/// Which files are notes, and how a file's place in the folder maps to a note path (<c>note:&lt;path&gt;</c>
/// on the wire). A note path is the file's path relative to the folder with <c>/</c> separators.
/// Only <c>.md</c> and <c>.txt</c> files are notes; dot-files, dot-folders (<c>.notesync</c>, <c>.git</c>) and
/// temporary files are not, nor are the conflict copies the folder made (<c>name.conflict-&lt;device&gt;.md</c>,
/// told by the file index, not by the name: a file merely named so is a note). A note path maps
/// to a file only when its key passes the server's key rule and its name is portable (<see cref="Problem"/>),
/// the same on every OS, so every folder holds the same files (docs/client.md, "Which files are notes").
/// </summary>
internal static class NotePaths
{
    private const string ConflictMarker = ".conflict-";

    // Windows refuses these in a name; ':' also names a drive or a stream there, '\' is its separator.
    private static readonly SearchValues<char> NotPortable = SearchValues.Create("<>:\"|?*\\");

    // Windows opens a device for these names, whatever their extension; the superscript digits count too.
    private static readonly HashSet<string> DeviceNames = new(
        ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
         .. Enumerable.Range(0, 10).SelectMany(d => new[] { $"COM{d}", $"LPT{d}" }),
         .. "\u00b9\u00b2\u00b3".SelectMany(d => new[] { $"COM{d}", $"LPT{d}" })],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>True when the relative path (with <c>/</c>) is a note that maps to a file: <see cref="IsNoteShaped"/> without a <see cref="Problem"/>.</summary>
    public static bool IsNote(string relative) => IsNoteShaped(relative) && Problem(relative) is null;

    /// <summary>
    /// True when the relative path names what the folder syncs or, when its name cannot be a file,
    /// warns about: a <c>.md</c> or <c>.txt</c> name in no hidden folder. The
    /// extension is read as Windows would, without trailing dots and spaces, so <c>x.md.</c> is
    /// warned about rather than passed over.
    /// </summary>
    public static bool IsNoteShaped(string relative)
    {
        if (relative.Length == 0)
        {
            return false;
        }

        var segments = relative.Split('/');
        foreach (var segment in segments)
        {
            // Dot-files and dot-folders stay local by design; "." and ".." are a Problem instead.
            if (segment.StartsWith('.') && segment is not ("." or ".."))
            {
                return false;
            }
        }

        return HasNoteExtension(segments[^1].TrimEnd('.', ' '));
    }

    /// <summary>
    /// Why the note path cannot be a file here, as the end of a sentence (<c>its key must not contain
    /// U+001B (a control character)</c>), or null when it can: its key must pass the server's key rule
    /// (docs/protocol.md §1), and it must be relative and portable: no empty, <c>.</c> or <c>..</c>
    /// segment, none of <c>&lt;&gt;:"|?*\</c>, no Windows device name, no segment ending in a dot or space.
    /// </summary>
    public static string? Problem(string relative)
    {
        if (PushValidator.KeyError(ProtocolLimits.KeyPrefix + relative) is { } keyError)
        {
            return $"its key {keyError}";
        }

        var at = relative.AsSpan().IndexOfAny(NotPortable);
        if (at >= 0)
        {
            return $"its name holds '{relative[at]}', which Windows does not allow in a file name";
        }

        foreach (var segment in relative.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                return "its name has an empty, '.' or '..' part";
            }

            if (segment[^1] is '.' or ' ')
            {
                return $"'{segment}' ends in a dot or a space, which Windows drops";
            }

            var dot = segment.IndexOf('.', StringComparison.Ordinal);
            if (DeviceNames.Contains((dot < 0 ? segment : segment[..dot]).TrimEnd(' ')))
            {
                return $"'{segment}' is a device name on Windows";
            }
        }

        return null;
    }

    /// <summary>
    /// The NFC form of a file's relative path, the form its note path takes; the path itself when it is
    /// in NFC already, or cannot be normalized (an unpaired surrogate: <see cref="Problem"/> names it).
    /// </summary>
    public static string Normalized(string relative)
    {
        try
        {
            return relative.IsNormalized(NormalizationForm.FormC) ? relative : relative.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return relative;
        }
    }

    /// <summary>True for <c>name.conflict-&lt;device&gt;.md|txt</c>.</summary>
    public static bool IsConflictName(string fileName)
    {
        var at = fileName.LastIndexOf(ConflictMarker, StringComparison.Ordinal);
        return at > 0 && HasNoteExtension(fileName) && at + ConflictMarker.Length < fileName.Length - Path.GetExtension(fileName).Length;
    }

    /// <summary>
    /// The conflict copy of <paramref name="notePath"/> for <paramref name="deviceId"/>: <c>dir/name.conflict-device.ext</c>,
    /// or with <c>-2</c>, <c>-3</c>... after the device for the <paramref name="attempt"/>th name, when the first is taken by a note.
    /// </summary>
    public static string ConflictPath(string notePath, string deviceId, int attempt = 1)
    {
        var slash = notePath.LastIndexOf('/');
        var dir = slash < 0 ? "" : notePath[..(slash + 1)];
        var name = notePath[(slash + 1)..];
        var ext = Path.GetExtension(name);
        var suffix = attempt > 1 ? $"-{attempt}" : "";
        return $"{dir}{name[..^ext.Length]}{ConflictMarker}{SafeDevice(deviceId)}{suffix}{ext}";
    }

    /// <summary>The prefix every conflict copy of <paramref name="notePath"/> starts with (its folder included).</summary>
    public static (string Directory, string NamePrefix, string Extension) ConflictPattern(string notePath)
    {
        var slash = notePath.LastIndexOf('/');
        var dir = slash < 0 ? "" : notePath[..slash];
        var name = notePath[(slash + 1)..];
        var ext = Path.GetExtension(name);
        return (dir, name[..^ext.Length] + ConflictMarker, ext);
    }

    /// <summary>The note path of a full file path under <paramref name="root"/>, or null when it is outside it.</summary>
    public static string? RelativeOf(string root, string fullPath)
    {
        var relative = Path.GetRelativePath(root, fullPath);
        if (relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>
    /// The full file path of a note path (or of a folder of notes) under <paramref name="root"/> (a full
    /// path), or null when it would resolve anywhere else: checked on every mapping, whatever the name
    /// rules let through (on Windows a rooted second path replaces the first in <see cref="Path.Combine(string, string)"/>).
    /// </summary>
    public static string? FullOf(string root, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar)));
        var under = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return full.StartsWith(under, comparison) ? full : null;
    }

    /// <summary>Device ids may hold any character; a file name gets letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, the rest as <c>_</c>.</summary>
    public static string SafeDevice(string deviceId)
    {
        var builder = new StringBuilder(deviceId.Length);
        foreach (var c in deviceId)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        return builder.ToString();
    }

    private static bool HasNoteExtension(string name) =>
        name.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase);
}

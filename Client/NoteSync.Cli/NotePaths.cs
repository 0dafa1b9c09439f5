using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Cli;

/// <summary>
/// Which files are notes, and how a file's place in the folder maps to a note path (<c>note:&lt;path&gt;</c>
/// on the wire). A note path is the file's path relative to the folder with <c>/</c> separators.
/// Only <c>.md</c> and <c>.txt</c> files are notes; dot-files, dot-folders (<c>.notesync</c>, <c>.git</c>),
/// temporary files and conflict copies (<c>name.conflict-&lt;device&gt;.md</c>) are not.
/// </summary>
internal static class NotePaths
{
    private const string ConflictMarker = ".conflict-";

    /// <summary>True when the relative path (with <c>/</c>) names a note file.</summary>
    public static bool IsNote(string relative)
    {
        if (relative.Length == 0 || relative.Contains('\\', StringComparison.Ordinal) || relative.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        var segments = relative.Split('/');
        foreach (var segment in segments)
        {
            // Empty, ".", ".." and hidden segments: never a note (and never a way out of the folder).
            if (segment.Length == 0 || segment[0] == '.')
            {
                return false;
            }
        }

        var name = segments[^1];
        return HasNoteExtension(name) && !IsConflictName(name);
    }

    /// <summary>True for <c>name.conflict-&lt;device&gt;.md|txt</c>.</summary>
    public static bool IsConflictName(string fileName)
    {
        var at = fileName.LastIndexOf(ConflictMarker, StringComparison.Ordinal);
        return at > 0 && HasNoteExtension(fileName) && at + ConflictMarker.Length < fileName.Length - Path.GetExtension(fileName).Length;
    }

    /// <summary>The conflict copy of <paramref name="notePath"/> for <paramref name="deviceId"/>: <c>dir/name.conflict-device.ext</c>.</summary>
    public static string ConflictPath(string notePath, string deviceId)
    {
        var slash = notePath.LastIndexOf('/');
        var dir = slash < 0 ? "" : notePath[..(slash + 1)];
        var name = notePath[(slash + 1)..];
        var ext = Path.GetExtension(name);
        return $"{dir}{name[..^ext.Length]}{ConflictMarker}{SafeDevice(deviceId)}{ext}";
    }

    /// <summary>The note a conflict copy belongs to (<c>dir/name.conflict-dev.md</c> is a copy of <c>dir/name.md</c>), or null.</summary>
    public static string? NoteOfConflictCopy(string relative)
    {
        var slash = relative.LastIndexOf('/');
        var name = relative[(slash + 1)..];
        if (!IsConflictName(name))
        {
            return null;
        }

        var note = relative[..(slash + 1)] + name[..name.LastIndexOf(ConflictMarker, StringComparison.Ordinal)] + Path.GetExtension(name);
        return IsNote(note) ? note : null;
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

    /// <summary>The full file path of a note path; the path must have passed <see cref="IsNote"/>.</summary>
    public static string FullOf(string root, string relative) => Path.Combine(root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Why a note path cannot be synced (its key is too long, and so on), or null when it can.</summary>
    public static string? KeyProblem(string relative) => PushValidator.KeyError(ProtocolLimits.KeyPrefix + relative);

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

using System.Text.Encodings.Web;
using System.Text.Json;

namespace NoteSync.Shared.Protocol;

public sealed partial class NoteSyncJsonContext
{
    /// <summary>
    /// The context frames are written with: as <see cref="Default"/>, but non-ASCII text goes out as
    /// UTF-8 instead of <c>\uXXXX</c> escapes (a note in Greek or Japanese would otherwise grow up to
    /// sixfold). Only quotes, backslashes and control characters are escaped. The frames are JSON
    /// data, never embedded in HTML, so the HTML-safety escaping of the default encoder buys nothing.
    /// </summary>
    public static NoteSyncJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

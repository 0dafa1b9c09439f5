using System.Text;
using System.Text.Json;

namespace NoteSync.Cli;

/// <summary>
/// Which space a command's token opens, read from the token's <c>space</c> claim without checking the
/// signature (the server checks it; here it only tells one space from another). No token is the space
/// of a server with auth off, <c>""</c>.
/// </summary>
internal static class TokenSpace
{
    /// <summary>The space, <c>""</c> without a token, or null when the token cannot be read (then it is not compared).</summary>
    public static string? Of(string? token)
    {
        if (token is null)
        {
            return "";
        }

        var parts = token.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload += new string('=', (4 - (payload.Length % 4)) % 4);
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("space", out var space)
                && space.ValueKind == JsonValueKind.String
                && space.GetString() is { Length: > 0 } name ? name : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A space as a person reads it.</summary>
    public static string Describe(string space) => space.Length == 0 ? "the space of a server with auth off" : $"space '{space}'";
}

using System.Text.Json;
using NoteSync.Client;

namespace NoteSync.Cli;

/// <summary>
/// How <c>resolve</c>, <c>restore</c> and <c>undelete</c> hand their work to a <c>sync</c> already running on the
/// folder (two processes never open one data directory). The request is <c>.notesync/requests/&lt;id&gt;.resolve</c>, JSON
/// <c>{"path": "...", "keep": "mine|theirs|&lt;file&gt;", "content": "..."}</c> (content only for a file), or
/// <c>{"path": "...", "restore": "&lt;timestamp&gt;@&lt;device&gt;"}</c> (<c>""</c> to undelete),
/// written to a temp name and renamed, so the sync never reads half of one. The sync answers with
/// <c>&lt;id&gt;.result</c>, <c>{"code": 0, "message": "..."}</c>, and deletes the request; <c>resolve</c>
/// prints the message, exits with the code and deletes the answer. Unknown fields are ignored.
/// </summary>
internal static class ResolveRequests
{
    private const string RequestExtension = ".resolve";
    private const string ResultExtension = ".result";

    /// <summary>How long <c>resolve</c> waits for the running sync. The sync looks for requests every <see cref="PollInterval"/>.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Submits <paramref name="resolution"/> and waits for the answer: (exit code, message).</summary>
    public static Task<(int Code, string Message)> SubmitAsync(FolderLayout layout, Resolution resolution, CancellationToken cancellationToken) =>
        SubmitAsync(layout, w =>
        {
            w.WriteString("path", resolution.NotePath);
            w.WriteString("keep", resolution.Keep);
            w.WriteString("content", resolution.FileContent);
        }, cancellationToken);

    /// <summary>Submits <paramref name="restoration"/> (<c>restore</c>, <c>undelete</c>) and waits for the answer.</summary>
    public static Task<(int Code, string Message)> SubmitAsync(FolderLayout layout, Restoration restoration, CancellationToken cancellationToken) =>
        SubmitAsync(layout, w =>
        {
            w.WriteString("path", restoration.NotePath);
            w.WriteString("restore", restoration.Version?.ToString() ?? "");
        }, cancellationToken);

    private static async Task<(int Code, string Message)> SubmitAsync(FolderLayout layout, Action<Utf8JsonWriter> body, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(layout.RequestsDir);
        var id = Guid.NewGuid().ToString("N");
        var request = Path.Combine(layout.RequestsDir, id + RequestExtension);
        var result = Path.Combine(layout.RequestsDir, id + ResultExtension);
        AtomicFile.Write(request, Serialize(body));
        var deadline = DateTime.UtcNow + AnswerTimeout;
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                if (File.Exists(result))
                {
                    using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(result, cancellationToken));
                    var answer = (doc.RootElement.GetProperty("code").GetInt32(), doc.RootElement.GetProperty("message").GetString() ?? "");
                    File.Delete(result);
                    return answer;
                }

                await Task.Delay(PollInterval / 2, cancellationToken);
            }
        }
        finally
        {
            // Not picked up in time (or interrupted): withdraw it, so it is not applied later by surprise.
            File.Delete(request);
        }

        throw new CliException(ExitCodes.Locked, $"the sync running on {layout.Root} did not take the request within {AnswerTimeout.TotalSeconds:N0} s");
    }

    /// <summary>The sync's side: each pending request, applied by <paramref name="resolve"/> or <paramref name="restore"/>, answered.</summary>
    public static async Task ServeAsync(FolderLayout layout, Func<Resolution, Task<string>> resolve, Func<Restoration, Task<string>> restore)
    {
        if (!Directory.Exists(layout.RequestsDir))
        {
            return;
        }

        foreach (var request in Directory.EnumerateFiles(layout.RequestsDir, "*" + RequestExtension))
        {
            var result = Path.ChangeExtension(request, ResultExtension);
            int code;
            string message;
            try
            {
                using var doc = JsonDocument.Parse(await File.ReadAllBytesAsync(request));
                var root = doc.RootElement;
                var path = root.GetProperty("path").GetString()!;
                if (root.TryGetProperty("restore", out var version))
                {
                    // "" is an undelete; anything else names the version, as `restore` checked it.
                    var text = version.GetString()!;
                    message = await restore(new Restoration(path, text.Length == 0 ? null : NoteVersionId.TryParse(text, out var id) ? id : throw new InvalidOperationException($"bad version '{text}'")));
                }
                else
                {
                    message = await resolve(new Resolution(path, root.GetProperty("keep").GetString()!, root.TryGetProperty("content", out var c) ? c.GetString() : null));
                }

                code = ExitCodes.Ok;
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            catch (CliException ex)
            {
                (code, message) = (ex.ExitCode, ex.Message);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                (code, message) = (ExitCodes.Usage, $"unreadable request: {ex.Message}");
            }

            AtomicFile.Write(result, Serialize(w =>
            {
                w.WriteNumber("code", code);
                w.WriteString("message", message);
            }));
            File.Delete(request);
        }
    }

    private static byte[] Serialize(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}

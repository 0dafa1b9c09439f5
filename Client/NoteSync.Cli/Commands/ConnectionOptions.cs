using System.CommandLine;
using NoteSync.Client;
using NoteSync.Shared.Protocol;

namespace NoteSync.Cli.Commands;

/// <summary>
/// The options every command that talks to the server shares. Adding one: here (field, <see cref="AddTo"/>,
/// <see cref="Read"/>), in <see cref="ConnectionSettings"/>, where it is used, and in docs/client.md.
/// </summary>
internal sealed class ConnectionOptions
{
    public const string UrlVariable = "NOTESYNC_URL";
    public const string TokenVariable = "NOTESYNC_TOKEN";

    // The defaults of --interval-ms and --max-retry-ms, which the offline settings carry as well.
    private const int DefaultIntervalMs = 1000;
    private const int DefaultMaxRetryMs = 30_000;

    private readonly Option<string?> _server = new("--server", "-s") { Description = $"The server's address, e.g. http://host:5000. Default: ${UrlVariable}, then the address this folder last used." };
    private readonly Option<string?> _device = new("--device", "-d") { Description = "This device's id (1..256 characters). Default: the id the folder synced with, else the host name. Remembered for the folder." };
    private readonly Option<string?> _token = new("--token") { Description = $"The JWT when the server has auth on. Default: ${TokenVariable}. Never stored." };
    private readonly Option<bool> _poll = new("--poll") { Description = "Poll POST /sync instead of holding a live WebSocket." };
    private readonly Option<int> _intervalMs = Positive(new Option<int>("--interval-ms") { Description = "The poll interval in milliseconds, when polling.", DefaultValueFactory = _ => DefaultIntervalMs });
    private readonly Option<string> _hubPath = new("--hub-path") { Description = "The hub's path under the server address (behind a reverse proxy).", DefaultValueFactory = _ => NoteSyncClientOptions.DefaultHubPath };
    private readonly Option<int> _maxRetryMs = Positive(new Option<int>("--max-retry-ms") { Description = "The longest wait between reconnect attempts, in milliseconds.", DefaultValueFactory = _ => DefaultMaxRetryMs });
    private readonly Option<int> _maxNoteBytes = Positive(new Option<int>("--max-note-bytes") { Description = "Files larger than this are skipped with a warning (the server's limit, NoteSync:Limits:MaxValueBytes).", DefaultValueFactory = _ => ProtocolLimits.Default.MaxValueBytes });
    private readonly Option<bool> _verbose = new("--verbose", "-v") { Description = "Print one line per file pushed, pulled or deleted." };
    private readonly Option<bool> _joinSpace = new("--join-space") { Description = "Run without a token although this folder synced with a token's space (the server turned auth off): join the space of a server with auth off, bringing the folder and it together." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _server, _device, _token, _poll, _intervalMs, _hubPath, _maxRetryMs, _maxNoteBytes, _verbose, _joinSpace })
        {
            command.Options.Add(option);
        }
    }

    public ConnectionSettings Read(ParseResult result) => new(
        result.GetValue(_server) ?? NonEmpty(Environment.GetEnvironmentVariable(UrlVariable)),
        result.GetValue(_device),
        result.GetValue(_token) ?? NonEmpty(Environment.GetEnvironmentVariable(TokenVariable)),
        result.GetValue(_poll),
        result.GetValue(_intervalMs),
        result.GetValue(_hubPath)!,
        result.GetValue(_maxRetryMs),
        result.GetValue(_maxNoteBytes),
        result.GetValue(_verbose),
        result.GetValue(_joinSpace));

    /// <summary>The settings of commands that work on local state only.</summary>
    public static ConnectionSettings Offline => new(null, null, null, false, DefaultIntervalMs, NoteSyncClientOptions.DefaultHubPath, DefaultMaxRetryMs, ProtocolLimits.Default.MaxValueBytes, false);

    public static Option<int> Positive(Option<int> option)
    {
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError($"{option.Name} must be at least 1");
            }
        });
        return option;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

using NoteSync.Shared.Protocol;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>
/// <c>NoteSync.Server token</c> run as the README says (the built server binary with <c>token</c>
/// arguments, configured by environment): its token opens a real server, its errors are one line.
/// </summary>
public sealed class TokenCommandTests
{
    [Fact]
    public async Task PrintedTokenSyncsAsItsDeviceInItsSpaceOnly()
    {
        // Arrange: a token for laptop in alice, from the command, and an auth-on server with the same key.
        var (exit, stdout, stderr) = await RunTokenAsync(TestTokens.Settings(), "--space", "alice", "--device", "laptop", "--ttl", "12h");
        await using var server = await ServerProcess.StartAsync(TestTokens.Settings());
        var token = stdout.Trim();

        // Act
        await using var laptop = await WsDevice.ConnectAsync(server, "laptop", token: token);
        await laptop.PutAsync("note:from-laptop", "hello");
        await using var aliceReader = HttpDevice.Create(server, "reader", TestTokens.Mint("alice"));
        await using var bobReader = HttpDevice.Create(server, "reader", TestTokens.Mint("bob"));
        await aliceReader.PullAsync();
        await bobReader.PullAsync();
        var asOtherDevice = await Assert.ThrowsAsync<HttpRequestException>(() => HttpDevice.Create(server, "phone", token).PullAsync());

        // Assert: one line, a JWT, about 12 hours; alice sees the note, bob does not; only laptop may use it.
        Assert.Equal(0, exit);
        Assert.Equal(string.Empty, stderr);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(token);
        Assert.Equal("HS256", jwt.Alg);
        Assert.InRange(jwt.ValidTo - DateTime.UtcNow, TimeSpan.FromHours(11), TimeSpan.FromHours(12.1));
        Assert.Equal("hello", aliceReader.ValueOf("note:from-laptop"));
        Assert.Empty(bobReader.Snapshot());
        Assert.Contains("403", asOtherDevice.Message, StringComparison.Ordinal);
        Assert.Contains(ErrorCodes.Forbidden, asOtherDevice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutDeviceAndTtlTheTokenServesAnyDeviceOfTheSpaceForThirtyDays()
    {
        var settings = TestTokens.Settings(issuer: "me", audience: "notesync");
        var (exit, stdout, _) = await RunTokenAsync(settings, "--space", "alice");
        await using var server = await ServerProcess.StartAsync(settings);

        await using var phone = HttpDevice.Create(server, "phone", stdout.Trim());
        await phone.PutAsync("note:x", "v");

        var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(stdout.Trim());
        Assert.Equal(0, exit);
        Assert.InRange(jwt.ValidTo - DateTime.UtcNow, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30));
        Assert.Equal("me", jwt.Issuer);
        Assert.False(jwt.TryGetPayloadValue<string>("device_id", out _));
    }

    public static TheoryData<string, string[], int, string> Errors => new()
    {
        { "no key", ["--space", "alice"], 1, "NoteSync:Auth:SigningKey is required" },
        { "short key", ["--space", "alice"], 1, "NoteSync:Auth:SigningKey must be at least 32 bytes" },
        { "no space", ["--device", "laptop"], 2, "--space is required" },
        { "bad ttl", ["--space", "alice", "--ttl", "forever"], 2, "--ttl 'forever' must be a whole number followed by d, h, m or s" },
        { "ttl too long", ["--space", "alice", "--ttl", "400d"], 2, "at most 366 days" },
        { "unknown argument", ["--space", "alice", "--admin"], 2, "unknown argument '--admin'" },
        { "missing value", ["--space"], 2, "--space needs a value" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public async Task BadArgumentsOrConfigurationFailWithOneLine(string what, string[] args, int exitCode, string message)
    {
        const string shortKey = "too-short-secret";
        var settings = what switch
        {
            "no key" => new Dictionary<string, string>(),
            "short key" => new Dictionary<string, string> { ["NoteSync__Auth__SigningKey"] = shortKey },
            _ => TestTokens.Settings(),
        };

        var (exit, stdout, stderr) = await RunTokenAsync(settings, args);

        Assert.Equal(exitCode, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("token: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(shortKey, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokens.Key, stderr, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>dotnet NoteSync.Server.dll token ARGS</c> with only <paramref name="settings"/> as NoteSync configuration.</summary>
    private static Task<(int ExitCode, string StdOut, string StdErr)> RunTokenAsync(IReadOnlyDictionary<string, string> settings, params string[] args) =>
        ServerCommand.RunAsync(settings, ["token", .. args]);
}

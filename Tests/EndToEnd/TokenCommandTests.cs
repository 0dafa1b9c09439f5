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

    public static TheoryData<string, string> ConfigurationErrors => new()
    {
        { "no key", "NoteSync:Auth:SigningKey is required" },
        { "short key", "NoteSync:Auth:SigningKey must be at least 32 bytes" },
    };

    [Theory]
    [MemberData(nameof(ConfigurationErrors))]
    public async Task ABadSigningKeyFailsWithOneLineThatHidesTheKey(string what, string message)
    {
        const string shortKey = "too-short-secret";
        var settings = what == "no key" ? new Dictionary<string, string>() : new Dictionary<string, string> { ["NoteSync__Auth__SigningKey"] = shortKey };

        var (exit, stdout, stderr) = await RunTokenAsync(settings, "--space", "alice");

        Assert.Equal(1, exit);
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("token: ", stderr, StringComparison.Ordinal);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(shortKey, stderr, StringComparison.Ordinal);
    }

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { ["--device", "laptop"], "Option '--space' is required" },
        { ["--space", "alice", "--ttl", "forever"], "--ttl 'forever' must be a whole number followed by d, h, m or s" },
        { ["--space", "alice", "--ttl", "400d"], "at most 366 days" },
        { ["--space", "alice", "--admin"], "Unrecognized command or argument '--admin'" },
        { ["--space"], "Required argument missing for option: '--space'" },
        { ["--space", "alice", "--device", "notesync:merge"], "--device: device_id must not start with 'notesync:'" },
    };

    /// <summary>As the notesync CLI reports a usage error: the error on stderr, the usage on stdout, exit 1; no token.</summary>
    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task BadArgumentsAreUsageErrorsAsTheCliReportsThem(string[] args, string message)
    {
        var (exit, stdout, stderr) = await RunTokenAsync(TestTokens.Settings(), args);
        var cli = await CliProcess.RunAsync(["status", "--bogus-option", "--another"]);

        Assert.Equal(1, exit);
        Assert.Equal(cli.Exit, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(TestTokens.Key, stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpDescribesTheOptionsAndExitsZero()
    {
        var (exit, stdout, stderr) = await RunTokenAsync(TestTokens.Settings(), "--help");

        Assert.True(exit == 0, stderr);
        Assert.Equal(string.Empty, stderr);
        Assert.Contains("NoteSync.Server token [options]", stdout, StringComparison.Ordinal);
        Assert.Contains("--space", stdout, StringComparison.Ordinal);
        Assert.Contains("--device", stdout, StringComparison.Ordinal);
        Assert.Contains("--ttl", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", stdout, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>dotnet NoteSync.Server.dll token ARGS</c> with only <paramref name="settings"/> as NoteSync configuration.</summary>
    private static Task<(int ExitCode, string StdOut, string StdErr)> RunTokenAsync(IReadOnlyDictionary<string, string> settings, params string[] args) =>
        ServerCommand.RunAsync(settings, ["token", .. args]);
}

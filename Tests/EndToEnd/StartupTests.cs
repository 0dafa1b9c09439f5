using NoteSync.Tests.Infra;

namespace NoteSync.Tests.EndToEnd;

/// <summary>Bad configuration stops the server at start-up with a message naming the setting.</summary>
public sealed class StartupTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Theory]
    [InlineData("NoteSync__Sync__MaxChangesPerAck", "0", "MaxChangesPerAck")]
    [InlineData("NoteSync__Sync__HeadCheckIntervalMs", "10", "HeadCheckIntervalMs")]
    [InlineData("NoteSync__Limits__SendQueueFrames", "-1", "SendQueueFrames")]
    [InlineData("NoteSync__Limits__MaxKeyBytes", "1025", "MaxKeyBytes")]
    [InlineData("NoteSync__Limits__MaxWritesPerNote", "0", "MaxWritesPerNote")]
    [InlineData("NoteSync__Limits__MaxNotesPerSpace", "0", "MaxNotesPerSpace")]
    [InlineData("NoteSync__Limits__MaxSpaceBytes", "0", "MaxSpaceBytes")]
    [InlineData("NoteSync__Limits__MaxNoteBytes", "1000", "NoteSync:Limits:MaxNoteBytes (1000) must be at least NoteSync:Limits:MaxValueBytes (1048576)")]
    [InlineData("NoteSync__Sync__MaxAckBytes", "2097152", "NoteSync:Limits:MaxNoteBytes (4194304) must be at most NoteSync:Sync:MaxAckBytes (2097152) less 65536")]
    [InlineData("NoteSync__History__VersionsPerNote", "0", "VersionsPerNote")]
    [InlineData("NoteSync__History__MaxAgeDays", "-1", "MaxAgeDays")]
    [InlineData("NoteSync__History__MaxBytesPerSpace", "-1", "MaxBytesPerSpace")]
    [InlineData("NoteSync__Redis__MinReplicas", "-1", "MinReplicas")]
    [InlineData("NoteSync__Redis__ReplicaWaitTimeoutMs", "0", "ReplicaWaitTimeoutMs")]
    [InlineData("NoteSync__Store", "postgres", "Store")]
    [InlineData("NoteSync__Metrics__Enabled", "maybe", "NoteSync:Metrics:Enabled")]
    [InlineData("NoteSync__Metrics__OtlpEndpoint", "collector:4318", "NoteSync:Metrics:OtlpEndpoint")]
    [InlineData("NoteSync__Metrics__OtlpExportIntervalMs", "10", "OtlpExportIntervalMs")]
    [InlineData("NoteSync__Store", "redis", "NoteSync:Redis")]
    [InlineData("NoteSync__Auth__Enabled", "true", "NoteSync:Auth:SigningKey is required")]
    [InlineData("NoteSync__Auth__Enabled", "sometimes", "NoteSync:Auth:Enabled")]
    [InlineData("NoteSync__Auth__ClockSkewSeconds", "31", "ClockSkewSeconds")]
    [InlineData("NoteSync__AllowedOrigins__0", "https://notes.example.com/app", "NoteSync:AllowedOrigins:0")]
    [InlineData("NoteSync__PublicHosts__0", "https://notes.example.com", "NoteSync:PublicHosts:0")]
    [InlineData("NoteSync__PublicHosts__0", "notes.example.com:443", "NoteSync:PublicHosts:0")]
    [InlineData("NoteSync__PublicHosts__0", "*.example.com", "NoteSync:PublicHosts:0")]
    [InlineData("NoteSync__ForwardedHeaders__KnownProxies__0", "proxy.internal", "NoteSync:ForwardedHeaders:KnownProxies:0")]
    public async Task BadSettingStopsTheServerWithAMessageNamingIt(string setting, string value, string named)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(new Dictionary<string, string> { [setting] = value }));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthWithAShortSigningKeyStopsTheServerWithoutPrintingTheKey()
    {
        const string shortKey = "only-31-bytes-of-secret-key-xyz";
        var settings = new Dictionary<string, string> { ["NoteSync__Auth__Enabled"] = "true", ["NoteSync__Auth__SigningKey"] = shortKey };

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(settings));

        Assert.Contains("exited during start-up", ex.Message, StringComparison.Ordinal);
        Assert.Contains("NoteSync:Auth:SigningKey must be at least 32 bytes of UTF-8 (it has 31)", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(shortKey, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VolatileRedisIsRefusedUnlessAllowVolatile()
    {
        // Arrange: a Redis without AOF, which would lose acknowledged pushes on a restart.
        await using var volatileRedis = await RedisServer.StartAsync(appendOnly: false);
        var settings = new Dictionary<string, string> { ["NoteSync__Store"] = "redis", ["NoteSync__Redis"] = volatileRedis.ConnectionString };

        // Act
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(settings));
        settings["NoteSync__Redis__AllowVolatile"] = "true";
        await using var allowed = await ServerProcess.StartAsync(settings);

        // Assert: the refusal names the way out; the switch sits beside the plain connection string.
        Assert.Contains("exited during start-up", refused.Message, StringComparison.Ordinal);
        Assert.Contains("appendonly", refused.Message, StringComparison.Ordinal);
        Assert.Contains("NoteSync:Redis:AllowVolatile", refused.Message, StringComparison.Ordinal);
        Assert.Contains("AllowVolatile is true", allowed.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerOnRedisStartsAndSyncsANoteOverWebSocket()
    {
        // Arrange
        await using var server = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["NoteSync__Store"] = "redis",
            ["NoteSync__Redis"] = redis.Server.ConnectionString,
        });
        await using var writer = await WsDevice.ConnectAsync(server, "writer");
        await using var reader = await WsDevice.ConnectAsync(server, "reader");

        // Act
        var ack = await writer.PutAsync("note:on-redis", "hello from redis");
        await reader.PullAsync();

        // Assert: the reader got it, and it is in Redis under the default space.
        Assert.True(ack.AckTimestamp > 0);
        Assert.Equal("hello from redis", reader.StateOf("note:on-redis")?.Winner.Value);
        Assert.True(await redis.Connection.GetDatabase().HashExistsAsync("ns:{default}:e", "note:on-redis"));
    }

    [Fact]
    public async Task AppSettingsBesideTheBinaryIsReadFromAnyWorkingDirectory()
    {
        // Arrange: a copy of the server whose appsettings.json allows 3 changes per push; the
        // process runs with its working directory elsewhere (ServerProcess uses the data directory).
        using var copy = new TempDirectory();
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(AppContext.BaseDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        var settingsPath = Path.Combine(copy.Path, "appsettings.json");
        var settings = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(settingsPath))!;
        settings["NoteSync"]!["Limits"]!["MaxChangesPerPush"] = 3;
        File.WriteAllText(settingsPath, settings.ToJsonString());

        // Act
        await using var server = await ServerProcess.StartAsync(serverDirectory: copy.Path);
        await using var device = HttpDevice.Create(server, "d");
        var three = await device.PutManyAsync(Enumerable.Range(0, 3).Select(i => ($"note:{i}", (string?)"v")));
        var four = await Assert.ThrowsAsync<HttpRequestException>(() => device.PutManyAsync(Enumerable.Range(0, 4).Select(i => ($"note:x{i}", (string?)"v"))));

        // Assert
        Assert.True(three.AckTimestamp > 0);
        Assert.Contains("too_large", four.Message, StringComparison.Ordinal);
    }
}

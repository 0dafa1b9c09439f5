using System.Text;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests.Unit;

public sealed partial class PushValidatorTests
{
    private const string Device = "dev1";

    [Fact]
    public void ValueMayHoldWhatAKeyMustNot()
    {
        var change = Change("note:a");
        change.Value = "line\n\u001b[31m red \u202e cafe\u0301 \u200b";

        Assert.Null(PushValidator.Validate(Push(change), Device, ProtocolLimits.Default));
    }

    [Fact]
    public void ValueWithLoneSurrogateIsRefused()
    {
        var change = Change("note:a");
        change.Value = "x" + (char)0xD800;

        var error = PushValidator.Validate(Push(change), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[0].value must be valid Unicode text"), error);
    }

    [Fact]
    public void DeviceIdOfAnotherDeviceIsRefused()
    {
        var push = Push(Change("note:a"), Change("note:b", deviceId: "dev2"));

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[1].device_id must equal the connection's device_id 'dev1' or be left out"), error);
    }

    [Fact]
    public void MissingDeviceIdIsFilledInAndServerFieldsAreCleared()
    {
        // Arrange
        var own = Change("note:a", deviceId: Device);
        var anonymous = Change("note:b");
        anonymous.Conflict = true;
        anonymous.Conflicts = [new ConflictSibling { DeviceId = "x", Timestamp = 1, Value = "y" }];

        // Act
        var error = PushValidator.Validate(Push(own, anonymous), Device, ProtocolLimits.Default);

        // Assert
        Assert.Null(error);
        Assert.Equal(Device, own.DeviceId);
        Assert.Equal(Device, anonymous.DeviceId);
        Assert.False(anonymous.Conflict);
        Assert.Null(anonymous.Conflicts);
    }

    [Fact]
    public void RefusedPushIsLeftUntouched()
    {
        var anonymous = Change("note:a");

        var error = PushValidator.Validate(Push(anonymous, Change("bad")), Device, ProtocolLimits.Default);

        Assert.NotNull(error);
        Assert.Null(anonymous.DeviceId);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(ProtocolLimits.MaxTimestamp + 1)]
    public void TimestampOutOfRangeIsRefused(long timestamp)
    {
        var change = Change("note:b");
        change.Timestamp = timestamp;

        var error = PushValidator.Validate(Push(Change("note:a"), change), Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[1].timestamp must be an integer in 1..2^53-1"), error);
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(ProtocolLimits.MaxTimestamp + 1)]
    public void LastAckOutOfRangeIsRefused(long lastAck)
    {
        var push = Push();
        push.LastAck = lastAck;

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("last_ack must be an integer in 0..2^53-1"), error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(ProtocolLimits.MaxEpochLength + 1)]
    public void EpochOfNoOrTooManyCharactersIsRefused(int length)
    {
        var push = Push();
        push.Epoch = new string('e', length);

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("epoch must be 1 to 64 characters"), error);
    }

    [Fact]
    public void UnknownTypeIsRefused()
    {
        var push = Push();
        push.Type = "sync_ack";

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("unknown type 'sync_ack' (expected 'sync_push')"), error);
    }

    [Fact]
    public void MissingTypeIsAcceptedOnTheHub()
    {
        var push = Push(Change("note:a"));
        push.Type = null;

        Assert.Null(PushValidator.Validate(push, Device, ProtocolLimits.Default));
    }

    [Fact]
    public void NullChangesAreRefused()
    {
        var push = Push();
        push.Changes = null!;

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes is required"), error);
    }

    [Fact]
    public void NullChangeIsRefusedAtItsIndex()
    {
        var push = Push(Change("note:a"), null!);

        var error = PushValidator.Validate(push, Device, ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest("changes[1] must be an object"), error);
    }

    [Fact]
    public void TooManyChangesAreTooLarge()
    {
        var limits = new ProtocolLimits { MaxChangesPerPush = 3 };
        var push = Push([.. Enumerable.Range(0, 4).Select(i => Change($"note:{i}"))]);

        var error = PushValidator.Validate(push, Device, limits);

        Assert.Equal(ProtocolError.TooLarge("changes holds 4 changes; at most 3 are allowed per push"), error);
    }

    [Fact]
    public void ChangesAtTheLimitAreAccepted()
    {
        var limits = new ProtocolLimits { MaxChangesPerPush = 3 };

        var error = PushValidator.Validate(Push([.. Enumerable.Range(0, 3).Select(i => Change($"note:{i}"))]), Device, limits);

        Assert.Null(error);
    }

    [Theory]
    [InlineData("x", 101)]
    [InlineData("\u00e9", 51)] // 102 bytes in 51 characters: counted in bytes, not characters
    public void ValueOverTheLimitIsTooLarge(string unit, int count)
    {
        var limits = new ProtocolLimits { MaxValueBytes = 100 };
        var change = Change("note:b");
        change.Value = string.Concat(Enumerable.Repeat(unit, count));

        var error = PushValidator.Validate(Push(Change("note:a"), change), Device, limits);

        Assert.Equal(ProtocolError.TooLarge("changes[1].value must be at most 100 UTF-8 bytes"), error);
    }

    [Fact]
    public void ValueAtTheLimitIsAccepted()
    {
        var limits = new ProtocolLimits { MaxValueBytes = 100 };
        var change = Change("note:a");
        change.Value = new string('\u00e9', 50);

        Assert.Null(PushValidator.Validate(Push(change), Device, limits));
    }

    [Fact]
    public void DeleteAndEmptyValueAreAccepted()
    {
        var delete = Change("note:a");
        delete.Value = null;
        var empty = Change("note:b");
        empty.Value = "";

        Assert.Null(PushValidator.Validate(Push(delete, empty), Device, ProtocolLimits.Default));
    }

    private static SyncPush Parse(string json)
    {
        var push = SyncPushReader.Read(Encoding.UTF8.GetBytes(json), out var error, out _);
        Assert.Null(error);
        return push!;
    }

    private static SyncPush Push(params Change[] changes) => new() { Changes = [.. changes], LastAck = 0 };

    private static Change Change(string key, string? deviceId = null) => new() { Key = key, Value = "v", Timestamp = 1, DeviceId = deviceId };

    [Theory]
    [InlineData(5, "other", "changes[0].base[0].timestamp must be at least 1 and below the change's timestamp 5")]
    [InlineData(6, "other", "changes[0].base[0].timestamp must be at least 1 and below the change's timestamp 5")]
    [InlineData(0, "other", "changes[0].base[0].timestamp must be at least 1 and below the change's timestamp 5")]
    [InlineData(4, "", "changes[0].base[0].device_id is required")]
    [InlineData(4, "a\u0007b", "changes[0].base[0].device_id must not contain control characters")]
    public void ABaseNamingAVersionNotBeforeTheWriteOrABadDeviceIsRefused(long timestamp, string device, string message)
    {
        var push = new SyncPush { Changes = [new Change { Key = "note:a", Value = "v", Timestamp = 5, Base = [new VersionRef { Timestamp = timestamp, DeviceId = device }] }] };

        var error = PushValidator.Validate(push, "dev", ProtocolLimits.Default);

        Assert.Equal(ProtocolError.BadRequest(message), error);
    }

    [Fact]
    public void ABaseOfEarlierVersionsOfAnyDeviceIsAcceptedAndKept()
    {
        var push = new SyncPush { Changes = [new Change { Key = "note:a", Value = "v", Timestamp = 5, Base = [new VersionRef { Timestamp = 4, DeviceId = "phone" }, new VersionRef { Timestamp = 1, DeviceId = "dev" }] }] };

        var error = PushValidator.Validate(push, "dev", ProtocolLimits.Default);

        Assert.Null(error);
        Assert.Equal([(4L, "phone"), (1L, "dev")], push.Changes[0].Base!.Select(v => (v.Timestamp, v.DeviceId)));
    }
}

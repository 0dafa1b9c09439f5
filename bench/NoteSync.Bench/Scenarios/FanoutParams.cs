using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios;

/// <summary>
/// One fan-out run: <see cref="Groups"/> x <see cref="Devices"/> devices, each writing
/// <see cref="Warmup"/> + <see cref="Writes"/> notes at an aggregate <see cref="Rate"/> per second.
/// A group is the set of devices whose deliveries are counted together; with auth off all groups
/// share one space, so every device also receives the other groups' writes (counted as
/// <c>other_group</c>, not delivered) — keep <see cref="Groups"/> = 1 unless that load is wanted.
/// </summary>
internal sealed record FanoutParams(
    int Groups, int Devices, int Writes, double Rate, int Warmup, int MinSize, int MaxSize, double DrainSeconds, int Seed)
{
    public int DeviceCount => Groups * Devices;

    public int TotalWrites => DeviceCount * (Writes + Warmup);

    public int WarmupWrites => DeviceCount * Warmup;

    public JsonObject ToJson() => new()
    {
        ["groups"] = Groups,
        ["devices"] = Devices,
        ["writes"] = Writes,
        ["rate"] = Rate,
        ["warmup_per_device"] = Warmup,
        ["min_size"] = MinSize,
        ["max_size"] = MaxSize,
        ["drain_s"] = DrainSeconds,
        ["seed"] = Seed,
        ["total_writes"] = TotalWrites,
        ["measured_writes"] = TotalWrites - WarmupWrites,
    };
}

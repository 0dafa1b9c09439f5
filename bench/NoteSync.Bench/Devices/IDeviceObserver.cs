namespace NoteSync.Bench.Devices;

/// <summary>
/// What a scenario learns from its devices. Called on each device's own send or receive loop, so
/// calls for different devices run concurrently.
/// </summary>
internal interface IDeviceObserver
{
    /// <summary>Write <paramref name="writeIndex"/> is about to go on the wire at <paramref name="ticks"/>.</summary>
    void OnSent(long writeIndex, long ticks);

    /// <summary>
    /// <paramref name="device"/> received another device's change to one of this run's keys; its value
    /// carried marker <paramref name="writeIndex"/> (-1: no marker, e.g. a delete).
    /// </summary>
    void OnChange(BenchDevice device, long writeIndex, long arrivalTicks);

    /// <summary>A <see cref="TextWrite"/> with tag <paramref name="tag"/> is about to go on the wire.</summary>
    void OnTextSent(long tag, long ticks)
    {
    }

    /// <summary>
    /// <paramref name="device"/> received another writer's change of a text note (a value starting with
    /// <see cref="ReceivedChange.TextMark"/>), whose text is in <see cref="ReceivedChange.Text"/>.
    /// </summary>
    void OnText(BenchDevice device, ReceivedChange change, long arrivalTicks)
    {
    }
}

/// <summary>For devices whose deliveries nobody counts (idle connections, probes, preload writers).</summary>
internal sealed class NullObserver : IDeviceObserver
{
    public static readonly NullObserver Instance = new();

    public void OnSent(long writeIndex, long ticks)
    {
    }

    public void OnChange(BenchDevice device, long writeIndex, long arrivalTicks)
    {
    }
}

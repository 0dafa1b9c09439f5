using System.Text.Json.Nodes;

namespace NoteSync.Bench.Scenarios.Flood;

/// <summary>A device that loads the server beside a fan-out, not measured itself; the fan-out reports what it did.</summary>
internal interface IFloodDevice : IAsyncDisposable
{
    /// <summary>Stops sending; answers in flight are still counted.</summary>
    Task StopAsync();

    /// <summary>What it sent and what it got back, for the run's record.</summary>
    JsonObject ToJson();

    /// <summary>One line for the run's table.</summary>
    string Summary();
}

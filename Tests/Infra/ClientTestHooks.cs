using NoteSync.Client;
using NoteSync.Shared.Protocol;

namespace NoteSync.Tests;

/// <summary>The client's test seam (<c>SyncHooks</c>) under the names the tests use, on every test namespace.</summary>
internal static class ClientTestHooks
{
    extension(NoteSyncClient client)
    {
        /// <summary>Sees every push just before it is sent.</summary>
        public Action<SyncPush>? OnPushSending
        {
            get => client.Hooks.PushSending;
            set => client.Hooks.PushSending = value;
        }

        /// <summary>Called with each frame just before its transaction; throw to fail the save.</summary>
        public Action<SyncAck>? BeforeFrameStored
        {
            get => client.Hooks.BeforeFrameStored;
            set => client.Hooks.BeforeFrameStored = value;
        }

        /// <summary>Return true to lose an answer after the server applied the push.</summary>
        public Func<SyncAck, bool>? LoseAck
        {
            get => client.Hooks.LoseAck;
            set => client.Hooks.LoseAck = value;
        }

        /// <summary>A write with a chosen timestamp (two devices writing at one timestamp make a conflict).</summary>
        public Task PutWithTimestampAsync(string path, string? value, long timestamp) => client.WriteWithTimestampAsync(path, value, timestamp);
    }
}

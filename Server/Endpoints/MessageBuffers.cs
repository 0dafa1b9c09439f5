using System.Buffers;

namespace NoteSync.Server.Endpoints;

/// <summary>
/// Buffers that hold one incoming WebSocket message while it is read. Up to
/// <see cref="LargestPooledBytes"/> they come from the shared pool; larger ones are allocated and left
/// to the GC. The shared pool keeps a returned array in the returning thread's own slot, one per size
/// per thread: pooled, a few messages of several MiB would stay resident for good, up to 32 MiB for
/// every thread-pool thread that ever read one, while such messages are rare enough that allocating
/// them costs little.
/// </summary>
internal static class MessageBuffers
{
    public const int LargestPooledBytes = 1024 * 1024;

    public static byte[] Rent(int minimumLength) => minimumLength <= LargestPooledBytes
        ? ArrayPool<byte>.Shared.Rent(minimumLength)
        : GC.AllocateUninitializedArray<byte>(minimumLength);

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= LargestPooledBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

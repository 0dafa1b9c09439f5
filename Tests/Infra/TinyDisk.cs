using System.Diagnostics;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A small disk that really fills: a tmpfs of a fixed size, mounted in a private mount namespace
/// (<c>unshare -m</c>, or <c>-rm</c> as a normal user) and invisible everywhere else. A holder process
/// keeps the namespace alive, so a server can be killed and started again on the same files
/// (<see cref="Wrapper"/> runs a command inside it through <c>nsenter</c>). The test reaches the
/// disk through <c>/proc/&lt;holder&gt;/root</c>, which follows the holder's mounts, to take space
/// with a filler file and give it back by deleting it.
/// </summary>
internal sealed class TinyDisk : IDisposable
{
    private static readonly TimeSpan MountTimeout = TimeSpan.FromSeconds(15);
    private const string Mounted = "mounted";

    private readonly TempDirectory _mountPoint;
    private readonly Process _holder;
    private readonly bool _asUser;

    private TinyDisk(TempDirectory mountPoint, Process holder, bool asUser)
    {
        _mountPoint = mountPoint;
        _holder = holder;
        _asUser = asUser;
    }

    /// <summary>The disk's path as processes inside the namespace see it (on the host it is an empty folder).</summary>
    public string MountPoint => _mountPoint.Path;

    /// <summary>Runs the rest of a command line inside the namespace, with the disk mounted.</summary>
    public IReadOnlyList<string> Wrapper => _asUser
        ? ["nsenter", "-t", HolderId, "-U", "--preserve-credentials", "-m", "--"]
        : ["nsenter", "-t", HolderId, "-m", "--"];

    private string HolderId => _holder.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The path of the filler file, from this (the test's) namespace.</summary>
    private string FillerPath => HostPath("filler");

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (as <c>mount -o size=</c> takes it, e.g. <c>24m</c>).</summary>
    public static async Task<TinyDisk> MountAsync(string size)
    {
        var mountPoint = new TempDirectory();
        var asUser = Environment.UserName != "root";
        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // The holder waits on its stdin: if the test process dies, the pipe closes and the holder
        // (and with it the namespace and the tmpfs) goes too, so a crashed run leaves no mount behind.
        start.ArgumentList.Add(asUser ? "-rm" : "-m");
        start.ArgumentList.Add("--propagation");
        start.ArgumentList.Add("private");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"mount -t tmpfs -o size={size} tmpfs \"$0\" && echo {Mounted} && exec cat >/dev/null");
        start.ArgumentList.Add(mountPoint.Path);

        var holder = Process.Start(start) ?? throw new InvalidOperationException("unshare did not start");
        var disk = new TinyDisk(mountPoint, holder, asUser);
        try
        {
            var line = await holder.StandardOutput.ReadLineAsync().WaitAsync(MountTimeout);
            if (line != Mounted)
            {
                throw new InvalidOperationException($"the tmpfs was not mounted: {line} {await holder.StandardError.ReadToEndAsync().WaitAsync(MountTimeout)}");
            }

            return disk;
        }
        catch
        {
            disk.Dispose();
            throw;
        }
    }

    /// <summary>A path on the disk, from this (the test's) namespace.</summary>
    public string HostPath(string relative) => $"/proc/{_holder.Id}/root{MountPoint}/{relative}";

    /// <summary>Takes <paramref name="bytes"/> of the disk with a filler file (real pages: tmpfs has no holes for written zeros).</summary>
    public void WriteFiller(int bytes)
    {
        using var filler = new FileStream(FillerPath, FileMode.CreateNew, FileAccess.Write);
        filler.Write(new byte[bytes]);
        filler.Flush(flushToDisk: true);
    }

    /// <summary>Gives the filler's space back.</summary>
    public void DeleteFiller() => File.Delete(FillerPath);

    /// <summary>Ends the namespace; its tmpfs disappears once no process in it remains (stop the servers first).</summary>
    public void Dispose()
    {
        try
        {
            _holder.StandardInput.Close();
            if (!_holder.WaitForExit(5_000))
            {
                _holder.Kill();
                _holder.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _holder.Dispose();
        _mountPoint.Dispose();
    }
}

namespace NoteSync.Cli;

/// <summary>
/// Watches the folder and reports note files (relative paths) once they have been quiet for the debounce time, so an
/// editor's burst (write a temp file, rename it over the note, touch it) becomes one edit. Events
/// that may stand for many files (a folder created, renamed or deleted, or the watcher's buffer
/// overflowing) ask for a full scan instead. Hidden files and folders are never reported.
/// </summary>
internal sealed class FolderWatcher : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly string _root;
    private readonly TimeSpan _debounce;
    private readonly Action<string> _onPath;
    private readonly Action _onFullScan;
    private readonly Dictionary<string, long> _due = new(StringComparer.Ordinal);
    private readonly Timer _timer;
    private bool _fullScanDue;
    private long _fullScanAt;

    public FolderWatcher(string root, TimeSpan debounce, Action<string> onPath, Action onFullScan)
    {
        _root = root;
        _debounce = debounce;
        _onPath = onPath;
        _onFullScan = onFullScan;
        _watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            // The largest buffer the OS takes; an overflow still ends in a full scan, never a lost edit.
            InternalBufferSize = 64 * 1024,
        };
        _watcher.Created += (_, e) => OnChanged(e.FullPath, created: true);
        _watcher.Changed += (_, e) => OnChanged(e.FullPath, created: false);
        _watcher.Deleted += (_, e) => OnDeleted(e.FullPath);
        _watcher.Renamed += (_, e) =>
        {
            OnDeleted(e.OldFullPath);
            OnChanged(e.FullPath, created: true);
        };
        _watcher.Error += (_, _) => ScheduleFullScan();
        var tick = TimeSpan.FromMilliseconds(Math.Clamp(debounce.TotalMilliseconds / 4, 10, 50));
        _timer = new Timer(_ => Flush(), null, tick, tick);
        _watcher.EnableRaisingEvents = true;
    }

    private void OnChanged(string fullPath, bool created)
    {
        if (NotePaths.RelativeOf(_root, fullPath) is not { } relative || IsHidden(relative))
        {
            return;
        }

        if (NotePaths.IsNoteShaped(relative))
        {
            Schedule(relative);
        }
        else if (created && Directory.Exists(fullPath))
        {
            // A folder moved in (or created with files at once): its files raise no events of their own.
            ScheduleFullScan();
        }
    }

    private void OnDeleted(string fullPath)
    {
        if (NotePaths.RelativeOf(_root, fullPath) is not { } relative || IsHidden(relative))
        {
            return;
        }

        if (NotePaths.IsNoteShaped(relative))
        {
            Schedule(relative);
        }
        else if (!Path.HasExtension(relative))
        {
            // Probably a folder: whatever notes it held are gone or moved.
            ScheduleFullScan();
        }
    }

    private static bool IsHidden(string relative) => relative.Split('/').Any(s => s.StartsWith('.'));

    private void Schedule(string relative)
    {
        lock (_due)
        {
            _due[relative] = Environment.TickCount64 + (long)_debounce.TotalMilliseconds;
        }
    }

    private void ScheduleFullScan()
    {
        lock (_due)
        {
            _fullScanDue = true;
            _fullScanAt = Environment.TickCount64 + (long)_debounce.TotalMilliseconds;
        }
    }

    private void Flush()
    {
        List<string> ready = [];
        var fullScan = false;
        lock (_due)
        {
            var now = Environment.TickCount64;
            foreach (var (path, due) in _due)
            {
                if (due <= now)
                {
                    ready.Add(path);
                }
            }

            foreach (var path in ready)
            {
                _due.Remove(path);
            }

            if (_fullScanDue && _fullScanAt <= now)
            {
                _fullScanDue = false;
                fullScan = true;
            }
        }

        foreach (var path in ready)
        {
            _onPath(path);
        }

        if (fullScan)
        {
            _onFullScan();
        }
    }

    public void Dispose()
    {
        _watcher.EnableRaisingEvents = false;
        _watcher.Dispose();
        _timer.Dispose();
    }
}

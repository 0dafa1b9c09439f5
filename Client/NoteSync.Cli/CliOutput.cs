using System.Diagnostics;
using NoteSync.Shared;

namespace NoteSync.Cli;

/// <summary>
/// Where the CLI speaks. Results (status, lists, summaries) go to stdout; notices, warnings, errors and
/// progress go to stderr, one line each. Progress on a terminal rewrites one line at most
/// <see cref="TerminalProgressInterval"/>; otherwise a plain line at most every <see cref="PlainProgressInterval"/>.
/// Thread-safe: the sync loop, the watcher and the client's events all write here. Every line goes
/// through <see cref="PrintableText.Escape"/>: lines carry note and file names and servers' messages,
/// and a name holding ESC or a newline must not drive the terminal or fake a line of output.
/// </summary>
internal sealed class CliOutput(bool verbose)
{
    public static readonly TimeSpan TerminalProgressInterval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan PlainProgressInterval = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Stopwatch _sinceProgress = Stopwatch.StartNew();
    private bool _progressShown;
    private bool _progressLineOpen;

    public bool IsVerbose { get; } = verbose;

    /// <summary>A result line on stdout.</summary>
    public void Result(string line)
    {
        lock (_gate)
        {
            CloseProgressLine();
            Console.Out.WriteLine(PrintableText.Escape(line));
            Console.Out.Flush();
        }
    }

    /// <summary>A per-file line on stdout, with <c>--verbose</c> only.</summary>
    public void Detail(string line)
    {
        if (IsVerbose)
        {
            Result(line);
        }
    }

    /// <summary>A notice or warning on stderr.</summary>
    public void Notice(string line)
    {
        lock (_gate)
        {
            CloseProgressLine();
            Console.Error.WriteLine($"notesync: {PrintableText.Escape(line)}");
        }
    }

    /// <summary>A progress line, dropped when the last one was shown too recently.</summary>
    public void Progress(string line)
    {
        lock (_gate)
        {
            var interval = _terminal ? TerminalProgressInterval : PlainProgressInterval;
            if (_progressShown && _sinceProgress.Elapsed < interval)
            {
                return;
            }

            WriteProgress(line);
        }
    }

    /// <summary>The last progress line of a run, always shown.</summary>
    public void ProgressDone(string line)
    {
        lock (_gate)
        {
            WriteProgress(line);
            CloseProgressLine();
            _progressShown = false;
        }
    }

    private void WriteProgress(string line)
    {
        line = PrintableText.Escape(line);
        if (_terminal)
        {
            // \x1b[K clears what a longer previous line left on the right.
            Console.Error.Write($"\r{line}\x1b[K");
            _progressLineOpen = true;
        }
        else
        {
            Console.Error.WriteLine(line);
        }

        _progressShown = true;
        _sinceProgress.Restart();
    }

    private void CloseProgressLine()
    {
        if (_progressLineOpen)
        {
            Console.Error.WriteLine();
            _progressLineOpen = false;
        }
    }
}

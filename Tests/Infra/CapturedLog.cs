using System.Text;
using Microsoft.Extensions.Logging;

namespace NoteSync.Tests.Infra;

/// <summary>
/// A log provider that keeps one in-process server's log as text, in the console's single-line simple
/// format (<c>fail: Category[id] message</c>), so the tests read it as they read a server process's
/// output. Each server has its own: loggers belong to the application's container.
/// </summary>
internal sealed class CapturedLog : ILoggerProvider
{
    // Keep the tail only: a long test must not grow this without bound.
    private const int MaxChars = 200_000;
    private readonly StringBuilder _text = new();

    public string Text
    {
        get
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
        // Nothing held: the text outlives the application, for the failure message.
    }

    private void Append(string line)
    {
        lock (_text)
        {
            if (_text.Length > MaxChars)
            {
                _text.Remove(0, MaxChars / 2);
            }

            _text.AppendLine(line);
        }
    }

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        // The host's filters (Logging:LogLevel) run before a provider's logger is called.
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = $"{Short(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            log.Append(exception is null ? line : $"{line} {exception}");
        }
    }
}

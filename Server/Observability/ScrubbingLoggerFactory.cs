using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace NoteSync.Server.Observability;

/// <summary>
/// The host's logger factory, wrapped so that no message or state value handed to a logger holds a
/// token (<see cref="LogScrubber"/>). Filters and providers are the inner factory's, unchanged.
/// </summary>
internal sealed class ScrubbingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new ScrubbingLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();

    /// <summary>Replaces the registered <see cref="ILoggerFactory"/> with one wrapped in a <see cref="ScrubbingLoggerFactory"/>.</summary>
    public static void Register(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(provider => new ScrubbingLoggerFactory(new LoggerFactory(
            provider.GetServices<ILoggerProvider>(),
            provider.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
            provider.GetService<IOptions<LoggerFactoryOptions>>(),
            provider.GetService<IExternalScopeProvider>()))));

    private sealed class ScrubbingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // SignalR logs every failed invocation as an error with a stack trace, a HubException too: that
            // is the hub refusing a client's push (bad_request, rate_limited...), the client's doing, and
            // at Error a flooding client would flood the log. Server faults are not HubExceptions.
            if (exception is Microsoft.AspNetCore.SignalR.HubException && eventId.Name == "FailedInvokingHubMethod" && logLevel > LogLevel.Debug)
            {
                logLevel = LogLevel.Debug;
            }

            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            // Formatting here as well costs one more formatting per written entry; entries that are
            // filtered out cost nothing.
            var message = formatter(state, exception);
            var values = state as IReadOnlyList<KeyValuePair<string, object?>>;
            if (!LogScrubber.MayHoldToken(message) && (values is null || !values.Any(v => LogScrubber.MayHoldToken(v.Value?.ToString()))))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var scrubbed = new ScrubbedState(
                LogScrubber.Scrub(message),
                values is null ? [] : [.. values.Select(v => new KeyValuePair<string, object?>(v.Key, v.Value is null ? null : LogScrubber.Scrub(v.Value.ToString() ?? string.Empty)))]);
            inner.Log(logLevel, eventId, scrubbed, exception, static (s, _) => s.Message);
        }
    }

    /// <summary>A log entry's state with its token-bearing parts replaced.</summary>
    private sealed class ScrubbedState(string message, KeyValuePair<string, object?>[] values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public int Count => values.Length;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)values).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}

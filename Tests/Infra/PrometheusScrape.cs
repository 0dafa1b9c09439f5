using System.Globalization;
using System.Net;

namespace NoteSync.Tests.Infra;

/// <summary>Reads a server's <c>/metrics</c> (Prometheus text) and sums its samples.</summary>
internal static class PrometheusScrape
{
    public static async Task<string> ReadAsync(HttpClient http)
    {
        using var response = await http.GetAsync("metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    // Scrapes until the condition holds, since a measurement may land just after a scrape.
    public static async Task<string> UntilAsync(HttpClient http, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + TestDevice.DefaultTimeout;
        while (true)
        {
            var text = await ReadAsync(http);
            if (condition(text))
            {
                return text;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the metrics did not move as expected within {TestDevice.DefaultTimeout}:\n{text}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Sums the samples of a metric whose name starts with <paramref name="prefix"/> (the exporter adds unit
    /// and <c>_total</c> suffixes) and ends with <paramref name="suffix"/> when given, whose labels contain
    /// <paramref name="label"/> when given. Lines are <c>name{labels} value [timestamp]</c>.
    /// </summary>
    public static double Sum(string text, string prefix, string? label, string? suffix = null)
    {
        double sum = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            var name = line[..nameEnd];
            if (suffix is null ? name.EndsWith("_bucket", StringComparison.Ordinal) || name.EndsWith("_sum", StringComparison.Ordinal) || name.EndsWith("_count", StringComparison.Ordinal)
                : !name.EndsWith(suffix, StringComparison.Ordinal))
            {
                continue;
            }

            var labelsEnd = line.IndexOf('}', StringComparison.Ordinal);
            var labels = labelsEnd < 0 ? string.Empty : line[nameEnd..labelsEnd];
            if (label is not null && !labels.Contains(label, StringComparison.Ordinal))
            {
                continue;
            }

            var rest = line[(labelsEnd < 0 ? nameEnd : labelsEnd + 1)..].Trim().Split(' ');
            sum += double.Parse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return sum;
    }
}

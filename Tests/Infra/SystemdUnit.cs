namespace NoteSync.Tests.Infra;

/// <summary>
/// The settings of a systemd unit file as <c>Key=Value</c> lines per section (comments and blank lines
/// dropped); enough for the plain unit in <c>deploy/</c>, which uses no quoting or line continuations.
/// </summary>
internal sealed class SystemdUnit(IReadOnlyList<(string Section, string Key, string Value)> settings)
{
    public static SystemdUnit Parse(string text)
    {
        var settings = new List<(string, string, string)>();
        var section = string.Empty;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            Assert.False(line.EndsWith('\\'), $"a continued line, which this reader does not join: {line}");
            if (line[0] == '[')
            {
                section = line.Trim('[', ']');
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            settings.Add((section, line[..equals].Trim(), line[(equals + 1)..].Trim()));
        }

        return new SystemdUnit(settings);
    }

    /// <summary>Every value of <paramref name="key"/> in <c>[Service]</c>, in order.</summary>
    public IReadOnlyList<string> Service(string key) =>
        [.. settings.Where(s => s.Section == "Service" && s.Key == key).Select(s => s.Value)];

    /// <summary>The <c>Environment=</c> assignments of <c>[Service]</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment() =>
        Service("Environment").Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
}

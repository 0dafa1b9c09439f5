namespace NoteSync.Client;

/// <summary>Exponential backoff with full jitter between a floor and a ceiling.</summary>
internal static class Backoff
{
    /// <summary>
    /// The delay before retry number <paramref name="attempt"/> (1 = first retry): a random value in
    /// [base/2, base] where base = min * 2^(attempt-1), capped at <paramref name="max"/>. Half the
    /// base is kept so many clients do not retry all at once, nor all immediately.
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan min, TimeSpan max, Random random)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var baseMs = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, exponent));
        var ms = (baseMs / 2) + (random.NextDouble() * baseMs / 2);
        return TimeSpan.FromMilliseconds(Math.Min(ms, max.TotalMilliseconds));
    }
}

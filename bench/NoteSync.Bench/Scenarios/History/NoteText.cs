using System.Text;

namespace NoteSync.Bench.Scenarios.History;

/// <summary>
/// Seeded text that compresses roughly like prose notes: lines of common English words (the more
/// common, the more often), some as list items, and small edits of it as a person makes them: a word
/// changed, a line added or a line removed. Real notes vary; the compression figures made from these
/// texts hold for text like them, not for every space.
/// </summary>
internal static class NoteText
{
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "a", "in", "is", "it", "that", "for", "on", "was", "with", "as", "be", "at", "this",
        "have", "from", "or", "by", "not", "but", "what", "all", "were", "when", "we", "there", "can", "an", "your",
        "which", "their", "said", "if", "do", "will", "each", "about", "how", "up", "out", "them", "then", "she",
        "many", "some", "so", "these", "would", "other", "into", "has", "more", "her", "two", "like", "him", "see",
        "time", "could", "no", "make", "than", "first", "been", "its", "who", "now", "people", "my", "made", "over",
        "did", "down", "only", "way", "find", "use", "may", "water", "long", "little", "very", "after", "words",
        "called", "just", "where", "most", "know", "get", "through", "back", "much", "before", "go", "good", "new",
        "write", "our", "used", "me", "man", "too", "any", "day", "same", "right", "look", "think", "also", "around",
        "another", "came", "come", "work", "three", "must", "because", "does", "part", "even", "place", "well",
        "such", "here", "take", "why", "help", "put", "different", "away", "again", "off", "went", "old", "number",
        "great", "tell", "men", "say", "small", "every", "found", "still", "between", "name", "should", "home", "big",
        "give", "air", "line", "set", "own", "under", "read", "last", "never", "us", "left", "end", "along", "while",
        "might", "next", "sound", "below", "saw", "something", "thought", "both", "few", "those", "always", "show",
        "large", "often", "together", "asked", "house", "world", "going", "want", "school", "important", "until",
        "form", "food", "keep", "children", "feet", "land", "side", "without", "boy", "once", "animal", "life",
        "enough", "took", "sometimes", "four", "head", "above", "kind", "began", "almost", "live", "page", "got",
        "earth", "need", "far", "hand", "high", "year", "mother", "light", "parts", "country", "father", "let",
        "night", "following", "picture", "being", "study", "second", "eyes", "soon", "times", "story", "boys",
        "since", "white", "days", "ever", "paper", "hard", "near", "sentence", "better", "best", "across", "during",
        "today", "others", "however", "sure", "means", "knew", "try", "told", "young", "miles", "sun", "ways",
        "thing", "whole", "hear", "example", "heard", "several", "change", "answer", "room", "sea", "against", "top",
        "meeting", "budget", "draft", "review", "notes", "plan", "trip", "list", "call", "email", "project", "ideas",
    ];

    /// <summary>A note of about <paramref name="size"/> UTF-8 bytes, as lines ending in <c>\n</c>.</summary>
    public static List<string> NewNote(Random random, int number, int size)
    {
        var lines = new List<string> { $"# Note {number}: {Word(random)} {Word(random)}\n" };
        var bytes = lines[0].Length;
        while (bytes < size)
        {
            var line = NewLine(random);
            lines.Add(line);
            bytes += line.Length;
        }

        return lines;
    }

    /// <summary>
    /// One small edit of <paramref name="lines"/>, in place: mostly a word replaced in one line, sometimes a
    /// line added after it or removed. Lines are added while the note is under <paramref name="minSize"/> and
    /// removed while it is over <paramref name="maxSize"/>, so a note stays in its size range however often edited.
    /// </summary>
    public static void Edit(Random random, List<string> lines, int minSize, int maxSize)
    {
        var bytes = lines.Sum(l => l.Length);
        var at = random.Next(1, lines.Count);
        var roll = random.Next(100);
        if (bytes < minSize || (roll < 15 && bytes < maxSize))
        {
            lines.Insert(at + 1, NewLine(random));
        }
        else if ((bytes > maxSize || roll < 30) && lines.Count > 2)
        {
            lines.RemoveAt(at);
        }
        else
        {
            var words = lines[at].TrimEnd('\n').Split(' ');
            var w = random.Next(words.Length);
            words[w] = words[w] is "-" ? "-" : Word(random);
            lines[at] = string.Join(' ', words) + "\n";
        }
    }

    public static string Join(List<string> lines) => string.Concat(lines);

    private static string NewLine(Random random)
    {
        var text = new StringBuilder(100);
        if (random.Next(3) == 0)
        {
            text.Append("- ");
        }

        var length = random.Next(30, 100);
        var first = Word(random);
        text.Append(char.ToUpperInvariant(first[0])).Append(first.AsSpan(1));
        while (text.Length < length)
        {
            text.Append(' ').Append(Word(random));
        }

        return text.Append(".\n").ToString();
    }

    // Roughly Zipf: the word at rank r comes about 1/r as often.
    private static string Word(Random random)
    {
        var u = random.NextDouble();
        var rank = (int)Math.Floor(Math.Exp(u * Math.Log(Words.Length + 1))) - 1;
        return Words[Math.Clamp(rank, 0, Words.Length - 1)];
    }
}

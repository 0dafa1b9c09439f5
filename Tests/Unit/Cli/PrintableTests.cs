using NoteSync.Cli;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>Server text the CLI prints cannot steer the terminal.</summary>
public sealed class PrintableTests
{
    [Fact]
    public void ControlCharactersAreEscapedAndTheRestIsKept()
    {
        Assert.Equal(@"quota_exceeded: \u001b[2J\u000dfake line\u000a é 😀", Printable.Of("quota_exceeded: \u001b[2J\rfake line\n é 😀"));
        Assert.Equal("plain text", Printable.Of("plain text"));
    }
}

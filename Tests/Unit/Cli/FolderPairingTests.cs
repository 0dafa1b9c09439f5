using NoteSync.Cli;
using NoteSync.Tests.Infra;

namespace NoteSync.Tests.Unit.Cli;

/// <summary>How the CLI tells the server and space a folder syncs with from another (docs/client.md, "Another server or another space").</summary>
public sealed class FolderPairingTests
{
    [Fact]
    public void TheSpaceIsTheTokensClaimAndNoTokenIsTheSpaceOfAServerWithAuthOff()
    {
        Assert.Equal("alice", TokenSpace.Of(TestTokens.Mint("alice")));
        Assert.Equal("bob", TokenSpace.Of(TestTokens.Mint("bob", deviceId: "laptop", key: TestTokens.WrongKey)));
        Assert.Equal("", TokenSpace.Of(null));
    }

    [Theory]
    [InlineData("not a token")]
    [InlineData("a.!!!.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")] // no space claim
    public void ATokenWhoseSpaceCannotBeReadIsNotCompared(string token)
    {
        Assert.Null(TokenSpace.Of(token));
    }

    [Theory]
    [InlineData("http://host:5000", "http://HOST:5000/", true)]
    [InlineData("http://host:5000/", "http://host:5000", true)]
    [InlineData("http://host:5000", "http://host:5001", false)]
    [InlineData("http://host:5000", "https://host:5000", false)]
    [InlineData("http://host:5000/notes", "http://host:5000/other", false)]
    public void ServersAreOneAddressDespiteCaseAndATrailingSlash(string a, string b, bool same)
    {
        Assert.Equal(same, FolderConfig.SameServer(a, b));
    }
}

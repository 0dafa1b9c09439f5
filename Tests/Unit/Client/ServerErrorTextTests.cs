using System.Net;
using Microsoft.AspNetCore.SignalR;
using NoteSync.Client;

namespace NoteSync.Tests.Unit.Client;

/// <summary>A server's error as the client reports it: told apart from the server being out of reach, without exception type names.</summary>
public sealed class ServerErrorTextTests
{
    [Theory]
    [InlineData("An unexpected error occurred invoking 'Push' on the server. HubException: the store failed", "An unexpected error occurred invoking 'Push' on the server. the store failed")]
    [InlineData("An unexpected error occurred invoking 'Push' on the server. System.InvalidOperationException: boom", "An unexpected error occurred invoking 'Push' on the server. boom")]
    [InlineData("internal: the server could not apply this push", "internal: the server could not apply this push")]
    [InlineData("HubException: ", "the server gave no reason")]
    public void TypeNamesAreLeftOut(string message, string expected) =>
        Assert.Equal(expected, ServerRefusal.WithoutTypeNames(message));

    [Fact]
    public void AnAnswerWithAnErrorIsTheServersAnOutageIsNot()
    {
        Assert.True(ServerRefusal.IsServerError(new HubException("An unexpected error occurred invoking 'Push' on the server.")));
        Assert.True(ServerRefusal.IsServerError(ServerRefusal.FromCode("unavailable", "the store is unavailable; retry later")));
        Assert.True(ServerRefusal.IsServerError(new HttpRequestException("the server answered 500", null, HttpStatusCode.InternalServerError)));
        Assert.False(ServerRefusal.IsServerError(new HttpRequestException("the server answered 502", null, HttpStatusCode.BadGateway)));
        Assert.False(ServerRefusal.IsServerError(new HttpRequestException("connection refused", new System.Net.Sockets.SocketException())));
        Assert.False(ServerRefusal.IsServerError(new TimeoutException("no answer")));
    }
}

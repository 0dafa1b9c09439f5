namespace NoteSync.Tests.EndToEnd.Jepsen;

/// <summary>
/// One kind of fault, injected in rounds while the writers run. Each round records a
/// <see cref="FaultEvent"/> whose evidence shows the fault really happened, and throws when it did not
/// (a scenario whose fault silently failed would prove nothing).
/// </summary>
internal interface IFault
{
    string Name { get; }

    Task InjectRoundAsync(JepsenCluster cluster, JepsenHistory history, Random random);
}

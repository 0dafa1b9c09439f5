using NoteSync.Tests.Infra;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer(LongestFirstOrderer.TypeName, LongestFirstOrderer.AssemblyName)]

namespace NoteSync.Tests.Infra;

/// <summary>
/// Starts the test collections that take longest first (<see cref="LongRunningAttribute"/>), then the rest in
/// xunit's order. The suite runs a collection per core at once (xunit.runner.json), each starting when a lane
/// is free: a long class started last would end the run alone on one lane while the other idles, so the
/// longest go first and the many short ones fill the gaps (longest-processing-time-first scheduling).
/// </summary>
public sealed class LongestFirstOrderer : ITestCollectionOrderer
{
    public const string TypeName = "NoteSync.Tests.Infra.LongestFirstOrderer";
    public const string AssemblyName = "NoteSync.Tests";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select((c, i) => (Collection: c, Index: i))
            .OrderByDescending(c => SecondsOf(c.Collection))
            .ThenBy(c => c.Index)
            .Select(c => c.Collection);

    private static int SecondsOf(ITestCollection collection)
    {
        // A named collection carries the attribute on its definition; a class's own collection on the class.
        const string ownPrefix = "Test collection for ";
        var type = collection.CollectionDefinition
            ?? (collection.DisplayName.StartsWith(ownPrefix, StringComparison.Ordinal)
                ? collection.TestAssembly.Assembly.GetType(collection.DisplayName[ownPrefix.Length..])
                : null);
        var attribute = type?.GetCustomAttributes(typeof(LongRunningAttribute)).FirstOrDefault();
        return attribute?.GetConstructorArguments().FirstOrDefault() is int seconds ? seconds : 0;
    }
}

/// <summary>
/// How long a test class (or a collection definition) takes, in seconds summed over its tests on the 2-core
/// machine, as measured (docs/testing.md, "Order"); <see cref="LongestFirstOrderer"/> starts the longest first.
/// Only the few long ones carry it: a guess a little off changes an order, never a result.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    public int Seconds { get; } = seconds;
}

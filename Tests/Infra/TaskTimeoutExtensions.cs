namespace NoteSync.Tests.Infra;

/// <summary>A bound on every await that could hang, so a hang fails the test fast instead of stalling the run.</summary>
internal static class TaskTimeoutExtensions
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(Limit);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(Limit);
}

using Microsoft.Extensions.Options;

namespace NoteSync.Server.Options;

/// <summary>The checks of limits that depend on one another, which the attributes of each cannot make.</summary>
internal sealed class LimitsConsistencyValidator : IValidateOptions<NoteSyncOptions>
{
    /// <summary>Room in an answer for its envelope and a note's key, timestamps and framing.</summary>
    public const long AnswerOverheadBytes = 64 * 1024;

    public ValidateOptionsResult Validate(string? name, NoteSyncOptions options)
    {
        var limits = options.Limits;
        var failures = new List<string>();
        if (limits.MaxNoteBytes < limits.MaxValueBytes)
        {
            failures.Add($"NoteSync:Limits:MaxNoteBytes ({limits.MaxNoteBytes}) must be at least NoteSync:Limits:MaxValueBytes ({limits.MaxValueBytes}), or a note could not hold the largest value");
        }

        if (limits.MaxNoteBytes > options.Sync.MaxAckBytes - AnswerOverheadBytes)
        {
            failures.Add($"NoteSync:Limits:MaxNoteBytes ({limits.MaxNoteBytes}) must be at most NoteSync:Sync:MaxAckBytes ({options.Sync.MaxAckBytes}) less {AnswerOverheadBytes}, or a note could need an answer larger than MaxAckBytes");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

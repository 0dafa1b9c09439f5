using Microsoft.Extensions.Options;

namespace NoteSync.Server.Options;

/// <summary>Source-generated validation of <see cref="NoteSyncOptions"/>, nested sections included, run at start-up.</summary>
[OptionsValidator]
internal sealed partial class NoteSyncOptionsValidator : IValidateOptions<NoteSyncOptions>;

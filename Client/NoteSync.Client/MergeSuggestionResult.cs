namespace NoteSync.Client;

/// <summary>A suggested merge of a note's two heads (<see cref="NoteSyncClient.GetMergeSuggestionAsync"/>).</summary>
/// <param name="Clean">True when the two edits did not overlap: <paramref name="Text"/> holds no markers.</param>
/// <param name="Text">The merged text, with git-style markers around each region where the edits overlap.</param>
public sealed record MergeSuggestionResult(bool Clean, string Text);

namespace NoteSync.Shared.Merge;

/// <summary>The result of a <see cref="ThreeWayMerge"/>.</summary>
/// <param name="Clean">True when no stretch was changed differently on both sides: <paramref name="Text"/> holds both edits.</param>
/// <param name="Text">The merged text; where it is not clean, each conflicting stretch is written between git-style markers.</param>
public sealed record MergedText(bool Clean, string Text);

// The entry of the npm package @notesync/client (clients/js): the NoteSync protocol client
// (docs/protocol.md) with an in-memory replica, and the merge rule it keeps notes by. Types: ../index.d.ts.

export { NoteSyncClient } from "./client.js";
export { MemoryReplica } from "./memory-replica.js";
export { defaultConfig, isJoinerBetweenLetters, keyProblem, refusedCharacter, refusedKind, SyncClient } from "./protocol.js";
export { isConflict, join, merge, mergeWithBase, siblings, winner } from "./crdt.js";

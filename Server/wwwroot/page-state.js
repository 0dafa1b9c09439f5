// What the page's modules share: the store and the sync client, the open note and the editor's
// state, and what window.notesync shows to tests and curious people.

export const $ = id => document.getElementById(id);

export const page = {
  store: null,               // the NoteStore (store.js), once open
  client: null,              // the SyncClient (protocol.js)
  selected: null,            // the open note's key
  dirty: false,              // the editor holds text not yet written to the store
  mergeMode: false,          // the editor holds a merge being edited
  base: null,                // the write the editor's text started from: a save over another one keeps that one
};

// What tests and curious people can read: window.notesync.metrics.firstRenderMs and friends.
export const metrics = { firstRenderMs: null, firstRenderNotes: null, renders: [], lastFilterMs: null };
export const errors = [];    // the last error frames and failures the client saw (window.notesync.errors)

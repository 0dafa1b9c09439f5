// One writer per browser: the tabs of one browser share one device id, clock and outbox (IndexedDB),
// so only one of them may write and sync; the others wait for the role.

/**
 * Resolves once this tab holds the writer's role, which it keeps for the page's life. `standDown`
 * (returning a promise) saves what the tab holds when it finds another tab writing too; the page
 * then reloads as a waiting tab.
 */
export function becomeWriter(standDown) {
  return navigator.locks ? holdWebLock() : electOverChannel(standDown);
}

// A Web Lock, held until the page goes: the browser hands it to the next tab in line.
function holdWebLock() {
  return new Promise(resolve => navigator.locks.request("notesync-page", () => { resolve(); return new Promise(() => {}); }));
}

// Without Web Locks (they exist only in secure contexts: a page opened as http://notes.lan:5000/ has
// none) the tabs elect one writer over a BroadcastChannel. A tab asks who writes; the writer answers
// at once, whatever it is doing, since messages are not throttled like timers of a hidden tab. With no
// answer the tab claims the role, and of claims heard together the lowest id wins. The writer says when
// it goes; a tab that waits also asks again now and then, in case the writer's browser process died.
const ELECTION_WINDOW_MS = 400;
const ELECTION_RETRY_MS = 2000;

function electOverChannel(standDown) {
  if (typeof BroadcastChannel === "undefined") return Promise.resolve();   // no other tab can share our storage unseen either
  const channel = new BroadcastChannel("notesync-page");
  const me = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let leading = false;
  let since = 0;
  let heard = null;          // while electing: {writer, claims}
  let wake = () => {};
  channel.onmessage = ({ data }) => {
    if (!data || data.id === me) return;
    if (data.type === "who" || data.type === "claim") {
      if (leading) channel.postMessage({ type: "here", id: me, since });
      if (data.type === "claim") heard?.claims.push(data.id);
    } else if (data.type === "here") {
      if (heard) heard.writer = true;
      // Two writers (one was too busy to answer in time): the newer one stands down and starts over
      // as a waiting tab. Its writes are safe: the store reads clock and outbox in each transaction.
      if (leading && (data.since < since || (data.since === since && data.id < me))) {
        leading = false;
        standDown().finally(() => location.reload());
      }
    } else if (data.type === "gone") {
      wake();
    }
  };
  const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
  // Waiting for the next try: the writer's goodbye ends it at once.
  const idle = ms => new Promise(resolve => { const t = setTimeout(resolve, ms); wake = () => { clearTimeout(t); wake = () => {}; resolve(); }; });
  const elect = async () => {
    for (;;) {
      heard = { writer: false, claims: [] };
      channel.postMessage({ type: "who", id: me });
      await sleep(ELECTION_WINDOW_MS);
      if (!heard.writer) {
        channel.postMessage({ type: "claim", id: me });
        await sleep(ELECTION_WINDOW_MS);
        if (!heard.writer && !heard.claims.some(id => id < me)) break;
      }
      heard = null;
      await idle(ELECTION_RETRY_MS);
    }
    heard = null;
    leading = true;
    since = Date.now();
    window.addEventListener("pagehide", () => channel.postMessage({ type: "gone", id: me }));
    // A frozen page answers nobody, and a waiting tab may have taken over meanwhile: say who writes
    // on coming back, so that one of the two stands down.
    const announce = () => { if (leading) channel.postMessage({ type: "here", id: me, since }); };
    document.addEventListener("resume", announce);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") announce(); });
  };
  return elect();
}

// SyncConfig's transport settings may be given in the page's address (docs/web.md):
// ?enable_websocket=false polls POST /sync; sync_interval_ms, request_timeout_ms, heartbeat_ms and
// websocket_retry_ms (whole milliseconds, at least 100) set the polling interval, the dead-connection

// The page's service worker: the page opens without the network, from the copy of its files kept here,
// and shows the notes of its replica (IndexedDB); it syncs once the server answers again.
// Network first for the page's files, so an online load always gets the server's current page (the
// files are served with no-cache for the same reason), the cache only when there is no answer.
// Sync traffic never goes through the cache: /ws/sync, /sync (and /sync/history, /sync/trash ...), /hubs/.

const CACHE = "notesync-page-1";
const NEVER_CACHED = /^\/(ws\/|sync(\/|$|\?)|hubs\/)/;

const cacheable = url => url.origin === self.location.origin && !NEVER_CACHED.test(url.pathname);

self.addEventListener("install", event => {
  // The entry is kept at once; the modules it loads are sent by the page (below), which knows them.
  event.waitUntil(caches.open(CACHE).then(cache => cache.add("./")).then(() => self.skipWaiting()));
});

self.addEventListener("activate", event => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

// The page names the files it loaded (its modules, styles, manifest, icon), since on its first visit
// they were fetched before this worker ran; it answers once they are kept, so the page knows it can
// open offline. No list here to fall out of step with the modules.
self.addEventListener("message", event => {
  if (event.data?.type !== "keep") return;
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const urls = event.data.urls.map(u => new URL(u, self.location.href)).filter(cacheable).map(u => u.pathname);
    await cache.addAll([...new Set(["./", ...urls])]);
    event.source?.postMessage({ type: "kept", count: urls.length });
  })());
});

self.addEventListener("fetch", event => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !cacheable(url)) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(url.pathname, response.clone());
      return response;
    } catch (error) {
      // A navigation with a query (?enable_websocket=false) is the same page.
      const kept = await cache.match(event.request.mode === "navigate" ? "./" : url.pathname, { ignoreSearch: true });
      if (kept) return kept;
      throw error;
    }
  })());
});

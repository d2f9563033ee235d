// The portal's service worker (served at /sw.js by governance.views.service_worker, version
// __VERSION__). It keeps the shell (the portal's CSS, scripts, icons and the offline page) so
// that a page opens on a weak connection, and shows the offline page when a page cannot be
// reached. It never stores a page's HTML or an API answer: those carry personal data.
const CONFIG = {{ config|safe }};
const CACHE = "portal-shell-__VERSION__";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(CONFIG.shell.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("portal-shell-") && n !== CACHE).map((n) => caches.delete(n)))
      )
      .then(() => self.clients.claim())
  );
});

function store(request, response) {
  if (response.ok && response.type === "basic") {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

async function cacheFirst(request) {
  const hit = await caches.match(request);
  return hit || store(request, await fetch(request));
}

async function networkFirst(request) {
  try {
    return store(request, await fetch(request));
  } catch (error) {
    const hit = await caches.match(request);
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith(CONFIG.static)) {
    // Hashed file names never change content; plain names (a checkout) are asked for anew.
    event.respondWith(CONFIG.hashed ? cacheFirst(request) : networkFirst(request));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(
      fetch(request).catch(async () => (await caches.match(CONFIG.offline)) || Response.error())
    );
  }
  // Everything else (API answers, fragments, photos) goes to the network and is not stored.
});

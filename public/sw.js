// syncplan's service worker: after one visit the editor opens, and saves to local storage,
// with the network off. It keeps only the app shell: the editor page and the build files
// it loads. Share pages, exports and the API always go to the network, and are never stored.
//
// Network first, cache as the fallback: online, every visit gets the newest build (hashed
// build files come from the browser's HTTP cache, so this costs nothing); offline, the
// last copy opens.

const CACHE = "syncplan-shell-v1";
const SHELL = "/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const response = await fetch(SHELL, { cache: "no-cache" });
      if (response.ok) {
        await cache.put(SHELL, response.clone());
        await keepAssetsOf(cache, await response.text(), true);
      }
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === SHELL && request.mode === "navigate") {
    event.respondWith(editorPage(event));
  } else if (isAsset(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if (request.mode === "navigate") {
    // Share pages need the server: say so plainly instead of the browser's error page.
    event.respondWith(fetch(request).catch(() => offlinePage()));
  }
});

function isAsset(path) {
  return path.startsWith("/pkg/") || path === "/favicon.svg" || path === "/favicon.ico";
}

async function editorPage(event) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(event.request);
    if (response.ok) {
      await cache.put(SHELL, response.clone());
      event.waitUntil(response.clone().text().then((html) => keepAssetsOf(cache, html, false)));
    }
    return response;
  } catch (offline) {
    return (await cache.match(SHELL)) || offlinePage();
  }
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (offline) {
    const cached = await cache.match(key);
    if (cached) return cached;
    throw offline;
  }
}

// Stores the build files `html` loads, and those their scripts load later (the parts of the
// editor fetched on first use), when `fetchMissing`; drops those of older builds. The parts
// loaded later are fetched whenever missing, so they are there offline before their first use.
async function keepAssetsOf(cache, html, fetchMissing) {
  const wanted = new Set(["/favicon.svg"]);
  for (const match of html.matchAll(/["'(](\/pkg\/[^"'()\s?#]+)/g)) wanted.add(match[1]);
  const later = new Set();
  // Scripts name what they load relative to themselves: "./name.wasm", "./name.js".
  const scripts = [...wanted].filter((path) => path.endsWith(".js"));
  for (let i = 0; i < scripts.length; i++) {
    const text = await assetText(cache, scripts[i]);
    for (const match of text.matchAll(/["']\.\/([\w.-]+\.(?:js|wasm))["']/g)) {
      const path = `/pkg/${match[1]}`;
      if (wanted.has(path) || later.has(path)) continue;
      later.add(path);
      if (path.endsWith(".js")) scripts.push(path);
    }
  }
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/pkg/") && !wanted.has(path) && !later.has(path)) await cache.delete(request);
  }
  for (const path of fetchMissing ? [...wanted, ...later] : later) {
    if (await cache.match(path)) continue;
    try {
      const response = await fetch(path);
      if (response.ok) await cache.put(path, response);
    } catch (offline) {
      // Stored on a later visit.
    }
  }
}

// A build file's text: the stored copy, or the network's.
async function assetText(cache, path) {
  try {
    const response = (await cache.match(path)) || (await fetch(path));
    return response.ok ? await response.text() : "";
  } catch (offline) {
    return "";
  }
}

function offlinePage() {
  const html = `<!doctype html><html lang="en"><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Offline · syncplan</title>
<main style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; line-height: 1.5">
<h1>You are offline</h1>
<p>This page needs a connection. Your own plans are saved in this browser and open without one.</p>
<p><a href="/">Open your plans</a></p>
</main></html>`;
  return new Response(html, {
    status: 503,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}

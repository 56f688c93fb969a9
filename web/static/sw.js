// The round on the phone when the connection drops: the round page and what it needs are
// kept in a cache. Pages under /assistant/ are fetched from the network first and from the
// cache only when the network fails; static files from the cache first. Marks are not
// cached here: the page's outbox (round.js) sends them when the connection is back.
// Logging out (or being sent to the login page) empties the cache: nothing of the round
// stays on the phone for the next person.
var CACHE = "buurtroute-round-v2";
var STATIC = ["/static/style.css", "/static/round.js", "/static/door.js", "/static/print.js",
              "/static/manifest.webmanifest", "/static/icon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(STATIC); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (request.mode !== "navigate" && url.pathname.indexOf("/assistant/round/state") !== 0) return;
  event.respondWith(fetch(request).then(function (response) {
    var landed = new URL(response.url || request.url);
    if (landed.pathname === "/login") {
      caches.delete(CACHE);
    } else if (response.ok && landed.pathname.indexOf("/assistant/") === 0) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      return hit || new Response("offline", {status: 503, headers: {"Content-Type": "text/plain"}});
    });
  }));
});

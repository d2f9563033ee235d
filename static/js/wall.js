// The wall screen: polls its feed every few seconds and redraws the figures, the lists and the
// map's markers with text nodes only (names and numbers are user text). A failed poll (server
// restart, lost network) is retried with a growing wait up to a maximum, with a "reconnecting"
// mark; the first answer that comes back puts everything right again. A link revoked or expired
// meanwhile covers the whole screen with the server's message and is asked again only slowly.
// Today's cases come in by a cursor: a poll sends the largest case id the wall holds (after=)
// and gets only newer ones, merged here and kept to the newest data-new-cases; once every
// data-full-list-seconds it asks for the whole list again (a filing that committed late, a case
// moved away), and at the day's change the day's cases start again.
// Sets data-updated on <body> after each drawn answer (the browser tests wait for it).
(function () {
  "use strict";
  const body = document.body;
  const feedUrl = body.dataset.feedUrl;
  const pollMs = Number(body.dataset.pollSeconds || 5) * 1000;
  const maxBackoffMs = Number(body.dataset.maxBackoffSeconds || 60) * 1000;
  const fullListMs = Number(body.dataset.fullListSeconds || 60) * 1000;
  const keepCases = Number(body.dataset.newCases || 200);
  const status = document.getElementById("wall-status");
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function setStatus(state) {
    status.dataset.state = state;
    status.textContent = status.dataset["text" + state[0].toUpperCase() + state.slice(1)] || state;
  }

  function hhmm(iso) {
    return iso ? iso.slice(11, 16) : "";
  }

  // -- clock: the server's time in the server's time zone (the wall computer's own clock and
  // zone may be wrong); the offset and the skew are taken from each answer.
  const clock = $("wall-clock");
  let skewMs = 0;
  let zoneMinutes = -new Date().getTimezoneOffset();
  function tick() {
    const now = new Date(Date.now() + skewMs + zoneMinutes * 60000);
    const pad = (n) => String(n).padStart(2, "0");
    clock.textContent = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}`;
  }
  function syncClock(iso) {
    const zone = /([+-])(\d\d):(\d\d)$/.exec(iso);
    if (zone) zoneMinutes = (zone[1] === "-" ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3]));
    const server = Date.parse(iso);
    if (!Number.isNaN(server)) skewMs = server - Date.now();
    tick();
  }
  tick();
  setInterval(tick, 1000);

  // -- map --------------------------------------------------------------------------------
  let map = null;
  let markerLayer = null;
  const markers = new Map();
  // Markers scale with the screen like the text does (1rem is 16px at 1080p, 32px at 4K).
  const remPx = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  let firstDraw = true;

  function setupMap() {
    const element = $("wall-map");
    const source = $("wall-map-data");
    if (!element || !source || !window.L) return;
    const data = JSON.parse(source.textContent);
    map = L.map(element, {
      attributionControl: Boolean(data.tileUrl),
      zoomControl: false,
      scrollWheelZoom: false,
      dragging: false,
      zoomSnap: 0.1,
    });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("map-plain");
    }
    const shapes = L.featureGroup().addTo(map);
    if (data.self) {
      L.geoJSON(data.self, { style: { color: "#58a6ff", weight: 3, fill: false }, interactive: false }).addTo(shapes);
    }
    for (const child of data.children) {
      const shape = L.geoJSON(child.geometry, {
        style: { color: "#1f6feb", weight: 1.5, fillColor: "#1f6feb", fillOpacity: 0.12 },
      }).addTo(shapes);
      if (data.children.length <= 12) {
        const label = el("span", "", child.name);
        shape.bindTooltip(label, { permanent: true, direction: "center", className: "wall-area-label" });
      }
    }
    markerLayer = L.layerGroup().addTo(map);
    const fit = () => {
      map.invalidateSize();
      if (shapes.getLayers().length) map.fitBounds(shapes.getBounds(), { padding: [12, 12] });
      else if (data.center) map.setView(data.center, 16);
      else map.setView([39.95, 116.4], 12);
    };
    fit();
    window.addEventListener("resize", fit);
    element.dataset.ready = "1";
  }

  function drawCases(cases) {
    $("wall-map-count").textContent = String(cases.length);
    if (!markerLayer) return;
    const seen = new Set();
    for (const c of cases) {
      seen.add(c.id);
      if (markers.has(c.id) || c.lat === null || c.lng === null) continue;
      const fresh = !firstDraw;
      const marker = L.circleMarker([c.lat, c.lng], {
        radius: remPx * 0.45,
        color: fresh ? "#f0b429" : "#ff7b72",
        weight: 2,
        fillColor: fresh ? "#f0b429" : "#ff7b72",
        fillOpacity: 0.85,
        className: fresh ? "wall-case wall-case-new" : "wall-case",
      });
      const tip = el("span");
      tip.append(el("strong", "", c.number), document.createTextNode(` ${c.category} · ${c.area} · ${hhmm(c.reported_at)}`));
      marker.bindTooltip(tip, { direction: "top" });
      marker.addTo(markerLayer);
      const path = marker.getElement && marker.getElement();
      if (path) path.dataset.caseNumber = c.number;
      markers.set(c.id, marker);
    }
    for (const [id, marker] of markers) {
      if (!seen.has(id)) {
        markerLayer.removeLayer(marker);
        markers.delete(id);
      }
    }
  }

  // -- today's cases: merged from the answers, the newest keepCases of the feed's day ----------
  const todays = new Map();
  let cursor = null;
  let fullListAt = 0;

  function newest(a, b) {
    return a.reported_at === b.reported_at ? b.id - a.id : (a.reported_at < b.reported_at ? 1 : -1);
  }

  function mergeCases(feed) {
    if (feed.cases_after === null) {
      todays.clear();
      fullListAt = Date.now() + fullListMs;
    }
    for (const c of feed.cases) todays.set(c.id, c);
    for (const [id, c] of todays) {
      if (!c.reported_at || c.reported_at.slice(0, 10) !== feed.day) todays.delete(id);
    }
    if (todays.size > keepCases) {
      for (const c of [...todays.values()].sort(newest).slice(keepCases)) todays.delete(c.id);
    }
    cursor = feed.cases_cursor;
    return [...todays.values()];
  }

  function nextFeedUrl() {
    if (cursor === null || Date.now() >= fullListAt) return feedUrl;
    return `${feedUrl}?after=${encodeURIComponent(cursor)}`;
  }

  // -- figures and lists ------------------------------------------------------------------
  const previousValues = new Map();

  function drawTiles(container, rows, suffix) {
    const existing = new Map([...container.children].map((n) => [n.dataset.key, n]));
    for (const row of rows) {
      let tile = existing.get(row.key);
      if (!tile) {
        tile = el("div", "wall-tile");
        tile.dataset.key = row.key;
        tile.append(el("span", "wall-tile-value"), el("span", "wall-tile-label"));
        container.append(tile);
      }
      const value = row.value === null ? "—" : `${row.value}${suffix}`;
      const id = container.id + row.key;
      if (previousValues.has(id) && previousValues.get(id) !== value) {
        tile.classList.remove("changed");
        void tile.offsetWidth; // restart the animation
        tile.classList.add("changed");
      }
      previousValues.set(id, value);
      tile.firstChild.textContent = value;
      tile.lastChild.textContent = row.label;
    }
  }

  function drawRanking(rows) {
    const tbody = $("wall-ranking");
    const fresh = document.createDocumentFragment();
    rows.forEach((r, i) => {
      const tr = el("tr");
      tr.append(
        el("td", "", i + 1),
        el("td", "", r.name),
        el("td", "num", r.reported),
        el("td", "num", r.closed),
        el("td", "num", r.overdue),
        el("td", "num", r.resolution_rate === null ? "—" : `${r.resolution_rate}%`)
      );
      fresh.append(tr);
    });
    tbody.replaceChildren(fresh);
  }

  function drawCaseList(list, rows, tagOf) {
    const items = rows.map((c) => {
      const li = el("li");
      li.dataset.caseNumber = c.number;
      li.append(el("span", "when", c.number), el("span", "what", `${c.category} · ${c.area} · ${c.holder}`), el("span", "tag", tagOf(c)));
      return li;
    });
    if (!items.length) items.push(el("li", "empty", list.dataset.empty));
    list.replaceChildren(...items);
  }

  const shownEvents = new Set();
  function drawEvents(rows) {
    const list = $("wall-events");
    list.classList.remove("scrolling");
    const items = rows.map((e) => {
      const li = el("li", !firstDraw && !shownEvents.has(e.id) ? "fresh" : "");
      li.dataset.caseNumber = e.number;
      li.append(el("span", "when", hhmm(e.time)), el("span", "what", `${e.number} · ${e.area}`), el("span", "tag", e.step));
      shownEvents.add(e.id);
      return li;
    });
    list.replaceChildren(...items);
    // More than fit: scroll them by, a second copy following the first.
    if (items.length && list.scrollHeight > list.clientHeight + 2) {
      for (const item of items) {
        const copy = item.cloneNode(true);
        copy.setAttribute("aria-hidden", "true");
        copy.classList.remove("fresh");
        list.append(copy);
      }
      list.classList.add("scrolling");
    }
  }

  function draw(feed) {
    drawTiles($("wall-today"), feed.today, "");
    drawTiles($("wall-rates"), feed.rates, "%");
    drawRanking(feed.ranking);
    const overdue = feed.today.find((f) => f.key === "overdue");
    $("wall-overdue-count").textContent = overdue ? String(overdue.value) : "";
    $("wall-escalated-count").textContent = String(feed.escalated_open);
    const dueLabel = $("wall-overdue").dataset.dueLabel;
    drawCaseList($("wall-overdue"), feed.overdue, (c) => `${dueLabel} ${c.due_at ? c.due_at.slice(5, 16).replace("T", " ") : ""}`);
    drawCaseList($("wall-escalated"), feed.escalated, (c) => c.status);
    drawEvents(feed.events);
    drawCases(mergeCases(feed));
    const updated = $("wall-updated");
    updated.textContent = `${updated.dataset.prefix} ${hhmm(feed.generated_at)}:${feed.generated_at.slice(17, 19)}`;
    body.dataset.updated = feed.generated_at;
    syncClock(feed.generated_at);
    firstDraw = false;
  }

  // -- a link that no longer opens the wall ------------------------------------------------
  const goneCover = $("wall-gone");
  function showGone(answer) {
    $("wall-gone-message").textContent = String(answer.detail || "");
    goneCover.dataset.state = String(answer.error);
    goneCover.hidden = false;
    body.dataset.gone = String(answer.error);
    setStatus("gone");
  }
  function hideGone() {
    goneCover.hidden = true;
    delete body.dataset.gone;
  }

  // -- polling ----------------------------------------------------------------------------
  let failures = 0;
  function schedule(ms) {
    body.dataset.nextPollMs = String(Math.round(ms));
    setTimeout(poll, ms);
  }
  function backoff() {
    failures += 1;
    const wait = Math.min(maxBackoffMs, pollMs * 2 ** failures);
    return wait / 2 + Math.random() * (wait / 2);
  }
  async function poll() {
    let response;
    try {
      response = await fetch(nextFeedUrl(), { cache: "no-store", credentials: "omit", headers: { Accept: "application/json" } });
    } catch (_error) {
      setStatus("reconnecting");
      schedule(backoff());
      return;
    }
    if (response.status === 410 || response.status === 404) {
      // The link was revoked, ran out or never was: the server says which (JSON). Cover the
      // wall with its message and ask again only slowly. A 404 without that answer is a proxy
      // or a restart answering for the portal: retry as for any other failure.
      let gone = null;
      try {
        gone = await response.json();
      } catch (_error) {
        gone = null;
      }
      if (gone && gone.error) {
        showGone(gone);
        schedule(maxBackoffMs);
        return;
      }
      setStatus("reconnecting");
      schedule(backoff());
      return;
    }
    if (!response.ok) {
      if (response.status === 400) cursor = null; // the next poll asks for the whole list
      setStatus("reconnecting");
      schedule(backoff());
      return;
    }
    try {
      draw(await response.json());
    } catch (_error) {
      setStatus("reconnecting");
      schedule(backoff());
      return;
    }
    failures = 0;
    hideGone();
    setStatus("live");
    schedule(pollMs);
  }

  setupMap();
  poll();
})();

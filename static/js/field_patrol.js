// The phone's side of an open patrol: it watches the position and sends the latest one every
// few seconds to the API; the server keeps at most one per minimum interval and refuses points
// once the patrol has ended or is full, and the script then stops. It draws the route so far
// and the time on patrol. Texts reach the page only through textContent.
(function () {
  const box = document.querySelector("[data-tracker]");
  const source = document.getElementById("tracker-data");
  if (!box || !source) return;
  const data = JSON.parse(source.textContent);
  const status = box.querySelector("[data-tracker-status]");
  const csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  const countEl = box.querySelector("[data-point-count]");
  const distanceEl = box.querySelector("[data-distance]");
  const elapsedEl = box.querySelector("[data-elapsed]");
  const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  let latest = null;
  let stopped = false;
  let sending = false;
  let count = data.pointCount;
  let distance = data.distance;
  let last = data.route.length ? data.route[data.route.length - 1] : null;

  let line = null;
  let here = null;
  let map = null;
  const mapElement = box.querySelector("[data-route-map]");
  if (mapElement && window.L) {
    map = L.map(mapElement, { attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      mapElement.classList.add("map-plain");
    }
    // The view is set before anything is drawn: Leaflet draws vector layers on a placed map.
    const outline = data.boundary
      ? L.geoJSON(data.boundary, { style: { color: "#2b6cb0", weight: 2, fillOpacity: 0.05 } })
      : null;
    if (data.route.length > 1) map.fitBounds(L.latLngBounds(data.route), { padding: [20, 20] });
    else if (outline) map.fitBounds(outline.getBounds(), { padding: [10, 10] });
    else map.setView(last || [39.95, 116.4], 16);
    if (outline) outline.addTo(map);
    line = L.polyline(data.route, { color: "#b5302a", weight: 4 }).addTo(map);
  }

  function metres(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b[0] - a[0]) * rad;
    const dLng = (b[1] - a[1]) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLng / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  const started = new Date(data.startedAt).getTime();
  function tick() {
    const seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    elapsedEl.textContent = `${hours}:${String(minutes).padStart(2, "0")}`;
  }
  tick();
  setInterval(tick, 15000);

  async function send() {
    if (stopped || sending || !latest) return;
    sending = true;
    const point = [Number(latest.coords.latitude.toFixed(6)), Number(latest.coords.longitude.toFixed(6))];
    try {
      const response = await fetch(data.pointsUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ latitude: point[0], longitude: point[1], accuracy: Math.round(latest.coords.accuracy || 0) }),
      });
      if (response.status === 201) {
        count += 1;
        if (last) distance += metres(last, point);
        last = point;
        countEl.textContent = String(count);
        distanceEl.textContent = String(Math.round(distance));
        status.textContent = fill(status.dataset.msgSent, { time: new Date().toLocaleTimeString() });
        box.dataset.sent = String(count);
        if (line) {
          line.addLatLng(point);
          if (here) here.setLatLng(point);
          else here = L.circleMarker(point, { radius: 7, color: "#fff", weight: 2, fillColor: "#2b6cb0", fillOpacity: 1 }).addTo(map);
          map.panTo(point);
        }
      } else if (response.status === 400) {
        // The API's one error format: {code, message, fields}.
        const body = await response.json();
        const fields = body.fields || {};
        const refusal = fields.non_field_errors;
        if (refusal) {
          stopped = true;
          status.textContent = fill(status.dataset.msgStopped, { reason: [].concat(refusal).join(" ") });
        } else {
          status.textContent = Object.values(fields).flat().join(" ") || body.message || "";
        }
      } else if (response.status !== 429) {
        status.textContent = status.dataset.msgFailed;
      }
    } catch (error) {
      status.textContent = status.dataset.msgFailed;
    } finally {
      sending = false;
    }
  }

  if (!navigator.geolocation) {
    status.textContent = status.dataset.msgNoGeo;
    return;
  }
  navigator.geolocation.watchPosition(
    (position) => {
      const first = latest === null;
      latest = position;
      if (first) send();
    },
    () => { status.textContent = status.dataset.msgNoGeo; },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 }
  );
  setInterval(send, data.everySeconds * 1000);
})();

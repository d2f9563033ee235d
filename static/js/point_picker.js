// A point on the map for a form, made for a phone: the browser's position, or a point picked
// on a local Leaflet map (no outside tiles unless MAP_TILE_URL), written to the form's
// latitude/longitude inputs. Used by the case filing form and the residents' page, with the
// markup of templates/casework/_point_picker.html; messages come from the form's data-msg-*.
window.PointPicker = function (form, mapData, options) {
  const opts = Object.assign({ onChange() {}, color: "#2b6cb0" }, options);
  const msg = (name, values) =>
    (form.dataset[name] || "").replace(/%\((\w+)\)s/g, (_, key) => (values || {})[key] ?? "");
  const lat = form.querySelector("input[name=latitude]");
  const lng = form.querySelector("input[name=longitude]");
  const status = form.querySelector("[data-location-status]");
  const clear = form.querySelector("[data-clear-point]");
  const mapBox = form.querySelector("[data-map-pick]");
  const mapButton = form.querySelector("[data-pick-map]");
  let map = null;
  let marker = null;

  function setPoint(latitude, longitude, text) {
    lat.value = latitude.toFixed(6);
    lng.value = longitude.toFixed(6);
    status.textContent = `${text} ${lat.value}, ${lng.value}`;
    clear.hidden = false;
    if (map) placeMarker();
    opts.onChange();
  }
  function placeMarker() {
    if (!lat.value) return;
    const point = [Number(lat.value), Number(lng.value)];
    if (marker) marker.setLatLng(point);
    else
      marker = L.marker(point, { draggable: true })
        .addTo(map)
        .on("dragend", () => {
          const p = marker.getLatLng();
          setPoint(p.lat, p.lng, msg("msgPicked"));
        });
    map.setView(point, Math.max(map.getZoom() || 17, 17));
  }
  // Leaflet (about 150 KB) is fetched only when the map is first opened, from the URLs the
  // markup names; a page that loaded it already is served at once.
  let leaflet = null;
  function loadLeaflet() {
    if (window.L) return Promise.resolve();
    if (leaflet) return leaflet;
    leaflet = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = mapBox.dataset.leafletCss;
      document.head.append(css);
      const script = document.createElement("script");
      script.src = mapBox.dataset.leafletJs;
      script.onload = () => resolve();
      script.onerror = () => {
        leaflet = null;
        script.remove();
        reject(new Error("leaflet"));
      };
      document.head.append(script);
    });
    return leaflet;
  }
  function openMap() {
    loadLeaflet().then(showMap, () => {
      status.textContent = msg("msgNoGeo");
    });
  }
  function showMap() {
    mapBox.hidden = false;
    mapButton.setAttribute("aria-expanded", "true");
    if (map) {
      map.invalidateSize();
      return;
    }
    map = L.map(mapBox, { attributionControl: Boolean(mapData.tileUrl), zoomSnap: 0.5 });
    if (mapData.tileUrl) {
      L.tileLayer(mapData.tileUrl, { attribution: mapData.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      mapBox.classList.add("map-plain");
    }
    let outline = null;
    if (mapData.boundary) {
      outline = L.geoJSON(mapData.boundary, {
        style: { color: opts.color, weight: 2, fillColor: opts.color, fillOpacity: 0.06 },
        interactive: false,
      }).addTo(map);
    }
    if (lat.value) map.setView([Number(lat.value), Number(lng.value)], 17);
    else if (outline) map.fitBounds(outline.getBounds(), { padding: [12, 12] });
    else map.setView(mapData.center || [39.95, 116.4], 17);
    placeMarker();
    map.on("click", (event) => setPoint(event.latlng.lat, event.latlng.lng, msg("msgPicked")));
    mapBox.dataset.ready = "1";
  }
  mapButton.addEventListener("click", () => {
    if (!mapBox.hidden && map) {
      mapBox.hidden = true;
      mapButton.setAttribute("aria-expanded", "false");
    } else {
      openMap();
    }
  });
  form.querySelector("[data-locate]").addEventListener("click", () => {
    if (!navigator.geolocation) {
      status.textContent = msg("msgNoGeo");
      openMap();
      return;
    }
    status.textContent = msg("msgLocating");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        const c = position.coords;
        setPoint(c.latitude, c.longitude, msg("msgLocated", { m: Math.round(c.accuracy) }));
      },
      () => {
        status.textContent = msg("msgNoGeo");
        openMap();
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  clear.addEventListener("click", () => {
    lat.value = "";
    lng.value = "";
    status.textContent = "";
    clear.hidden = true;
    if (marker) {
      marker.remove();
      marker = null;
    }
    opts.onChange();
  });
  if (lat.value) clear.hidden = false;
  return { lat, lng, status };
};

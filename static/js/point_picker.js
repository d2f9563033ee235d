// A point on the map for a form, made for a phone: the browser's position, or a point picked
// on a local Leaflet map (no outside tiles unless MAP_TILE_URL), written to the form's
// latitude/longitude inputs. Used by the case filing form and the residents' page, with the
// markup of templates/casework/_point_picker.html; messages come from the form's data-msg-*.
// Where the map data names a placesUrl (the filing form), the micro-grids and buildings around
// the chosen area are drawn on the map with their names (the base when there are no tiles),
// and a list of those buildings, nearest first when the position is known, picks one without
// the map: the area, the point and (if empty) the address are filled from it.
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
    // Building names only when close enough to read them; micro-grid names further out.
    const near = () => mapBox.classList.toggle("map-far", map.getZoom() < 18);
    map.on("zoomend", near);
    near();
    mapBox.dataset.ready = "1";
    loadPlaces().then((answer) => drawPlaces(answer, !lat.value && !outline), () => {});
  }

  // -- micro-grids and buildings around the chosen area --------------------------------------
  const areaSelect = form.querySelector("select[name=area]");
  const address = form.querySelector("input[name=address]");
  const known = {}; // area id → the answer that holds it (a building's grid is fetched once)
  function loadPlaces() {
    if (!mapData.placesUrl) return Promise.reject(new Error("no places"));
    const area = areaSelect ? areaSelect.value : "";
    if (known[area]) return known[area];
    const asked = fetch(`${mapData.placesUrl}?area=${encodeURIComponent(area)}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((answer) => {
        if (answer.area) known[answer.area.id] = asked;
        answer.places.forEach((place) => {
          known[place.id] = asked;
        });
        return answer;
      });
    known[area] = asked;
    asked.catch(() => delete known[area]);
    return asked;
  }
  let placesLayer = null;
  let drawn = null;
  function drawPlaces(answer, fit) {
    if (!map || !answer || answer === drawn) return;
    drawn = answer;
    if (placesLayer) placesLayer.remove();
    placesLayer = L.featureGroup().addTo(map);
    answer.places.forEach((place) => {
      if (!place.boundary) return;
      const building = place.kind === "building";
      const shape = L.geoJSON(place.boundary, {
        style: building
          ? { color: "#64748b", weight: 1, fillColor: "#94a3b8", fillOpacity: 0.3 }
          : { color: opts.color, weight: 1.5, dashArray: "5 4", fill: false },
        interactive: building,
      }).addTo(placesLayer);
      // An element, not a string: Leaflet puts a string in as HTML, and names are user text.
      const label = document.createElement("span");
      label.textContent = place.name;
      shape.bindTooltip(label, {
        permanent: true,
        direction: "center",
        className: `map-label map-label-${building ? "building" : "micro"}`,
      });
      if (building) {
        shape.on("click", (event) => {
          L.DomEvent.stopPropagation(event);
          pickPlace(place, event.latlng);
        });
      }
    });
    if (fit && placesLayer.getLayers().length) map.fitBounds(placesLayer.getBounds(), { padding: [12, 12] });
  }
  if (areaSelect && mapData.placesUrl) {
    areaSelect.addEventListener("change", () => {
      if (map) loadPlaces().then((answer) => drawPlaces(answer, false), () => {});
    });
  }
  function pickPlace(place, at) {
    if (areaSelect && areaSelect.querySelector(`option[value="${place.id}"]`) && areaSelect.value !== String(place.id)) {
      areaSelect.value = String(place.id);
      areaSelect.dispatchEvent(new Event("change", { bubbles: true }));
    }
    if (address && !address.value.trim()) {
      address.value = place.name;
      address.dispatchEvent(new Event("input", { bubbles: true }));
    }
    const point = at ? [at.lat, at.lng] : place.point;
    const text = fillIn(buildingPanel ? buildingPanel.dataset.msgPicked : "", { name: place.name });
    if (point) setPoint(point[0], point[1], text);
    else status.textContent = text;
  }

  // -- the building list: an alternative to the map -------------------------------------------
  const fillIn = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  const buildingPanel = form.querySelector("[data-building-pick]");
  const buildingButton = form.querySelector("[data-pick-building]");
  let here = null;
  const metres = (a, b) => {
    const k = Math.PI / 180;
    const x = (b[1] - a[1]) * k * Math.cos(((a[0] + b[0]) / 2) * k);
    const y = (b[0] - a[0]) * k;
    return Math.round(Math.sqrt(x * x + y * y) * 6371000);
  };
  function listPlaces() {
    const panel = buildingPanel;
    const list = panel.querySelector("[data-building-list]");
    const note = panel.querySelector("[data-building-status]");
    const text = panel.querySelector("[data-building-search]").value.trim().toLowerCase();
    note.textContent = panel.dataset.msgLoading;
    loadPlaces().then(
      (answer) => {
        const names = Object.fromEntries(answer.places.map((p) => [p.id, p.name]));
        let rows = answer.places
          .filter((p) => p.kind === "building" && (!text || p.name.toLowerCase().includes(text)))
          .map((p) => ({ place: p, away: here && p.point ? metres(here, p.point) : null }));
        if (here) rows.sort((a, b) => (a.away ?? Infinity) - (b.away ?? Infinity));
        list.replaceChildren(
          ...rows.slice(0, 60).map(({ place, away }) => {
            const button = document.createElement("button");
            button.type = "button";
            button.className = "picker-hit";
            button.dataset.place = place.id;
            const name = document.createElement("span");
            name.textContent = place.name;
            const where = document.createElement("small");
            where.textContent = away !== null ? fillIn(panel.dataset.msgMetres, { m: away }) : names[place.parent] || "";
            button.append(name, where);
            button.addEventListener("click", () => {
              pickPlace(place, null);
              panel.hidden = true;
              buildingButton.setAttribute("aria-expanded", "false");
            });
            return button;
          })
        );
        if (!rows.length) note.textContent = panel.dataset.msgNone;
        else note.textContent = here ? panel.dataset.msgNear : fillIn(panel.dataset.msgAll, { area: answer.area ? answer.area.name : "" });
      },
      () => {
        list.replaceChildren();
        note.textContent = panel.dataset.msgOffline;
      }
    );
  }
  function locateForList() {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        here = [position.coords.latitude, position.coords.longitude];
        listPlaces();
      },
      () => {},
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
    );
  }
  if (buildingPanel && buildingButton) {
    buildingButton.addEventListener("click", () => {
      const open = buildingPanel.hidden;
      buildingPanel.hidden = !open;
      buildingButton.setAttribute("aria-expanded", String(open));
      if (!open) return;
      if (lat.value) here = [Number(lat.value), Number(lng.value)];
      listPlaces();
      if (!here) locateForList();
    });
    buildingPanel.querySelector("[data-building-search]").addEventListener("input", listPlaces);
    buildingPanel.querySelector("[data-building-near]").addEventListener("click", locateForList);
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

// The dashboard's map: the child areas coloured by open (or overdue) cases per 1,000 households,
// the cases clustered on the server (a number in a circle; a single case is a dot that opens the
// case). Names are user text: tooltips get elements with text nodes, never HTML strings. No
// outside tiles unless the deployment sets MAP_TILE_URL: the areas' boundaries are the base.
// Sets data-ready="1" on the map element once drawn (the browser tests wait for it).
(function () {
  "use strict";
  const element = document.querySelector("[data-dashboard-map]");
  const source = document.getElementById("dashboard-map-data");
  if (!element || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const labels = element.dataset;
  const map = L.map(element, { attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false, zoomSnap: 0.25 });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }

  function line(strong, rest) {
    const div = document.createElement("div");
    if (strong) {
      const b = document.createElement("strong");
      b.textContent = strong;
      div.append(b);
    }
    if (rest) div.append(document.createTextNode(rest));
    return div;
  }

  const shapes = L.featureGroup().addTo(map);
  if (data.self) {
    L.geoJSON(data.self, { style: { color: "#b5302a", weight: 3, fill: false }, interactive: false }).addTo(shapes);
  }
  const areas = L.geoJSON(
    { type: "FeatureCollection", features: data.features },
    {
      style: (feature) => {
        const band = feature.properties.band;
        return {
          color: "#64748b",
          weight: 1,
          fillColor: band === null ? "#e2e8f0" : data.bands[band],
          fillOpacity: band === null ? 0.3 : 0.7,
        };
      },
      onEachFeature: (feature, shape) => {
        const p = feature.properties;
        const tip = document.createElement("div");
        tip.append(
          line(p.name),
          line("", `${labels.openLabel} ${p.open} · ${labels.overdueLabel} ${p.overdue}`),
          line("", `${p.households} ${labels.householdsLabel}` + (p.density === null ? "" : ` · ${p.density} ${labels.perLabel}`))
        );
        shape.bindTooltip(tip, { sticky: true });
        shape.on("mouseover", () => shape.setStyle({ weight: 3 }));
        shape.on("mouseout", () => areas.resetStyle(shape));
        shape.on("click", () => { window.location.href = p.url; });
      },
    }
  ).addTo(shapes);

  const clusters = L.layerGroup().addTo(map);
  for (const c of data.clusters) {
    if (c.n === 1) {
      const dot = L.circleMarker([c.lat, c.lng], { radius: 6, color: "#fff", weight: 2, fillColor: "#1d4ed8", fillOpacity: 0.95 });
      dot.bindTooltip(line(c.number));
      dot.on("click", () => { window.location.href = c.url; });
      dot.addTo(clusters);
      continue;
    }
    const size = Math.round(22 + Math.min(26, Math.sqrt(c.n) * 3));
    const count = document.createElement("span");
    count.textContent = String(c.n);
    const icon = L.divIcon({ html: count, className: "case-cluster", iconSize: [size, size] });
    const marker = L.marker([c.lat, c.lng], { icon, keyboard: false });
    marker.bindTooltip(line("", `${c.n} ${labels.casesLabel}`));
    marker.on("click", () => map.setView([c.lat, c.lng], Math.min(map.getZoom() + 2, 19)));
    marker.addTo(clusters);
  }

  if (shapes.getLayers().length && shapes.getBounds().isValid()) {
    map.fitBounds(shapes.getBounds(), { padding: [12, 12] });
  } else if (data.clusters.length) {
    map.fitBounds(L.latLngBounds(data.clusters.map((c) => [c.lat, c.lng])), { padding: [24, 24], maxZoom: 17 });
  } else if (data.center) {
    map.setView(data.center, 16);
  } else {
    map.setView([39.95, 116.4], 12);
  }
  window.addEventListener("resize", () => map.invalidateSize());
  element.dataset.ready = "1";
})();

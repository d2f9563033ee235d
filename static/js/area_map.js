// Draws an area's boundary and its children's on a Leaflet map. No outside tiles unless the
// deployment configures MAP_TILE_URL: the boundaries alone are drawn on a plain background.
(function () {
  const element = document.querySelector("[data-map]");
  const data = JSON.parse(document.getElementById("map-data").textContent);
  if (!element || !window.L) return;
  const map = L.map(element, { attributionControl: Boolean(data.tileUrl) });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  const layer = L.geoJSON(
    { type: "FeatureCollection", features: data.features },
    {
      style: (feature) =>
        feature.properties.role === "self"
          ? { color: "#c0392b", weight: 3, fillOpacity: 0.06 }
          : { color: "#2b6cb0", weight: 1.5, fillOpacity: 0.12 },
      onEachFeature: (feature, shape) => {
        const p = feature.properties;
        if (p.role === "child") {
          shape.bindTooltip(p.name, { sticky: true });
          shape.on("click", () => { window.location.href = p.url; });
        }
      },
    }
  ).addTo(map);
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  } else if (data.center) {
    map.setView(data.center, 17);
    L.circleMarker(data.center, { radius: 8, color: "#c0392b" }).addTo(map);
  } else {
    map.setView([39.95, 116.4], 12);
  }
  element.dataset.ready = "1";
})();

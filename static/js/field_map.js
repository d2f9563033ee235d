// A field-work map: the area's outline, a patrol's route, points with a label (findings) and
// a single point (a hidden danger). No outside tiles unless the deployment configures
// MAP_TILE_URL. Labels are text nodes, never HTML. Sets data-ready="1" once drawn.
(function () {
  const element = document.querySelector("[data-field-map]");
  const source = document.getElementById("field-map-data");
  if (!element || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const map = L.map(element, { attributionControl: Boolean(data.tileUrl), scrollWheelZoom: false });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }
  const label = (text) => {
    const span = document.createElement("span");
    span.textContent = text;
    return span;
  };
  // The view is set before anything is drawn: Leaflet draws vector layers on a placed map.
  const outline = data.boundary
    ? L.geoJSON(data.boundary, { style: { color: "#2b6cb0", weight: 2, fillOpacity: 0.05 } })
    : null;
  const route = data.route || [];
  const findings = data.findings || [];
  if (route.length > 1) map.fitBounds(L.latLngBounds(route), { padding: [20, 20] });
  else if (data.point) map.setView(data.point, 17);
  else if (outline) map.fitBounds(outline.getBounds(), { padding: [16, 16] });
  else if (findings.length) map.setView(findings[0].point, 16);
  else map.setView([39.95, 116.4], 12);
  if (outline) outline.addTo(map);
  if (route.length) {
    L.polyline(route, { color: "#b5302a", weight: 4 }).addTo(map);
    L.circleMarker(route[0], { radius: 6, color: "#2f855a", fillOpacity: 1 }).addTo(map).bindTooltip(label("▶"));
    L.circleMarker(route[route.length - 1], { radius: 6, color: "#b5302a", fillOpacity: 1 }).addTo(map);
  }
  findings.forEach((finding) => {
    L.circleMarker(finding.point, { radius: 8, color: "#b7791f", fillColor: "#f6ad55", fillOpacity: 0.9 })
      .addTo(map)
      .bindTooltip(label(finding.label));
  });
  if (data.point) {
    L.circleMarker(data.point, { radius: 9, color: "#b5302a", fillColor: "#b5302a", fillOpacity: 0.6 }).addTo(map);
  }
  window.addEventListener("resize", () => map.invalidateSize());
  element.dataset.ready = "1";
})();

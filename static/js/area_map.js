// Draws an area's boundary and its children's on a Leaflet map. No outside tiles unless the
// deployment configures MAP_TILE_URL: the boundaries alone are drawn on a plain background.
// Sets data-ready="1" on the map element once it is drawn (the browser tests wait for it).
(function () {
  const element = document.querySelector("[data-map]");
  const source = document.getElementById("map-data");
  if (!element || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const map = L.map(element, {
    attributionControl: Boolean(data.tileUrl),
    scrollWheelZoom: false,
    zoomSnap: 0.25,
  });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
  } else {
    element.classList.add("map-plain");
  }
  const styles = {
    // Without a fill the outline lets clicks through to the children inside it.
    self: { color: "#b5302a", weight: 3, fill: data.features.length === 1, fillOpacity: 0.12 },
    child: { color: "#2b6cb0", weight: 1.5, fillColor: "#2b6cb0", fillOpacity: 0.1 },
    hover: { weight: 3, fillOpacity: 0.25 },
  };
  const layer = L.geoJSON(
    { type: "FeatureCollection", features: data.features },
    {
      style: (feature) => styles[feature.properties.role],
      onEachFeature: (feature, shape) => {
        const p = feature.properties;
        if (p.role !== "child") return;
        // An element, not a string: Leaflet puts a string in as HTML, and names are user text.
        const text = document.createElement("span");
        text.textContent = data.labels ? p.label : p.name;
        shape.bindTooltip(text, {
          permanent: Boolean(data.labels),
          direction: "center",
          className: data.labels ? "map-label" : "",
          sticky: !data.labels,
        });
        shape.on("mouseover", () => {
          shape.setStyle(styles.hover);
          shape.getTooltip().getElement()?.classList.remove("map-label-hidden");
        });
        shape.on("mouseout", () => {
          layer.resetStyle(shape);
          fitLabel(shape);
        });
        shape.on("click", () => { window.location.href = p.url; });
      },
    }
  ).addTo(map);
  // The area's own outline stays on top of its children's fills.
  layer.eachLayer((shape) => {
    if (shape.feature.properties.role === "self") shape.bringToFront();
  });
  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { padding: [16, 16] });
  } else if (data.center) {
    map.setView(data.center, 17);
    L.circleMarker(data.center, { radius: 8, color: "#b5302a" }).addTo(map);
  } else {
    map.setView([39.95, 116.4], 12);
  }
  // A permanent label shows only where it fits inside its area at the current zoom.
  function fitLabel(shape) {
    const label = shape.getTooltip() && shape.getTooltip().getElement();
    if (!label || !data.labels) return;
    const bounds = shape.getBounds();
    const nw = map.latLngToContainerPoint(bounds.getNorthWest());
    const se = map.latLngToContainerPoint(bounds.getSouthEast());
    const fits = label.offsetWidth + 4 <= se.x - nw.x && label.offsetHeight + 2 <= se.y - nw.y;
    label.classList.toggle("map-label-hidden", !fits);
  }
  const fitLabels = () =>
    layer.eachLayer((shape) => shape.feature.properties.role === "child" && fitLabel(shape));
  map.on("zoomend", fitLabels);
  fitLabels();
  window.addEventListener("resize", () => map.invalidateSize());
  element.dataset.ready = "1";
})();

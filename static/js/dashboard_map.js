// The dashboard's map: the child areas coloured by open (or overdue) cases per 1,000 households,
// the cases clustered on the server (a number in a circle; a single case is a dot that opens the
// case). A click on a cluster lists its cases under the map (number, category, state, a link to
// each and to the case list of the cluster's box), asked from the server. Names are user text: tooltips get elements with text nodes, never HTML strings. No
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

  // -- the cases of a clicked cluster, in the panel under the map (at any zoom: cases of one
  // building share a point and never come apart by zooming) -------------------------------
  const panel = document.getElementById("map-cases");
  const panelTitle = document.getElementById("map-cases-title");
  const panelList = panel.querySelector("[data-map-cases-list]");
  const panelNote = panel.querySelector("[data-map-cases-note]");
  const panelAll = panel.querySelector("[data-map-cases-all]");
  const panelZoom = panel.querySelector("[data-map-cases-zoom]");
  let shown = null;
  let asked = 0;

  function caseItem(c) {
    const li = document.createElement("li");
    li.dataset.caseNumber = c.number;
    const link = document.createElement("a");
    link.href = c.url;
    link.textContent = c.number;
    const category = document.createElement("span");
    category.className = "map-case-category";
    category.textContent = c.category;
    const state = document.createElement("span");
    state.className = c.overdue ? "tag tag-overdue" : "tag";
    state.textContent = c.overdue ? `${c.status} · ${panel.dataset.overdueLabel}` : c.status;
    li.append(link, category, state);
    return li;
  }

  async function openCluster(c) {
    const ticket = ++asked;
    shown = c;
    panel.hidden = false;
    delete panel.dataset.cell;
    panelTitle.textContent = `${c.n} ${panel.dataset.casesLabel}`;
    panelNote.textContent = panel.dataset.loadingLabel;
    panelList.replaceChildren();
    panelAll.hidden = true;
    let answer = null;
    try {
      const response = await fetch(`${panel.dataset.url}&cell=${c.cell.join(",")}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) answer = await response.json();
    } catch (_error) {
      answer = null;
    }
    if (ticket !== asked) return; // another cluster was clicked meanwhile
    if (!answer) {
      panelNote.textContent = panel.dataset.failedLabel;
      return;
    }
    panelTitle.textContent = `${answer.total} ${panel.dataset.casesLabel}`;
    panelNote.textContent = answer.total > answer.cases.length ? panel.dataset.moreLabel.replace("%s", String(answer.cases.length)) : "";
    panelList.replaceChildren(...answer.cases.map(caseItem));
    panelAll.href = answer.list_url;
    panelAll.hidden = false;
    panel.dataset.cell = c.cell.join(",");
    if (panel.getBoundingClientRect().bottom > window.innerHeight) panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  panel.querySelector("[data-map-cases-close]").addEventListener("click", () => {
    asked += 1;
    shown = null;
    panel.hidden = true;
  });
  panelZoom.addEventListener("click", () => {
    if (shown) map.setView([shown.lat, shown.lng], Math.min(map.getZoom() + 2, 19));
  });

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
    marker.on("click", () => openCluster(c));
    marker.addTo(clusters);
    const node = marker.getElement && marker.getElement();
    if (node) node.dataset.cell = c.cell.join(",");
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

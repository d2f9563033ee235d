// The live coverage board of a mobilization task. The map draws the areas of the current level
// (communities, grids or buildings) coloured by how much is checked; every few seconds the
// script asks the board's JSON endpoint, with the last stamp it saw, whether anything moved,
// and writes the new figures into the table cells and the map. Text goes in as text nodes only.
(function () {
  const board = document.querySelector("[data-board]");
  const source = document.getElementById("board-config");
  if (!board || !source) return;
  const config = JSON.parse(source.textContent);
  const updated = board.querySelector("[data-board-updated]");
  const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  const colours = { done: "#2f855a", started: "#d69e2e", pending: "#a0aec0" };
  // Areas are shaded by their share checked: none, under half, half or more, all.
  const shares = ["#a0aec0", "#f6c36b", "#8fd19e", "#2f855a"];
  let stamp = "";
  let rows = {};

  function colourFor(row) {
    if (!row) return colours.pending;
    if (row.status) return colours[row.status] || colours.pending;
    if (!row.total || !row.done) return shares[0];
    if (row.done === row.total) return shares[3];
    return row.percent >= 50 ? shares[2] : shares[1];
  }

  function tooltipText(name, row) {
    if (!row) return name;
    if (row.statusLabel) return `${name} · ${row.statusLabel}`;
    return `${name} · ${row.percent}% (${row.done}/${row.total})`;
  }

  let layer = null;
  const element = board.querySelector("[data-board-map]");
  if (element && window.L) {
    const map = L.map(element, { attributionControl: Boolean(config.tileUrl), scrollWheelZoom: false });
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("map-plain");
    }
    layer = L.geoJSON({ type: "FeatureCollection", features: config.features }, {
      style: () => ({ color: "#475569", weight: 1, fillColor: colours.pending, fillOpacity: 0.55 }),
      onEachFeature: (feature, shape) => {
        const text = document.createElement("span");
        text.textContent = feature.properties.name;
        shape.bindTooltip(text, { sticky: true });
        shape.on("click", () => {
          const id = feature.properties.id;
          const link = board.querySelector(`[data-id="${id}"] a`);
          if (link) window.location.href = link.href;
        });
      },
    }).addTo(map);
    if (config.features.length) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    else map.setView([39.95, 116.4], 12);
    window.addEventListener("resize", () => map.invalidateSize());
    element.dataset.ready = "1";
  }

  function paintMap() {
    if (!layer) return;
    layer.eachLayer((shape) => {
      const row = rows[shape.feature.properties.id];
      shape.setStyle({ fillColor: colourFor(row) });
      const tip = shape.getTooltip();
      if (tip) {
        const text = document.createElement("span");
        text.textContent = tooltipText(shape.feature.properties.name, row);
        tip.setContent(text);
      }
    });
  }

  function writeRows(kind, list) {
    (list || []).forEach((row) => {
      if (kind === config.mapRows) rows[row.id] = row;
      const tr = board.querySelector(`[data-row="${kind}"][data-id="${row.id}"]`);
      if (!tr) return;
      tr.querySelectorAll("[data-cell]").forEach((cell) => {
        const value = row[cell.dataset.cell];
        const text = Array.isArray(value) ? value.join("、") : value;
        cell.textContent = text === "" || text === null || text === undefined ? "—" : String(text);
        if (cell.dataset.cell === "statusLabel") cell.className = `status target-${row.status}`;
      });
      const progress = tr.querySelector("[data-cell-progress]");
      if (progress) progress.value = row.percent;
    });
  }

  function apply(data) {
    stamp = data.stamp;
    board.dataset.stamp = stamp;
    rows = {};
    Object.entries(data.totals).forEach(([key, value]) => {
      board.querySelectorAll(`[data-total="${key}"]`).forEach((cell) => {
        cell.textContent = key === "percent" ? `${value}%` : String(value);
      });
    });
    const progress = board.querySelector("[data-total-progress]");
    if (progress) progress.value = data.totals.done;
    writeRows("groups", data.groups);
    writeRows("grids", data.grids);
    writeRows("buildings", data.buildings);
    paintMap();
  }

  async function poll() {
    try {
      const response = await fetch(`${config.url}&since=${encodeURIComponent(stamp)}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const data = await response.json();
      if (data.changed) apply(data);
      else stamp = data.stamp;
      if (updated) updated.textContent = fill(updated.dataset.msgLive, { time: new Date().toLocaleTimeString() });
    } catch (error) {
      // The next poll tries again; the board keeps the last figures it had.
    }
  }

  poll();
  setInterval(poll, config.every * 1000);
})();

// The case page: the location on a local Leaflet map (no outside tiles unless MAP_TILE_URL),
// quick replies that fill the step's comment box, photos opened full size in a dialog, and the
// possible originals of a merge filled in with one tap.
(function () {
  const mapElement = document.querySelector("[data-case-map]");
  const source = document.getElementById("case-map-data");
  if (mapElement && source && window.L) {
    const data = JSON.parse(source.textContent);
    const point = data.point || data.area;
    const map = L.map(mapElement, {
      attributionControl: Boolean(data.tileUrl),
      scrollWheelZoom: false,
    }).setView(point, 17);
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      mapElement.classList.add("map-plain");
    }
    if (data.boundary) {
      const outline = L.geoJSON(data.boundary, {
        style: { color: "#2b6cb0", weight: 2, fillColor: "#2b6cb0", fillOpacity: 0.08 },
        interactive: false,
      }).addTo(map);
      map.fitBounds(outline.getBounds().extend(point), { padding: [18, 18], maxZoom: 18 });
    }
    if (data.point) {
      L.marker(point).addTo(map);
    } else {
      L.circleMarker(point, { radius: 8, color: "#2b6cb0" }).addTo(map);
    }
    window.addEventListener("resize", () => map.invalidateSize());
    mapElement.dataset.ready = "1";
  }

  // Quick replies: fill the step's comment (or result) box, then let the user edit it.
  document.querySelectorAll("[data-quick-reply]").forEach((button) => {
    button.addEventListener("click", () => {
      const box = button.closest(".quick-replies").previousElementSibling.querySelector("textarea");
      if (!box) return;
      box.value = button.dataset.quickReply;
      box.focus();
      box.setSelectionRange(box.value.length, box.value.length);
    });
  });

  document.querySelectorAll("[data-fill]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.fill);
      if (input) input.value = button.dataset.value;
    });
  });

  // One step open at a time keeps the page short on a phone.
  const steps = Array.from(document.querySelectorAll("details.step"));
  steps.forEach((step) => {
    step.addEventListener("toggle", () => {
      if (step.open) steps.forEach((other) => other !== step && (other.open = false));
    });
  });

  const dialog = document.getElementById("lightbox");
  if (dialog && typeof dialog.showModal === "function") {
    const image = dialog.querySelector("img");
    document.querySelectorAll("a.thumb").forEach((link) => {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        image.src = link.dataset.full;
        image.alt = link.querySelector("img").alt;
        dialog.showModal();
      });
    });
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog || event.target === image) dialog.close();
    });
  }
})();

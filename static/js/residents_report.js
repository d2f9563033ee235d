// The residents' page (随手拍) on a phone: the chosen category's questions, the position from the
// browser or a point picked on a local Leaflet map, a building picked by name, and the
// verification code asked for without leaving the page (photo previews are casework_photos.js).
// Without JavaScript every part still works by posting the form. Text from the server or from
// other people goes into the page as text nodes only.
(function () {
  const form = document.getElementById("resident-form");
  if (!form) return;
  const data = JSON.parse(document.getElementById("resident-map-data").textContent);
  const msg = (name, values) =>
    (form.dataset[name] || "").replace(/%\((\w+)\)s/g, (_, key) => (values || {})[key] ?? "");

  // -- the chosen category's questions ---------------------------------------------------------
  const category = form.querySelector("select[name=category]");
  const questionSets = Array.from(form.querySelectorAll("[data-questions-for]"));
  function showQuestions() {
    questionSets.forEach((set) => {
      set.hidden = set.dataset.questionsFor !== category.value;
    });
  }
  category.addEventListener("change", showQuestions);
  showQuestions();

  // -- position ----------------------------------------------------------------------------------
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
  function openMap() {
    if (!window.L) return;
    mapBox.hidden = false;
    mapButton.setAttribute("aria-expanded", "true");
    if (map) {
      map.invalidateSize();
      return;
    }
    map = L.map(mapBox, { attributionControl: Boolean(data.tileUrl), zoomSnap: 0.5 });
    if (data.tileUrl) {
      L.tileLayer(data.tileUrl, { attribution: data.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      mapBox.classList.add("map-plain");
    }
    let outline = null;
    if (data.boundary) {
      outline = L.geoJSON(data.boundary, {
        style: { color: "#b5302a", weight: 2, fillColor: "#b5302a", fillOpacity: 0.05 },
        interactive: false,
      }).addTo(map);
    }
    if (lat.value) map.setView([Number(lat.value), Number(lng.value)], 17);
    else if (outline) map.fitBounds(outline.getBounds(), { padding: [8, 8] });
    else map.setView(data.center || [39.95, 116.4], 16);
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
  });
  if (lat.value) clear.hidden = false;

  // -- building by name or code -----------------------------------------------------------------
  const building = form.querySelector("input[name=building]");
  const buildingCode = form.querySelector("input[name=building_code]");
  const hits = form.querySelector("[data-building-hits]");
  let searchTimer = null;
  let searchTicket = 0;
  building.addEventListener("input", () => {
    buildingCode.value = "";
    clearTimeout(searchTimer);
    const text = building.value.trim();
    if (!text) {
      hits.hidden = true;
      hits.replaceChildren();
      return;
    }
    searchTimer = setTimeout(async () => {
      const ticket = ++searchTicket;
      try {
        const response = await fetch(`${data.buildingsUrl}?${new URLSearchParams({ q: text })}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok || ticket !== searchTicket) return;
        const found = (await response.json()).buildings;
        hits.replaceChildren();
        found.forEach((item) => {
          const button = document.createElement("button");
          button.type = "button";
          const name = document.createElement("span");
          name.textContent = item.name;
          const community = document.createElement("small");
          community.textContent = item.community;
          button.append(name, community);
          button.addEventListener("click", () => {
            building.value = item.name;
            buildingCode.value = item.code;
            hits.hidden = true;
            status.textContent = `${msg("msgChosen")} ${item.name}`;
          });
          hits.append(button);
        });
        if (!found.length) {
          const none = document.createElement("p");
          none.className = "muted small";
          none.textContent = msg("msgNoBuilding");
          hits.append(none);
        }
        hits.hidden = false;
      } catch (error) {
        // Offline: the name typed is matched when the form is sent.
      }
    }, 250);
  });

  // -- contact: anonymous, or a phone number with its code --------------------------------------
  const anonymous = form.querySelector("[data-anonymous]");
  const contact = form.querySelector("[data-contact-fields]");
  anonymous.addEventListener("change", () => {
    contact.hidden = anonymous.checked;
  });
  const sendButton = form.querySelector("[data-send-code]");
  const codeStatus = form.querySelector("[data-code-status]");
  const phone = form.querySelector("input[name=phone]");
  let waitTimer = null;
  function waitBeforeAgain(seconds) {
    sendButton.disabled = true;
    const label = sendButton.textContent;
    let left = seconds;
    sendButton.textContent = msg("msgWait", { s: left });
    waitTimer = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(waitTimer);
        sendButton.disabled = false;
        sendButton.textContent = label;
      } else {
        sendButton.textContent = msg("msgWait", { s: left });
      }
    }, 1000);
  }
  sendButton.addEventListener("click", async (event) => {
    event.preventDefault();
    const body = new FormData();
    body.append("phone", phone.value);
    codeStatus.classList.remove("is-error");
    try {
      const response = await fetch(data.codeUrl, {
        method: "POST",
        body,
        headers: {
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
          Accept: "application/json",
        },
        credentials: "same-origin",
      });
      const answer = await response.json();
      codeStatus.textContent = answer.message || answer.error || "";
      if (response.ok) {
        waitBeforeAgain(60);
        form.querySelector("input[name=code]").focus();
      } else {
        codeStatus.classList.add("is-error");
      }
    } catch (error) {
      codeStatus.textContent = msg("msgSendFailed");
      codeStatus.classList.add("is-error");
    }
  });
})();

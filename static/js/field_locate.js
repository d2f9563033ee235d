// "Use my position" on the field-work forms: fills the hidden latitude and longitude from the
// phone, or says why it cannot. Messages come from data attributes (translated by the server).
(function () {
  document.querySelectorAll("[data-locate-field]").forEach((box) => {
    const form = box.closest("form");
    const latitude = form.querySelector("input[name=latitude]");
    const longitude = form.querySelector("input[name=longitude]");
    const status = box.querySelector("[data-location-status]");
    const clear = box.querySelector("[data-clear-point]");
    const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
    box.querySelector("[data-locate]").addEventListener("click", () => {
      if (!navigator.geolocation) {
        status.textContent = box.dataset.msgNoGeo;
        return;
      }
      status.textContent = box.dataset.msgLocating;
      navigator.geolocation.getCurrentPosition(
        (position) => {
          latitude.value = position.coords.latitude.toFixed(6);
          longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = fill(box.dataset.msgLocated, { m: Math.round(position.coords.accuracy) });
          clear.hidden = false;
        },
        () => { status.textContent = box.dataset.msgNoGeo; },
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
      );
    });
    clear.addEventListener("click", () => {
      latitude.value = "";
      longitude.value = "";
      status.textContent = "";
      clear.hidden = true;
    });
  });
})();

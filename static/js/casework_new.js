// The filing form on a phone: a searchable two-level category picker, the position from the
// browser or a point picked on the map (point_picker.js), possible duplicates while filing, and the resolve-on-the-spot fields (photo previews are
// casework_photos.js). Without JavaScript the form still works.
(function () {
  const form = document.getElementById("case-form");
  if (!form) return;
  const msg = (name, values) =>
    (form.dataset[name] || "").replace(/%\((\w+)\)s/g, (_, key) => (values || {})[key] ?? "");

  // -- category: 大类 → 小类 with search ------------------------------------------------------
  const picker = form.querySelector("[data-category-picker]");
  const leafSelect = picker.querySelector("select[name=category]");
  const groupSelect = picker.querySelector("[data-category-group]");
  const search = picker.querySelector("[data-category-search]");
  const results = picker.querySelector("[data-category-results]");
  const groups = Array.from(leafSelect.querySelectorAll("optgroup"));
  const leaves = Array.from(leafSelect.querySelectorAll("option")).filter((o) => o.value);
  const groupOf = (option) => (option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "");
  // An option matches its name, or its pinyin whole or by initials (data-pinyin: "lajiduifang ljdf").
  const spelled = (text) => text.replace(/[\s']+/g, "");
  const matches = (option, text) =>
    option.textContent.toLowerCase().includes(text) ||
    (/[a-z]/.test(text) && (option.dataset.pinyin || "").includes(spelled(text)));
  if (groups.length) {
    groupSelect.hidden = false;
    search.hidden = false;
    const showGroup = (label) => {
      groups.forEach((g) => {
        const on = !label || g.label === label;
        g.hidden = !on;
        g.disabled = !on;
      });
    };
    groupSelect.addEventListener("change", () => {
      showGroup(groupSelect.value);
      if (leafSelect.selectedOptions[0] && groupOf(leafSelect.selectedOptions[0]) !== groupSelect.value) {
        leafSelect.value = "";
        leafSelect.dispatchEvent(new Event("change"));
      }
    });
    if (leafSelect.value) {
      groupSelect.value = groupOf(leafSelect.selectedOptions[0]);
      showGroup(groupSelect.value);
    }
    const choose = (option) => {
      groupSelect.value = groupOf(option);
      showGroup(groupSelect.value);
      leafSelect.value = option.value;
      leafSelect.dispatchEvent(new Event("change"));
      search.value = "";
      results.hidden = true;
    };
    search.addEventListener("input", () => {
      const text = search.value.trim().toLowerCase();
      results.replaceChildren();
      if (!text) {
        results.hidden = true;
        return;
      }
      const found = leaves.filter(
        (o) => matches(o, text) || groupOf(o).toLowerCase().includes(text)
      );
      found.slice(0, 12).forEach((option) => {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "picker-hit";
        const name = document.createElement("span");
        name.textContent = option.textContent;
        const group = document.createElement("small");
        group.textContent = groupOf(option);
        button.append(name, group);
        button.addEventListener("click", () => choose(option));
        results.append(button);
      });
      if (!found.length) {
        const none = document.createElement("p");
        none.className = "muted small";
        none.textContent = msg("msgNoMatch");
        results.append(none);
      }
      results.hidden = false;
    });
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        const first = results.querySelector("button");
        if (first) first.click();
      }
    });
  }

  // -- area: a filter box when the scope is large (a street has well over a thousand nodes) --
  const areaPick = form.querySelector("select[name=area]");
  if (areaPick.options.length > 30) {
    const box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = form.dataset.msgAreaSearch;
    box.setAttribute("aria-label", form.dataset.msgAreaSearch);
    areaPick.before(box);
    const options = Array.from(areaPick.options).filter((o) => o.value);
    box.addEventListener("input", () => {
      const text = box.value.trim().toLowerCase();
      let first = null;
      options.forEach((o) => {
        const hit = !text || matches(o, text);
        o.hidden = !hit;
        if (hit && !first) first = o;
      });
      if (text && first && areaPick.selectedOptions[0]?.hidden !== false) {
        areaPick.value = first.value;
        areaPick.dispatchEvent(new Event("change"));
      }
    });
  }

  // -- location (point_picker.js) ----------------------------------------------------------
  const mapData = JSON.parse(document.getElementById("pick-map-data").textContent);
  const { lat, lng } = window.PointPicker(form, mapData, { onChange: () => checkDuplicates() });

  // -- possible duplicates --------------------------------------------------------------------
  const dupBox = form.querySelector("[data-duplicates]");
  const areaSelect = form.querySelector("select[name=area]");
  let dupTimer = null;
  let dupRequest = 0;
  function checkDuplicates() {
    clearTimeout(dupTimer);
    dupTimer = setTimeout(async () => {
      if (!leafSelect.value) {
        dupBox.replaceChildren();
        return;
      }
      const params = new URLSearchParams({ category: leafSelect.value, area: areaSelect.value || "" });
      if (lat.value) {
        params.set("latitude", lat.value);
        params.set("longitude", lng.value);
      }
      const ticket = ++dupRequest;
      try {
        const response = await fetch(`${form.dataset.duplicatesUrl}?${params}`, {
          headers: { "X-Requested-With": "fetch" },
          credentials: "same-origin",
        });
        if (!response.ok || ticket !== dupRequest) return;
        window.portalInsertFragment(dupBox, await response.text());
        dupBox.dataset.checked = "1";
      } catch (error) {
        // Offline on the street: filing still works, the check simply does not show.
      }
    }, 250);
  }
  leafSelect.addEventListener("change", checkDuplicates);
  areaSelect.addEventListener("change", checkDuplicates);
  if (leafSelect.value) checkDuplicates();

  // -- who reported, resolve on the spot ------------------------------------------------------
  const source = form.querySelector("select[name=source]");
  const residentFields = form.querySelector("[data-resident-fields]");
  const residentSources = ["resident", "hotline_12345", "open311"];
  const showResident = () => {
    residentFields.hidden = !residentSources.includes(source.value) && !residentFields.querySelector(".has-error");
  };
  source.addEventListener("change", showResident);
  showResident();
  const resolve = form.querySelector("[data-resolve-toggle]");
  if (resolve) {
    const fields = form.querySelector("[data-resolve-fields]");
    resolve.addEventListener("change", () => {
      fields.hidden = !resolve.checked;
    });
  }

  // -- every field checked at once before sending (the server checks all of them again) ------
  const address = form.querySelector("input[name=address]");
  const reporterName = form.querySelector("input[name=reporter_name]");
  const result = form.querySelector("textarea[name=result]");
  const afterPhotos = form.querySelector("input[name=after_photos]");
  const banner = form.querySelector("[data-client-errors]");
  function problems() {
    const found = [];
    const missing = (el) => el && !el.closest("[hidden]") && !el.value.trim();
    ["title", "category", "area", "source"].forEach((name) => {
      const el = form.elements[name];
      if (missing(el)) found.push([el, msg("msgRequired")]);
    });
    if (!lat.value && !address.value.trim()) found.push([address, msg("msgNoLocation")]);
    if (residentSources.includes(source.value) && !reporterName.value.trim()) {
      found.push([reporterName, msg("msgNoResident")]);
    }
    if (resolve && resolve.checked) {
      if (!result.value.trim()) found.push([result, msg("msgNoResult")]);
      const kept = form.querySelectorAll("input[name=after_photos_drafts]").length + afterPhotos.files.length;
      if (!kept) found.push([afterPhotos, msg("msgNoAfterPhoto")]);
    }
    return found;
  }
  function show(found) {
    form.querySelectorAll(".client-error").forEach((el) => el.remove());
    form.querySelectorAll(".field.client-invalid").forEach((el) => el.classList.remove("has-error", "client-invalid"));
    found.forEach(([el, text]) => {
      const field = el.closest(".field");
      field.classList.add("has-error", "client-invalid");
      const error = document.createElement("div");
      error.className = "error client-error";
      error.textContent = text;
      field.append(error);
    });
    banner.hidden = !found.length;
    if (found.length) {
      found[0][0].closest(".field").scrollIntoView({ block: "center" });
      found[0][0].focus({ preventScroll: true });
    }
  }
  form.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const found = problems();
    show(found);
    if (found.length) {
      event.preventDefault();
      return;
    }
    // Photos still uploading: send once they are kept (or back in the file input).
    if (window.portalPhotoUploads && window.portalPhotoUploads.pending()) {
      event.preventDefault();
      window.portalPhotoUploads().then(() => form.requestSubmit());
    }
  });
})();

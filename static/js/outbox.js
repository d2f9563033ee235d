// The phone's outbox: cases written on the filing form are kept on the device (IndexedDB,
// photos not yet uploaded as blobs) while they are written, and a case filed without a
// connection waits there and is sent when the connection is back (the online event, and
// retries with a growing pause). Each draft carries the form's idempotency key, sent as the
// Idempotency-Key header: however often a draft is sent, the server files one case.
// The drafts of the person signed in are listed by templates/includes/outbox_panel.html
// (inbox, filing page, offline page). Text goes into the page as text nodes only.
(function () {
  if (!window.indexedDB) return;
  const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => (values || {})[key] ?? "");

  // -- storage ------------------------------------------------------------------------------
  function request(mode, action) {
    return new Promise((resolve, reject) => {
      const opening = indexedDB.open("portal-outbox", 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore("drafts", { keyPath: "key" });
      opening.onerror = () => reject(opening.error);
      opening.onsuccess = () => {
        const db = opening.result;
        const tx = db.transaction("drafts", mode);
        const asked = action(tx.objectStore("drafts"));
        tx.oncomplete = () => {
          db.close();
          resolve(asked.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error);
        };
      };
    });
  }
  const store = {
    put: (record) => request("readwrite", (s) => s.put(record)),
    get: (key) => request("readonly", (s) => s.get(key)),
    remove: (key) => request("readwrite", (s) => s.delete(key)),
    all: () => request("readonly", (s) => s.getAll()),
  };

  // Drafts belong to the person who wrote them: on a shared phone nobody else sees or sends them.
  const ownerElement = document.querySelector("[data-outbox-owner]");
  const owner = ownerElement ? ownerElement.dataset.outboxOwner : localStorage.getItem("portal-outbox-owner");
  if (ownerElement) localStorage.setItem("portal-outbox-owner", owner);
  if (!owner) return;
  const mine = async () =>
    (await store.all()).filter((r) => r.owner === owner).sort((a, b) => b.savedAt - a.savedAt);

  // -- sending --------------------------------------------------------------------------------
  async function send(record) {
    const body = new FormData();
    const fresh = document.querySelector("input[name=csrfmiddlewaretoken]");
    record.fields.forEach(([name, value, fileName]) => {
      if (name === "csrfmiddlewaretoken" && fresh) body.append(name, fresh.value);
      else if (fileName !== undefined) body.append(name, value, fileName);
      else body.append(name, value);
    });
    let response;
    try {
      response = await fetch(record.url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "Idempotency-Key": record.key },
      });
    } catch (error) {
      return { state: "offline" };
    }
    const json = (response.headers.get("Content-Type") || "").includes("application/json");
    const answer = json ? await response.json().catch(() => ({})) : {};
    if (response.ok && answer.url) {
      await store.remove(record.key);
      return { state: "sent", answer };
    }
    if (response.status === 400 && answer.errors) {
      record.status = "refused";
      await store.put(record);
      return { state: "refused", answer };
    }
    // Signed out (the login page answered) or refused: kept, and tried again later.
    if (response.status < 500) {
      record.status = "login";
      await store.put(record);
      return { state: "login" };
    }
    return { state: "offline" };
  }

  let pause = 2000;
  let timer = null;
  let flushing = false;
  async function flush() {
    if (flushing || navigator.onLine === false) return;
    flushing = true;
    clearTimeout(timer);
    let waiting = false;
    try {
      for (const record of await mine()) {
        if (record.status !== "queued" && record.status !== "login") continue;
        const result = await send(record);
        if (result.state === "sent") {
          document.dispatchEvent(new CustomEvent("outbox:sent", { detail: { key: record.key, answer: result.answer } }));
        } else if (result.state === "offline") {
          waiting = true;
          break;
        }
      }
    } finally {
      flushing = false;
    }
    render();
    if (waiting) {
      timer = setTimeout(flush, pause);
      pause = Math.min(pause * 2, 60000);
    } else {
      pause = 2000;
    }
  }
  window.addEventListener("online", () => {
    pause = 2000;
    flush();
  });

  // -- the list of drafts ---------------------------------------------------------------------
  const panel = document.querySelector("[data-outbox-panel]");
  const form = document.getElementById("case-form");
  const keyInput = form && form.elements.idempotency_key;
  let restoring = false;
  async function render() {
    if (!panel) return;
    const list = panel.querySelector("[data-outbox-list]");
    const shown = (await mine()).filter((r) => !keyInput || r.key !== keyInput.value);
    list.replaceChildren();
    shown.forEach((record) => {
      const item = panel.querySelector("[data-outbox-item]").content.firstElementChild.cloneNode(true);
      item.dataset.key = record.key;
      item.dataset.status = record.status;
      item.querySelector("[data-item-title]").textContent = record.title || panel.dataset.msgUntitled;
      const state = panel.dataset[`msg${record.status[0].toUpperCase()}${record.status.slice(1)}`] || "";
      const time = new Date(record.savedAt).toLocaleString(document.documentElement.lang, {
        month: "numeric",
        day: "numeric",
        hour: "2-digit",
        minute: "2-digit",
      });
      item.querySelector("[data-item-meta]").textContent = `${state} · ${fill(panel.dataset.msgSaved, { time })}`;
      item.querySelector("[data-item-open]").href = `${panel.dataset.newUrl}?draft=${encodeURIComponent(record.key)}`;
      item.querySelector("[data-item-discard]").addEventListener("click", async () => {
        if (!window.confirm(panel.dataset.msgDiscardConfirm)) return;
        await store.remove(record.key);
        render();
      });
      list.append(item);
    });
    panel.hidden = !shown.length;
    panel.querySelector("[data-outbox-send]").hidden = !shown.some((r) => r.status === "queued" || r.status === "login");
  }
  if (panel) panel.querySelector("[data-outbox-send]").addEventListener("click", flush);
  const retry = document.querySelector("[data-offline-retry]");
  if (retry) {
    retry.addEventListener("click", (event) => {
      event.preventDefault();
      window.location.reload();
    });
  }

  // -- the filing form ------------------------------------------------------------------------
  if (form && keyInput) filingForm();
  render().then(flush);

  function filingForm() {
    const notice = form.querySelector("[data-outbox-notice]");
    const submit = form.querySelector("button[type=submit]");
    const say = (text, withDiscard) => {
      notice.replaceChildren(document.createTextNode(text));
      if (withDiscard) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "btn-link";
        button.textContent = form.dataset.msgDraftDiscard;
        button.addEventListener("click", async () => {
          await store.remove(keyInput.value);
          window.location.assign(window.location.pathname);
        });
        notice.append(" ", button);
      }
      notice.hidden = false;
    };
    const snapshot = (status) => ({
      key: keyInput.value,
      owner,
      url: form.getAttribute("action") || window.location.pathname,
      title: form.elements.title.value.trim(),
      savedAt: Date.now(),
      status,
      fields: Array.from(new FormData(form))
        .filter(([, value]) => !(value instanceof File) || value.size > 0)
        .map(([name, value]) => (value instanceof File ? [name, value, value.name] : [name, value])),
    });

    // Kept while being written: a reload, a closed tab or a dead battery loses nothing.
    let saving = null;
    const save = () => {
      if (restoring) return;
      clearTimeout(saving);
      saving = setTimeout(() => store.put(snapshot("editing")), 400);
    };
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    document.addEventListener("outbox:sent", (event) => {
      if (event.detail.key === keyInput.value) window.location.assign(event.detail.answer.url);
    });

    form.addEventListener("submit", async (event) => {
      if (event.defaultPrevented) return;
      event.preventDefault();
      clearTimeout(saving);
      const record = snapshot("queued");
      await store.put(record);
      submit.disabled = true;
      const result = navigator.onLine === false ? { state: "offline" } : await send(record);
      if (result.state === "sent") {
        window.location.assign(result.answer.url);
        return;
      }
      submit.disabled = false;
      if (result.state === "refused") {
        // The server's answer names the problems on the form itself: send it the plain way.
        record.status = "editing";
        await store.put(record);
        form.submit();
        return;
      }
      say(result.state === "login" ? form.dataset.msgDraftLogin : form.dataset.msgDraftQueued, false);
      notice.scrollIntoView({ block: "center" });
      render();
      if (result.state === "offline") {
        clearTimeout(timer);
        timer = setTimeout(flush, pause);
      }
    });

    // A draft asked for by the list, or the last one still being written on a fresh form.
    const wanted = new URLSearchParams(window.location.search).get("draft");
    const pick = wanted
      ? store.get(wanted).then((r) => (r && r.owner === owner ? r : null))
      : form.dataset.bound
        ? Promise.resolve(null)
        : mine().then((all) => all.find((r) => r.status === "editing") || null);
    pick.then((record) => {
      if (!record) return;
      // The change events the restored fields send are not edits: a queued draft stays queued.
      restoring = true;
      try {
        restore(record);
      } finally {
        restoring = false;
      }
      render();
      const time = new Date(record.savedAt).toLocaleString(document.documentElement.lang);
      const text = record.status === "queued" ? form.dataset.msgDraftQueued : fill(form.dataset.msgDraftRestored, { time });
      say(text, true);
    });
  }

  function restore(record) {
    keyInput.value = record.key;
    const files = {};
    record.fields.forEach(([name, value, fileName]) => {
      if (name === "csrfmiddlewaretoken" || name === "idempotency_key") return;
      if (fileName !== undefined) {
        (files[name] = files[name] || []).push(new File([value], fileName, { type: value.type }));
        return;
      }
      if (name.endsWith("_drafts")) {
        restoreUploaded(name, value);
        return;
      }
      const element = form.elements[name];
      if (!element) return;
      if (element.type === "checkbox") element.checked = true;
      else element.value = value;
      if (element.name === "category") {
        const group = form.querySelector("[data-category-group]");
        const option = element.selectedOptions[0];
        if (group && option && option.parentElement.tagName === "OPTGROUP") {
          group.value = option.parentElement.label;
          group.dispatchEvent(new Event("change"));
          element.value = value;
        }
      }
      element.dispatchEvent(new Event("change", { bubbles: true }));
    });
    Object.entries(files).forEach(([name, list]) => {
      const input = form.elements[name];
      if (!input) return;
      const keep = new DataTransfer();
      list.forEach((file) => keep.items.add(file));
      input.files = keep.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
    const lat = form.elements.latitude;
    const status = form.querySelector("[data-location-status]");
    if (lat && lat.value && status) {
      status.textContent = `${lat.value}, ${form.elements.longitude.value}`;
      const clear = form.querySelector("[data-clear-point]");
      if (clear) clear.hidden = false;
    }
  }

  // A photo uploaded before (a draft on the server, named by id): shown again with its thumbnail.
  function restoreUploaded(name, id) {
    const previews = form.querySelector(`[data-draft-name="${name}"]`);
    if (!previews || previews.querySelector(`input[value="${CSS.escape(id)}"]`)) return;
    const figure = document.createElement("figure");
    figure.className = "photo-draft";
    const img = document.createElement("img");
    img.alt = "";
    img.src = `${previews.dataset.draftUrl}${encodeURIComponent(id)}.jpg`;
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = name;
    hidden.value = id;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "photo-remove";
    remove.dataset.draftRemove = "";
    remove.setAttribute("aria-label", previews.dataset.msgRemove || "×");
    remove.textContent = "×";
    figure.append(img, hidden, remove);
    previews.append(figure);
  }
})();

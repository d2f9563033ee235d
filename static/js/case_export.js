// A background case export: its progress is read from the API every two seconds until the
// file is ready (or the export failed). Every figure goes into a text node.
(function () {
  const box = document.querySelector("[data-case-export]");
  if (!box) return;
  const url = box.dataset.statusUrl;
  const part = (name) => box.querySelector(`[data-export-${name}]`);
  let delay = 2000;

  function show(data) {
    part("bar").value = data.percent;
    part("bar").textContent = `${data.percent}%`;
    part("percent").textContent = `${data.percent}%`;
    part("state").textContent = data.state_display;
    part("written").textContent = String(data.written);
    part("total").textContent = data.total === null ? "" : ` / ${data.total}`;
    if (data.error) {
      part("error").textContent = data.error;
      part("error").hidden = false;
    }
    if (data.download) {
      part("download").href = data.download;
      part("download").hidden = false;
    }
    const finished = data.state === "done" || data.state === "failed";
    part("wait").hidden = finished;
    return finished;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        delay = 2000;
        if (!show(data)) window.setTimeout(poll, delay);
      })
      .catch(() => {
        delay = Math.min(delay * 2, 30000);
        window.setTimeout(poll, delay);
      });
  }
  if (part("wait") && !part("wait").hidden) window.setTimeout(poll, delay);
})();

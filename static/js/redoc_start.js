// Starts Redoc (drf-spectacular-sidecar's bundle) on the schema named by the page, with the
// request's CSP nonce: Redoc hands it to styled-components, whose <style> elements carry it.
(() => {
  const container = document.getElementById("redoc-container");
  const meta = document.querySelector('meta[property="csp-nonce"]');
  const nonce = meta ? meta.content : undefined;
  window.Redoc.init(container.dataset.specUrl, { nonce }, container);
})();

// Loaded before Redoc's bundle, on the API reference page alone, to fit it to the strict CSP
// without 'unsafe-inline':
// - <style> elements the bundle creates (its own CSS, injected when it loads, before
//   Redoc.init can hand over the nonce) carry this request's nonce, as styled-components'
//   do through Redoc's `nonce` option (redoc_start.js);
// - images from other hosts (Redoc's footer logo on cdn.redoc.ly) are not fetched: an empty
//   data: image makes the component drop the logo, instead of a request the policy refuses.
(() => {
  const meta = document.querySelector('meta[property="csp-nonce"]');
  const nonce = meta ? meta.content : "";
  const setAttribute = Element.prototype.setAttribute;
  const createElement = Document.prototype.createElement;
  Document.prototype.createElement = function (name, options) {
    const element = createElement.call(this, name, options);
    if (nonce && String(name).toLowerCase() === "style") setAttribute.call(element, "nonce", nonce);
    return element;
  };
  const elsewhere = (value) => {
    try {
      const url = new URL(String(value), location.href);
      return /^https?:$/.test(url.protocol) && url.origin !== location.origin;
    } catch {
      return false;
    }
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get() {
      return src.get.call(this);
    },
    set(value) {
      src.set.call(this, elsewhere(value) ? "data:," : value);
    },
  });
  Element.prototype.setAttribute = function (name, value) {
    const away = this instanceof HTMLImageElement && String(name).toLowerCase() === "src";
    return setAttribute.call(this, name, away && elsewhere(value) ? "data:," : value);
  };
})();

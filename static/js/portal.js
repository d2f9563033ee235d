// The one place the portal's scripts put HTML into a page: fragments the server rendered (the
// tree's children, possible duplicates), in which Django's templates escaped every user text.
// They are parsed into an inert document (nothing in it runs or loads) and moved in as nodes.
// Scripts never build HTML from text themselves: they create elements and set textContent.
window.portalInsertFragment = function (container, html) {
  const parsed = new DOMParser().parseFromString(html, "text/html");
  container.replaceChildren(...parsed.body.childNodes);
};

// Small behaviours of the base layout: on a phone the section nav scrolls sideways, so the
// current section is brought into view; the user menu and the phone's "More" sheet close on an
// outside click or Escape.
(function () {
  const nav = document.querySelector(".mainnav");
  const current = nav && nav.querySelector("a.active");
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }
})();
(function () {
  const menus = document.querySelectorAll("details.usermenu, details.tab-more");
  if (!menus.length) return;
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.forEach((menu) => {
      if (menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  });
})();
// A key shown once (my account page) is selected whole when the field gets focus.
document.querySelectorAll("[data-select-on-focus]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
// Filters that apply on change, and print buttons (no inline handlers: the CSP forbids them).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});
document.querySelectorAll("[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
// A file input dressed as a button names the chosen file on the button.
document.querySelectorAll("input[type=file][data-shows-name]").forEach((input) => {
  input.addEventListener("change", () => {
    const label = document.getElementById(input.dataset.showsName);
    if (label && input.files.length) label.textContent = input.files[0].name;
  });
});

// The installable portal: the service worker (served at the site root, see
// governance.views.service_worker) keeps the shell for a weak connection.
(function () {
  const url = document.body.dataset.serviceWorker;
  if (!url || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(url, { scope: "/" }).catch(() => {
    // Not over HTTPS (nor localhost), or blocked: the portal works without it.
  });
})();

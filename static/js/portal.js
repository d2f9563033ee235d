// Small behaviours of the base layout: on a phone the section nav scrolls sideways, so the
// current section is brought into view; the user menu closes on an outside click or Escape.
(function () {
  const nav = document.querySelector(".mainnav");
  const current = nav && nav.querySelector("a.active");
  if (current && nav.scrollWidth > nav.clientWidth) {
    nav.scrollLeft = current.offsetLeft - (nav.clientWidth - current.offsetWidth) / 2;
  }
})();
(function () {
  const menus = document.querySelectorAll("details.usermenu");
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

// Small behaviours of the base layout: the user menu closes on an outside click or Escape.
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

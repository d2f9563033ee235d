// The case list: the filter panel starts open on a wide screen, folded on a phone (where it
// would push the cases below the fold) unless filters are in use.
(function () {
  const panel = document.querySelector("[data-filter-panel]");
  if (panel && window.matchMedia("(min-width: 700px)").matches) panel.open = true;
})();

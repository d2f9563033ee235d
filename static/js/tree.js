// Lazy expansion of the area tree: children are fetched once, on first expand.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-children-url]");
  if (!button) return;
  const node = button.closest(".tree-node");
  const list = node.querySelector(":scope > .tree-children");
  const expanded = button.getAttribute("aria-expanded") === "true";
  if (!expanded && !list.dataset.loaded) {
    button.disabled = true;
    try {
      const response = await fetch(button.dataset.childrenUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(response.statusText);
      list.innerHTML = await response.text();
      list.dataset.loaded = "1";
    } catch (error) {
      list.innerHTML = `<li class="error">${button.dataset.errorText || "⚠"}</li>`;
    } finally {
      button.disabled = false;
    }
  }
  list.hidden = expanded;
  button.setAttribute("aria-expanded", String(!expanded));
  button.textContent = expanded ? "▸" : "▾";
});

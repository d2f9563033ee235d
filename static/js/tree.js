// Lazy expansion of the area tree: the children of a node are fetched once, on first expand.
// Texts (loading, error, retry) come translated from data attributes of the [data-tree] list.
(function () {
  const tree = document.querySelector("[data-tree]");
  if (!tree) return;
  const text = (name) => tree.dataset[name] || "";

  function message(list, className, body) {
    const item = document.createElement("li");
    item.className = className;
    item.textContent = body;
    list.replaceChildren(item);
    return item;
  }

  async function load(button, list) {
    button.disabled = true;
    list.setAttribute("aria-busy", "true");
    message(list, "tree-loading", text("loadingText"));
    try {
      const response = await fetch(button.dataset.childrenUrl, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok) throw new Error(String(response.status));
      window.portalInsertFragment(list, await response.text());
      list.dataset.loaded = "1";
      return true;
    } catch (error) {
      const item = message(list, "tree-error", text("errorText") + " ");
      item.setAttribute("role", "alert");
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "btn btn-small";
      retry.textContent = text("retryText");
      retry.addEventListener("click", () => {
        button.setAttribute("aria-expanded", "false");
        button.click();
      });
      item.append(retry);
      return false;
    } finally {
      button.disabled = false;
      list.removeAttribute("aria-busy");
    }
  }

  tree.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-children-url]");
    if (!button) return;
    const list = button.closest(".tree-node").querySelector(":scope > .tree-children");
    const expanded = button.getAttribute("aria-expanded") === "true";
    if (expanded) {
      list.hidden = true;
      button.setAttribute("aria-expanded", "false");
      return;
    }
    button.setAttribute("aria-expanded", "true");
    list.hidden = false;
    if (!list.dataset.loaded) await load(button, list);
  });
})();

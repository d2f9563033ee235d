// Photo inputs of the case pages: previews of the chosen photos, and a file that is not an
// image or is too large named before it is uploaded (the server checks again with Pillow).
(function () {
  const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  document.querySelectorAll("[data-previews-for]").forEach((previews) => {
    const input = document.getElementById(previews.dataset.previewsFor);
    if (!input) return;
    const maxBytes = Number(previews.dataset.maxBytes);
    input.addEventListener("change", () => {
      previews.replaceChildren();
      const problems = [];
      Array.from(input.files).forEach((file) => {
        if (!file.type.startsWith("image/")) {
          problems.push(fill(previews.dataset.msgNotImage, { name: file.name }));
          return;
        }
        if (file.size > maxBytes) {
          problems.push(fill(previews.dataset.msgTooBig, { name: file.name, mb: Math.round(maxBytes / 1048576) }));
          return;
        }
        const img = document.createElement("img");
        img.alt = file.name;
        img.src = URL.createObjectURL(file);
        img.onload = () => URL.revokeObjectURL(img.src);
        previews.append(img);
      });
      input.setCustomValidity(problems.join(" "));
      if (problems.length) {
        const note = document.createElement("div");
        note.className = "error";
        note.setAttribute("role", "alert");
        note.textContent = problems.join(" ");
        previews.append(note);
      }
    });
    input.form.addEventListener("submit", (event) => {
      if (input.validationMessage) {
        event.preventDefault();
        input.closest(".field").scrollIntoView({ behavior: "smooth", block: "center" });
      }
    });
  });
})();

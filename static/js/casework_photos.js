// Photo inputs of the case pages: previews of the chosen photos, and a file that is not an
// image or is too large named before it is uploaded (the server checks again with Pillow).
// Where the previews carry data-draft-url (the filing form), each photo is uploaded the moment
// it is chosen and the form names it by id, so a form the server refuses keeps its photos; a
// photo that cannot be uploaded now (no signal) stays in the file input and goes with the form.
(function () {
  const fill = (text, values) => (text || "").replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  const pending = new Set();
  window.portalPhotoUploads = () => Promise.all(Array.from(pending));
  window.portalPhotoUploads.pending = () => pending.size > 0;

  function problemOf(previews, file, maxBytes) {
    if (!file.type.startsWith("image/")) return fill(previews.dataset.msgNotImage, { name: file.name });
    if (file.size > maxBytes) {
      return fill(previews.dataset.msgTooBig, { name: file.name, mb: Math.round(maxBytes / 1048576) });
    }
    return "";
  }

  function note(previews, text, className) {
    const div = document.createElement("div");
    div.className = className;
    if (className === "error") div.setAttribute("role", "alert");
    div.textContent = text;
    previews.append(div);
  }

  function removable(previews, figure) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "photo-remove";
    button.dataset.draftRemove = "";
    button.setAttribute("aria-label", previews.dataset.msgRemove || "×");
    button.textContent = "×";
    figure.append(button);
  }

  async function upload(previews, input, file) {
    const figure = document.createElement("figure");
    figure.className = "photo-draft is-uploading";
    const img = document.createElement("img");
    img.alt = file.name;
    img.src = URL.createObjectURL(file);
    figure.append(img);
    previews.append(figure);
    const body = new FormData();
    body.append("photo", file);
    body.append("csrfmiddlewaretoken", input.form.querySelector("[name=csrfmiddlewaretoken]").value);
    let response;
    try {
      response = await fetch(previews.dataset.draftUrl, { method: "POST", body, credentials: "same-origin" });
    } catch (error) {
      figure.remove();
      return { file, later: true };
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || !answer.id) {
      figure.remove();
      if (response.status >= 500 || !answer.error) return { file, later: true };
      return { problem: answer.error };
    }
    const hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = previews.dataset.draftName;
    hidden.value = answer.id;
    figure.append(hidden);
    figure.classList.remove("is-uploading");
    removable(previews, figure);
    return {};
  }

  document.querySelectorAll("[data-previews-for]").forEach((previews) => {
    const input = document.getElementById(previews.dataset.previewsFor);
    if (!input) return;
    const maxBytes = Number(previews.dataset.maxBytes);
    const drafts = Boolean(previews.dataset.draftUrl);
    previews.addEventListener("click", (event) => {
      const button = event.target.closest("[data-draft-remove]");
      if (button) button.closest("figure").remove();
    });
    input.addEventListener("change", () => {
      previews.querySelectorAll(":scope > .error, :scope > .photo-note").forEach((el) => el.remove());
      if (!drafts) previews.replaceChildren();
      const problems = [];
      const good = [];
      Array.from(input.files).forEach((file) => {
        const problem = problemOf(previews, file, maxBytes);
        if (problem) problems.push(problem);
        else good.push(file);
      });
      if (!drafts) {
        good.forEach((file) => {
          const img = document.createElement("img");
          img.alt = file.name;
          img.src = URL.createObjectURL(file);
          img.onload = () => URL.revokeObjectURL(img.src);
          previews.append(img);
        });
        input.setCustomValidity(problems.join(" "));
        if (problems.length) note(previews, problems.join(" "), "error");
        return;
      }
      // The chosen files leave the input as they are uploaded; what cannot go now comes back.
      input.value = "";
      input.setCustomValidity("");
      const job = Promise.all(good.map((file) => upload(previews, input, file))).then((results) => {
        const later = results.filter((r) => r.later).map((r) => r.file);
        results.filter((r) => r.problem).forEach((r) => problems.push(r.problem));
        if (later.length) {
          const keep = new DataTransfer();
          later.forEach((file) => keep.items.add(file));
          input.files = keep.files;
          later.forEach((file) => note(previews, fill(previews.dataset.msgUploadLater, { name: file.name }), "photo-note"));
        }
        if (problems.length) note(previews, problems.join(" "), "error");
      });
      pending.add(job);
      job.finally(() => pending.delete(job));
    });
    input.form.addEventListener("submit", (event) => {
      if (input.validationMessage) {
        event.preventDefault();
        input.closest(".field").scrollIntoView({ behavior: "smooth", block: "center" });
      }
    });
  });
})();

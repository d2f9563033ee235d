// The residents' page (随手拍) on a phone: the chosen category's questions, the position from the
// browser or a point picked on the map (point_picker.js), a building picked by name, and the
// verification code asked for without leaving the page (photo previews are casework_photos.js).
// Without JavaScript every part still works by posting the form. Text from the server or from
// other people goes into the page as text nodes only.
(function () {
  const form = document.getElementById("resident-form");
  if (!form) return;
  const data = JSON.parse(document.getElementById("resident-map-data").textContent);
  const msg = (name, values) =>
    (form.dataset[name] || "").replace(/%\((\w+)\)s/g, (_, key) => (values || {})[key] ?? "");

  // -- the chosen category's questions ---------------------------------------------------------
  const category = form.querySelector("select[name=category]");
  const questionSets = Array.from(form.querySelectorAll("[data-questions-for]"));
  function showQuestions() {
    questionSets.forEach((set) => {
      set.hidden = set.dataset.questionsFor !== category.value;
    });
  }
  category.addEventListener("change", showQuestions);
  showQuestions();

  // -- position (point_picker.js) --------------------------------------------------------------
  const { status } = window.PointPicker(form, data, { color: "#b5302a" });

  // -- building by name or code -----------------------------------------------------------------
  const building = form.querySelector("input[name=building]");
  const buildingCode = form.querySelector("input[name=building_code]");
  const hits = form.querySelector("[data-building-hits]");
  let searchTimer = null;
  let searchTicket = 0;
  building.addEventListener("input", () => {
    buildingCode.value = "";
    clearTimeout(searchTimer);
    const text = building.value.trim();
    if (!text) {
      hits.hidden = true;
      hits.replaceChildren();
      return;
    }
    searchTimer = setTimeout(async () => {
      const ticket = ++searchTicket;
      try {
        const response = await fetch(`${data.buildingsUrl}?${new URLSearchParams({ q: text })}`, {
          headers: { Accept: "application/json" },
        });
        if (!response.ok || ticket !== searchTicket) return;
        const found = (await response.json()).buildings;
        hits.replaceChildren();
        found.forEach((item) => {
          const button = document.createElement("button");
          button.type = "button";
          const name = document.createElement("span");
          name.textContent = item.name;
          const community = document.createElement("small");
          community.textContent = item.community;
          button.append(name, community);
          button.addEventListener("click", () => {
            building.value = item.name;
            buildingCode.value = item.code;
            hits.hidden = true;
            status.textContent = `${msg("msgChosen")} ${item.name}`;
          });
          hits.append(button);
        });
        if (!found.length) {
          const none = document.createElement("p");
          none.className = "muted small";
          none.textContent = msg("msgNoBuilding");
          hits.append(none);
        }
        hits.hidden = false;
      } catch (error) {
        // Offline: the name typed is matched when the form is sent.
      }
    }, 250);
  });

  // -- contact: anonymous, or a phone number with its code --------------------------------------
  const anonymous = form.querySelector("[data-anonymous]");
  const contact = form.querySelector("[data-contact-fields]");
  anonymous.addEventListener("change", () => {
    contact.hidden = anonymous.checked;
  });
  const sendButton = form.querySelector("[data-send-code]");
  const codeStatus = form.querySelector("[data-code-status]");
  const phone = form.querySelector("input[name=phone]");
  let waitTimer = null;
  function waitBeforeAgain(seconds) {
    sendButton.disabled = true;
    const label = sendButton.textContent;
    let left = seconds;
    sendButton.textContent = msg("msgWait", { s: left });
    waitTimer = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(waitTimer);
        sendButton.disabled = false;
        sendButton.textContent = label;
      } else {
        sendButton.textContent = msg("msgWait", { s: left });
      }
    }, 1000);
  }
  sendButton.addEventListener("click", async (event) => {
    event.preventDefault();
    const body = new FormData();
    body.append("phone", phone.value);
    codeStatus.classList.remove("is-error");
    try {
      const response = await fetch(data.codeUrl, {
        method: "POST",
        body,
        headers: {
          "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]").value,
          Accept: "application/json",
        },
        credentials: "same-origin",
      });
      const answer = await response.json();
      codeStatus.textContent = answer.message || answer.error || "";
      if (response.ok) {
        waitBeforeAgain(60);
        form.querySelector("input[name=code]").focus();
      } else {
        codeStatus.classList.add("is-error");
      }
    } catch (error) {
      codeStatus.textContent = msg("msgSendFailed");
      codeStatus.classList.add("is-error");
    }
  });
})();

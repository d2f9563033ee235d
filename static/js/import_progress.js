// The page of a background import: polls the job's progress (JSON) until it has finished and
// writes everything as text nodes (file names, messages and columns come from the user's file).
(() => {
  const card = document.querySelector("[data-import-job]");
  if (!card) return;
  const state = card.querySelector("[data-job-state]");
  const rows = card.querySelector("[data-job-rows]");
  const bar = card.querySelector("[data-job-bar]");
  const summary = card.querySelector("[data-job-summary]");
  const wrap = card.querySelector("[data-job-problems-wrap]");
  const body = card.querySelector("[data-job-problems]");
  const every = Number(card.dataset.every || 2) * 1000;

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));

  function cell(label, text) {
    const td = document.createElement("td");
    td.dataset.label = label;
    td.textContent = text;
    return td;
  }

  function showProblems(problems) {
    body.replaceChildren(
      ...problems.map((p) => {
        const tr = document.createElement("tr");
        tr.append(
          cell(body.dataset.labelRow, String(p.row)),
          cell(body.dataset.labelColumn, p.column || "—"),
          cell(body.dataset.labelProblem, p.message),
        );
        return tr;
      }),
    );
    wrap.hidden = problems.length === 0;
  }

  function apply(data) {
    state.textContent = data.state_label;
    rows.textContent = fill(card.dataset.msgRows, data);
    bar.max = Math.max(data.total, 1);
    bar.value = data.done;
    if (data.state === "done") summary.textContent = fill(card.dataset.msgDone, data);
    if (data.state === "failed") {
      summary.textContent = fill(card.dataset.msgFailed, { count: data.problem_count });
      showProblems(data.problems);
    }
  }

  async function poll() {
    let finished = false;
    try {
      const response = await fetch(card.dataset.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        apply(data);
        finished = data.finished;
      }
    } catch (error) {
      // The next poll tries again; the page keeps the last figures it had.
    }
    if (finished) card.dataset.finished = "1";
    else setTimeout(poll, every);
  }

  if (card.dataset.finished !== "1") poll();
})();

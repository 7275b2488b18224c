// Work queue: keyboard navigation (j/k, Enter, a/o/r/s/x, /), the projected-inventory chart, bulk selection.
// Everything also works without this file: rows link to the detail page and every action is a plain form.
(function () {
  "use strict";

  if (window.htmx) {
    // 409 (stale: the fresh row), 403 (refused: the row and a message) and 422 (field errors) carry HTML to show.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(400|403|409|422)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
      { code: "...", swap: false },
    ];
  }

  // A decision form in the detail panel sends the row's current rank (data-rank-row names the row), so the answer
  // can render the row in place. An event listener, not hx-vals="js:...": the CSP allows no eval.
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt.closest("[data-rank-row]");
    if (!form) return;
    const cell = document.querySelector(`#row-${form.dataset.rankRow} td.rank`);
    event.detail.parameters.rank = cell ? cell.textContent : "";
  });

  const rows = () => Array.from(document.querySelectorAll("#queue-table tr.qrow"));
  const current = () => document.querySelector("#queue-table tr.qrow.current");
  let openTimer = null;

  function select(row, { open = true } = {}) {
    if (!row) return;
    rows().forEach((r) => r.classList.remove("current"));
    row.classList.add("current");
    row.scrollIntoView({ block: "nearest" });
    if (open) {
      clearTimeout(openTimer);
      openTimer = setTimeout(() => openDetail(row), 120);
    }
  }

  function openDetail(row) {
    if (!row || !window.htmx) return;
    const panel = document.getElementById("detail-panel");
    if (panel && panel.dataset.id === row.dataset.id) return Promise.resolve();
    return htmx.ajax("GET", row.dataset.detail, { target: "#detail-panel", swap: "outerHTML" });
  }

  function move(step) {
    const list = rows();
    if (!list.length) return;
    const index = list.indexOf(current());
    const next = list[Math.min(Math.max(index + step, 0), list.length - 1)] || list[0];
    select(next);
  }

  function afterDetail(callback) {
    const row = current();
    if (!row) return;
    const panel = document.getElementById("detail-panel");
    if (panel && panel.dataset.id === row.dataset.id) { callback(); return; }
    const p = openDetail(row);
    if (p && p.then) p.then(callback);
  }

  function openForm(detailsId, focusId) {
    afterDetail(() => {
      const details = document.getElementById(detailsId);
      if (!details) return;
      details.open = true;
      const field = document.getElementById(focusId);
      if (field) field.focus();
    });
  }

  document.addEventListener("keydown", (event) => {
    const tag = (event.target.tagName || "").toLowerCase();
    if (["input", "select", "textarea"].includes(tag) || event.metaKey || event.ctrlKey || event.altKey) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "Escape" && closeDetail()) { event.preventDefault(); return; }
    if (!document.getElementById("queue-table")) return;
    const row = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter": if (row) openDetail(row); break;
      case "a": {
        const button = row && row.querySelector("form.approve-form button");
        if (button) button.click();
        break;
      }
      case "o": openForm("override-details", "override-quantity"); break;
      case "r": openForm("reject-details", "reject-reason"); break;
      case "s": afterDetail(() => { const f = document.getElementById("snooze-until"); if (f) f.focus(); }); break;
      case "x": {
        const box = row && row.querySelector("td.sel input[type=checkbox]");
        if (box) box.checked = !box.checked;
        break;
      }
      case "/": { const q = document.getElementById("f-q"); if (q) { q.focus(); q.select(); } break; }
      default: return;
    }
    event.preventDefault();
  });

  // Esc or the x closes the drawer (without JS the x is a link back to the queue).
  function closeDetail() {
    const panel = document.getElementById("detail-panel");
    if (!panel || !panel.classList.contains("open") || !document.getElementById("queue-table")) return false;
    panel.classList.remove("open");
    panel.dataset.id = "";
    return true;
  }

  // The filter bar sits outside the swapped grid: after a tab or a sort header swaps the grid, its hidden queue and
  // ordering follow, so the next filter change keeps them.
  function syncFilterForm() {
    const table = document.getElementById("queue-table");
    const form = document.getElementById("queue-filters");
    if (!table || !form) return;
    ["queue", "ordering"].forEach((name) => {
      const input = form.querySelector(`input[type=hidden][name=${name}]`);
      if (input && table.dataset[name] !== undefined) input.value = table.dataset[name];
    });
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest("#detail-close") && closeDetail()) { event.preventDefault(); return; }
    if (event.target.id === "bulk-cancel") {
      event.preventDefault();
      const report = document.getElementById("bulk-report");
      if (report) report.replaceChildren();
      return;
    }
    const row = event.target.closest && event.target.closest("#queue-table tr.qrow");
    if (row && !event.target.closest("a, button, input, form")) select(row);
    if (row && event.target.closest("td.sku a")) select(row, { open: false });
    if (event.target.id === "select-all") {
      rows().forEach((r) => { const b = r.querySelector("td.sel input[type=checkbox]"); if (b) b.checked = event.target.checked; });
    }
  });

  // --- the projected-inventory chart --------------------------------------------------------------------------
  let chart = null;
  function drawChart() {
    const data = document.getElementById("projection-data");
    const canvas = document.getElementById("projection-chart");
    if (chart) { chart.destroy(); chart = null; }
    if (!data || !canvas || !window.Chart) return;
    const d = JSON.parse(data.textContent);
    const stockoutIndex = d.stockout ? d.labels.indexOf(d.stockout) : -1;
    chart = new Chart(canvas, {
      data: {
        labels: d.labels.map((s) => s.slice(5)),
        datasets: [
          { type: "line", label: "80% band", data: d.upper, borderWidth: 0, pointRadius: 0, fill: "+1", backgroundColor: "rgba(31,95,191,.10)" },
          { type: "line", label: "", data: d.lower, borderWidth: 0, pointRadius: 0, fill: false },
          { type: "line", label: "Projected", data: d.projected, borderColor: "#1f5fbf", borderWidth: 2, pointRadius: 0, tension: 0 },
          { type: "line", label: "Reorder point", data: d.labels.map(() => d.reorder_point), borderColor: "#a36200", borderDash: [5, 4], borderWidth: 1, pointRadius: 0 },
          { type: "bar", label: "Inbound", data: d.inbound, backgroundColor: "rgba(27,127,59,.55)", barPercentage: 1.0 },
          { type: "line", label: "Stockout", data: d.labels.map((_, i) => (i === stockoutIndex ? d.projected[i] : null)), pointRadius: 5, pointBackgroundColor: "#b3261e", showLine: false },
        ],
      },
      options: {
        animation: false, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { boxWidth: 10, font: { size: 10 }, filter: (item) => item.text !== "" } } },
        scales: { x: { ticks: { maxTicksLimit: 8, font: { size: 10 } } }, y: { ticks: { font: { size: 10 } } } },
      },
    });
  }

  function syncNavCount() {
    const tabs = document.getElementById("queue-tabs");
    const badge = document.querySelector('[data-count="queue"]');
    if (tabs && badge && tabs.dataset.openCount !== undefined) badge.textContent = tabs.dataset.openCount;
  }

  function markPanel() {
    const panel = document.getElementById("detail-panel");
    if (panel) {
      if (panel.dataset.id) {
        const row = document.getElementById("row-" + panel.dataset.id);
        if (row && !row.classList.contains("current")) { rows().forEach((r) => r.classList.remove("current")); row.classList.add("current"); }
      }
    }
    const until = document.getElementById("snooze-until");
    if (until && !until.value) {
      const d = new Date(); d.setDate(d.getDate() + 7);
      until.value = d.toISOString().slice(0, 10);
    }
  }

  document.addEventListener("htmx:afterSettle", () => { drawChart(); markPanel(); syncNavCount(); syncFilterForm(); });
  // What is left after the answers above carry their own words: a server failure or no answer at all.
  function failureWords(status) {
    if (status >= 500) return "The server failed on this request (it is logged for the administrator). Nothing was changed; try again in a moment.";
    if (status === 404) return "This row is no longer in your queues (it was closed or reassigned). Reload the page.";
    if (status === 0) return "No answer from the server: check the connection and try again.";
    return `The request was refused (HTTP ${status}). Reload the page and try again.`;
  }
  document.addEventListener("htmx:responseError", (event) => {
    const flash = document.getElementById("flash");
    if (flash) { flash.className = "flash error"; flash.textContent = failureWords(event.detail.xhr.status); }
  });
  document.addEventListener("htmx:sendError", () => {
    const flash = document.getElementById("flash");
    if (flash) { flash.className = "flash error"; flash.textContent = failureWords(0); }
  });
  document.addEventListener("DOMContentLoaded", () => {
    drawChart(); markPanel(); syncNavCount();
    if (!current() && rows().length && !document.querySelector("#detail-panel .dhead")) select(rows()[0], { open: false });
  });
})();

// The SKU-location page's three charts, drawn from the JSON the page carries (no inline script: CSP).
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("sku-location-charts");
  if (!source || !window.Chart) return;
  const data = JSON.parse(source.textContent);
  const base = { animation: false, maintainAspectRatio: false, interaction: { mode: "index", intersect: false } };

  const demandCanvas = document.getElementById("demand-chart");
  if (demandCanvas) {
    const weeks = data.demand.history.map((h) => h.week).concat(data.demand.path.map((p) => p.week));
    const at = (rows, key) => {
      const byWeek = new Map(rows.map((r) => [r.week, r[key]]));
      return weeks.map((w) => (byWeek.has(w) ? byWeek.get(w) : null));
    };
    new Chart(demandCanvas, {
      type: "line",
      data: {
        labels: weeks,
        datasets: [
          { label: "Demand", data: at(data.demand.history, "quantity"), backgroundColor: "#8d99a8", type: "bar", order: 2 },
          { label: "Backtest forecast", data: at(data.demand.fit, "forecast"), borderColor: "#a36200", backgroundColor: "#a36200", pointRadius: 2, borderWidth: 2 },
          { label: "Forecast", data: at(data.demand.path, "forecast"), borderColor: "#1f5fbf", backgroundColor: "#1f5fbf", pointRadius: 2, borderWidth: 2, borderDash: [5, 3] },
        ],
      },
      options: { ...base, scales: { x: { ticks: { maxTicksLimit: 10 } }, y: { beginAtZero: true, title: { display: true, text: "units / week" } } } },
    });
  }

  const leadCanvas = document.getElementById("lead-time-chart");
  if (leadCanvas && data.lead_time.length) {
    new Chart(leadCanvas, {
      type: "bar",
      data: {
        labels: data.lead_time.map((b) => (b.from_days === b.to_days ? `${b.from_days}` : `${b.from_days}-${b.to_days}`)),
        datasets: [{ label: "Receipts", data: data.lead_time.map((b) => b.receipts), backgroundColor: "#1f5fbf" }],
      },
      options: { ...base, plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: "lead time, days" } }, y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }

  const projectionCanvas = document.getElementById("projection-chart");
  if (projectionCanvas && data.projection.days && data.projection.days.length) {
    const days = data.projection.days;
    const flat = (value) => days.map(() => value);
    new Chart(projectionCanvas, {
      type: "line",
      data: {
        labels: days.map((d) => d.day),
        datasets: [
          { label: "Projected available", data: days.map((d) => d.projected), borderColor: "#1b2430", backgroundColor: "#1b2430", pointRadius: 0, borderWidth: 2 },
          { label: "Inbound", type: "bar", data: days.map((d) => d.inbound || null), backgroundColor: "#1b7f3b" },
          { label: "Reorder point s", data: flat(data.projection.reorder_point), borderColor: "#a36200", borderDash: [6, 4], pointRadius: 0, borderWidth: 1 },
          { label: "Order-up-to S", data: flat(data.projection.order_up_to), borderColor: "#5b6675", borderDash: [2, 3], pointRadius: 0, borderWidth: 1 },
        ],
      },
      options: { ...base, scales: { x: { ticks: { maxTicksLimit: 12 } }, y: { title: { display: true, text: "units" } } } },
    });
  }
});

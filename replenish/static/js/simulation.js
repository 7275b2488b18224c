// The policy simulator's fill-rate / inventory trade-off chart (Chart.js) from the page's JSON data.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Chart || !document.getElementById("tradeoff-chart")) return;
  const data = JSON.parse(document.getElementById("tradeoff-data").textContent);
  const xs = data.datasets.flatMap((d) => d.points.map((p) => p.x)).concat(data.frontier.map((p) => p.x)).filter((x) => x > 0);
  const logScale = xs.length && Math.max(...xs) / Math.max(Math.min(...xs), 1e-9) > 20;
  new Chart(document.getElementById("tradeoff-chart"), {
    type: "scatter",
    data: { datasets: data.datasets.map((d) => ({
      label: d.label, data: d.points, backgroundColor: d.color, borderColor: d.color,
      pointRadius: d.points.map((p) => (p.label === "All" ? 7 : 4)) })).concat(data.frontier.length ? [{
      label: "Static min-max, min scaled", data: data.frontier, showLine: true, borderDash: [6, 4],
      borderColor: "#8a5a00", backgroundColor: "#8a5a00", pointRadius: 2, borderWidth: 1 }] : []) },
    options: {
      animation: false, maintainAspectRatio: false,
      scales: {
        x: { type: logScale ? "logarithmic" : "linear", title: { display: true, text: data.axis },
             ticks: { callback: (v) => Number(v).toLocaleString() } },
        y: { title: { display: true, text: "Unit fill rate" }, ticks: { callback: (v) => `${(100 * v).toFixed(1)}%` } },
      },
      plugins: { tooltip: { callbacks: { label: (ctx) =>
        `${ctx.dataset.label} · ${ctx.raw.label}: fill ${(100 * ctx.raw.y).toFixed(1)}%, inventory ${Math.round(ctx.raw.x).toLocaleString()} ${data.unit}` } } },
    },
  });
});

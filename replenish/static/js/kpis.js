// KPI trend charts (Chart.js) from the page's JSON data (json_script); a static file, as the CSP allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Chart) return;
  const data = JSON.parse(document.getElementById("kpi-data").textContent);
  const labels = JSON.parse(document.getElementById("kpi-labels").textContent);
  const palette = ["#1f5fbf", "#b3261e", "#1b7f3b", "#a36200", "#6b3fa0", "#00838f", "#5b6675", "#c2185b"];
  document.querySelectorAll("canvas.kpi-chart").forEach((canvas) => {
    const series = data[canvas.dataset.kpi] || {};
    const names = Object.keys(series).sort((a, b) => (a === "all" ? -1 : b === "all" ? 1 : a.localeCompare(b)));
    if (!names.length) return;
    new Chart(canvas, {
      type: "line",
      data: { datasets: names.map((name, i) => ({
        label: name, data: series[name].map(([x, y]) => ({ x, y })), borderColor: palette[i % palette.length],
        borderWidth: name === "all" ? 2 : 1, pointRadius: 1, spanGaps: true, tension: 0.2 })) },
      options: { animation: false, parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: { x: { type: "category", ticks: { maxTicksLimit: 6 } }, y: { title: { display: true, text: labels[canvas.dataset.kpi].unit } } },
        plugins: { legend: { display: names.length > 1, labels: { boxWidth: 8, font: { size: 10 } } } } },
    });
  });
});

// Labor capacity against planned work by hour (Chart.js) from the page's JSON (json_script): a static file, as the
// CSP allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("labor-data");
  const canvas = document.getElementById("labor-chart");
  if (!window.Chart || !source || !canvas) return;
  const data = JSON.parse(source.textContent);
  new Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "bar", label: "Planned work (h)", data: data.planned, backgroundColor: "#1f5fbf" },
        { type: "line", label: "Labor capacity (h)", data: data.capacity, borderColor: "#b3261e", pointRadius: 0, stepped: true },
      ],
    },
    options: { animation: false, maintainAspectRatio: false,
      scales: { x: { ticks: { maxTicksLimit: 16 } }, y: { beginAtZero: true, title: { display: true, text: "labor hours" } } },
      plugins: { legend: { labels: { boxWidth: 10 } } } },
  });
});

// The usage page's chart: daily consults and valid consults, read from a JSON data block
// (no inline script: the Content-Security-Policy allows scripts from this site only).
(function () {
  "use strict";
  var source = document.getElementById("usage-chart-data");
  var canvas = document.getElementById("usage-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.consults_label, data: data.consults, backgroundColor: "rgba(13, 110, 253, 0.35)",
          borderColor: "rgba(13, 110, 253, 0.9)", borderWidth: 1 },
        { label: data.valid_label, data: data.valid, type: "line", borderColor: "rgba(25, 135, 84, 1)",
          backgroundColor: "rgba(25, 135, 84, 0.2)", pointRadius: 2, tension: 0.2 }
      ]
    },
    options: {
      responsive: true,
      aspectRatio: 3.5,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();

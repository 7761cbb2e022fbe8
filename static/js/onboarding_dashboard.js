// The onboarding dashboard's charts. Data comes from the JSON block the page renders
// (<script type="application/json" id="dashboard-data">); every bar links to the list behind it.
(function () {
  "use strict";
  const block = document.getElementById("dashboard-data");
  if (!block || typeof window.Chart === "undefined") {
    return;
  }
  const data = JSON.parse(block.textContent);

  function linkTo(urlsByDataset) {
    return function (event, elements) {
      if (!elements.length) {
        return;
      }
      const el = elements[0];
      const urls = urlsByDataset[el.datasetIndex];
      if (urls && urls[el.index]) {
        window.location.href = urls[el.index];
      }
    };
  }

  function pointer(event, elements) {
    event.native.target.style.cursor = elements.length ? "pointer" : "default";
  }

  const funnelCanvas = document.getElementById("funnel-chart");
  if (funnelCanvas) {
    new window.Chart(funnelCanvas, {
      type: "bar",
      data: {
        labels: data.funnel.labels,
        datasets: [{
          label: data.funnel.label,
          data: data.funnel.counts,
          backgroundColor: ["#6c757d", "#ffc107", "#0dcaf0", "#198754"],
        }],
      },
      options: {
        animation: false,
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        onClick: linkTo([data.funnel.urls]),
        onHover: pointer,
      },
    });
  }

  const weeksCanvas = document.getElementById("weeks-chart");
  if (weeksCanvas) {
    new window.Chart(weeksCanvas, {
      type: "bar",
      data: {
        labels: data.weeks.labels,
        datasets: [
          { label: data.weeks.actual_label, data: data.weeks.actual, backgroundColor: "#198754" },
          { label: data.weeks.planned_label, data: data.weeks.planned, backgroundColor: "#9ec5fe" },
        ],
      },
      options: {
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        onClick: linkTo([data.weeks.actual_urls, data.weeks.planned_urls]),
        onHover: pointer,
      },
    });
  }
})();

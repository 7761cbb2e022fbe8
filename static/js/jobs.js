// A job's page: poll /jobs/<id>.json and move the progress bar; reload once the job has finished,
// so the result links and the failed items appear (no inline script: the CSP allows this site's files).
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) {
    return;
  }
  var finished = ["done", "failed", "cancelled"];
  var bar = document.getElementById("job-bar");
  // The width is set here: the Content-Security-Policy refuses inline style attributes.
  bar.style.width = (bar.dataset.percent || "0") + "%";
  if (finished.indexOf(box.dataset.status) !== -1) {
    return;
  }
  var wrap = document.getElementById("job-progress");
  var status = document.getElementById("job-status");
  var labels = JSON.parse(status.dataset.labels || "{}");
  function show(job) {
    var percent = job.status === "done" ? 100 : (job.total ? Math.floor((job.done * 100) / job.total) : 0);
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    wrap.setAttribute("aria-valuenow", String(percent));
    document.getElementById("job-done").textContent = job.done;
    document.getElementById("job-total").textContent = job.total;
    document.getElementById("job-message").textContent = job.message || "";
    status.textContent = labels[job.status] || job.status;
  }
  function poll() {
    fetch(box.dataset.jsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        show(job);
        if (finished.indexOf(job.status) !== -1) {
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();

// Ask before destructive actions: forms with data-confirm need a yes first.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
}, true);

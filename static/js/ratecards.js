// Rate-card editor: "添加一行" copies the last row of a table with its inputs emptied and the row
// index renumbered (categories-3-name -> categories-4-name). Without JS the server's empty rows do.
document.querySelectorAll("[data-add-row]").forEach(function (button) {
  const name = button.getAttribute("data-add-row");
  const body = document.getElementById("rows-" + name);
  if (!body) {
    return;
  }
  button.classList.remove("d-none");
  button.addEventListener("click", function () {
    const rows = body.querySelectorAll("tr");
    const last = rows[rows.length - 1];
    const index = rows.length;
    const pattern = new RegExp("^" + name + "-\\d+-");
    const copy = last.cloneNode(true);
    copy.querySelectorAll("input, label").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        const value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.replace(pattern, name + "-" + index + "-"));
        }
      });
      if (el.tagName === "INPUT") {
        if (el.type === "checkbox") {
          el.checked = false;
        } else {
          el.value = "";
        }
        el.classList.remove("is-invalid");
      }
    });
    copy.querySelectorAll(".invalid-feedback").forEach(function (el) {
      el.remove();
    });
    const number = copy.querySelector("td.text-muted.small");
    if (number) {
      number.textContent = String(index + 1);
    }
    body.appendChild(copy);
  });
});

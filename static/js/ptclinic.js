// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", function (event) {
  const status = event.detail.xhr.status;
  const box = document.getElementById("htmx-error");
  if (box) {
    box.textContent = status === 403 ? "You do not have access to that." :
      "Something went wrong (" + status + "). Your input is kept; try again.";
    box.classList.remove("d-none");
  }
});

// "Select all" in a table header ticks every enabled checkbox of the form it names.
document.addEventListener("change", function (event) {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  const form = all.getAttribute("form") || all.dataset.selectAll;
  document.querySelectorAll('input[name="claim"][form="' + form + '"]:not(:disabled)')
    .forEach(function (box) { box.checked = all.checked; });
});

// A service row's remove button: drop the row (and its error line) and recalculate.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-remove-row]");
  if (!button) return;
  const row = button.closest("tr");
  const form = button.closest("form");
  const errors = row.nextElementSibling;
  if (errors && errors.classList.contains("row-errors")) errors.remove();
  row.remove();
  if (form && window.htmx) window.htmx.trigger(form, "change");
});

// The session page's patient finder refills the patient list: recalculate for the new choice.
document.addEventListener("htmx:afterSwap", function (event) {
  if (event.detail.target.id === "id_patient") {
    event.detail.target.dispatchEvent(new Event("change", { bubbles: true }));
  }
});

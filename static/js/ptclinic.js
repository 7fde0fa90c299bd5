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

// Bulk selection (the review queue). "Select all" in a table header names the form its row
// boxes belong to (their `form` attribute: the table sits in a region htmx swaps). A tick, here
// or on a row, keeps the header box (half-ticked when some are), the form's "N claims selected"
// and its buttons in step. Listening on the document, it holds for a table htmx has swapped in.
function rowBoxes(formId) {
  return Array.from(document.querySelectorAll(
    'input[type="checkbox"][name="claim"][form="' + formId + '"]:not(:disabled)'));
}

function selectionSync(formId) {
  const boxes = rowBoxes(formId);
  const ticked = boxes.filter(function (box) { return box.checked; }).length;
  boxes.forEach(function (box) {
    const row = box.closest("tr");
    if (row) row.classList.toggle("table-active", box.checked);
  });
  document.querySelectorAll('[data-select-all="' + formId + '"]').forEach(function (all) {
    all.disabled = boxes.length === 0;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  });
  const form = document.getElementById(formId);
  if (!form) return;
  const count = form.querySelector("[data-selection-count]");
  const text = ticked === 0 ? "No claims selected" :
    ticked + (ticked === 1 ? " claim selected" : " claims selected");
  if (count && count.textContent !== text) count.textContent = text;
  // aria-disabled, not disabled: the button stays in the Tab order and says what is missing.
  form.querySelectorAll("[data-bulk-action]").forEach(function (button) {
    button.setAttribute("aria-disabled", ticked === 0 ? "true" : "false");
    button.classList.toggle("disabled", ticked === 0);
  });
}

function selectionSyncAll() {
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    selectionSync(all.dataset.selectAll);
  });
}

document.addEventListener("change", function (event) {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || target.type !== "checkbox") return;
  if (target.dataset.selectAll) {
    rowBoxes(target.dataset.selectAll).forEach(function (box) { box.checked = target.checked; });
    selectionSync(target.dataset.selectAll);
  } else if (target.name === "claim" && target.getAttribute("form")) {
    selectionSync(target.getAttribute("form"));
  }
});

// Nothing ticked: the form is not sent (the server would say the same after a page load).
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.querySelector("[data-bulk-action]")) return;
  if (rowBoxes(form.id).some(function (box) { return box.checked; })) return;
  event.preventDefault();
  const count = form.querySelector("[data-selection-count]");
  if (count) count.textContent = form.dataset.nothingSelected || "Select some claims first.";
});

document.addEventListener("DOMContentLoaded", selectionSyncAll);
// After a swap, and after the browser puts back ticks on a page reached with Back.
document.addEventListener("htmx:afterSettle", selectionSyncAll);
window.addEventListener("pageshow", selectionSyncAll);

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

// Enter in a field of a form marked data-enter-recalculates (the session page) never submits it:
// Save claim is an explicit button. Enter asks for the suggestion panel at once instead, as a
// change does. Buttons keep their Enter; textareas keep their new line.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Enter" || event.isComposing) return;
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.form) return;
  if (!input.form.hasAttribute("data-enter-recalculates")) return;
  if (["submit", "button", "reset", "image"].includes(input.type)) return;
  event.preventDefault();
  if (window.htmx) window.htmx.trigger(input.form, "change");
});

// An input that fills its own datalist (diagnosis search) sends its text as `q`, which the
// options view reads whatever the input's own name (dx_1, dx_2, …). No `hx-vals="js:…"`: the
// CSP allows no eval.
document.addEventListener("htmx:configRequest", function (event) {
  const elt = event.detail.elt;
  if (elt instanceof HTMLInputElement && elt.list && event.detail.target === elt.list) {
    event.detail.parameters.q = elt.value;
  }
});

// The panel's <details> stay as the therapist left them across refreshes. What they opened or
// closed themselves is remembered, by data-details-key (or by the element when it has none);
// one they never touched follows the server, which opens a line's details to show its error.
// A morphed region (hx-swap="morph:…", idiomorph) keeps such a details as it is, and keeps the
// focused input's text as typed (a response can arrive while they type on); after any other
// swap the remembered state is put back.
const detailsByKey = new Map();
const detailsByElement = new WeakMap();
const clickedDetails = new WeakSet();

function userOpened(details) {
  const key = details.dataset.detailsKey;
  return key ? detailsByKey.get(key) : detailsByElement.get(details);
}

document.addEventListener("click", function (event) {
  const summary = event.target.closest("summary");
  if (summary && summary.parentElement.localName === "details") {
    clickedDetails.add(summary.parentElement);
  }
});
// "toggle" does not bubble; it also follows a change made by script, hence the click above.
document.addEventListener("toggle", function (event) {
  const details = event.target;
  if (details.localName !== "details" || !clickedDetails.has(details)) return;
  clickedDetails.delete(details);
  if (details.dataset.detailsKey) detailsByKey.set(details.dataset.detailsKey, details.open);
  else detailsByElement.set(details, details.open);
}, true);

document.addEventListener("htmx:afterSwap", function () {
  document.querySelectorAll("details[data-details-key]").forEach(function (details) {
    const open = userOpened(details);
    if (open !== undefined && details.open !== open) details.open = open;
  });
});

// The field being typed in keeps its text. Only a field: idiomorph's own ignoreActiveValue
// would also freeze a focused button (its value and its label), so that the tie button just
// clicked would still offer the code the therapist has just picked.
function isBeingTyped(element) {
  if (element !== document.activeElement) return false;
  if (element.localName === "textarea") return true;
  return element.localName === "input" &&
    !["submit", "button", "reset", "image", "checkbox", "radio"].includes(element.type);
}

// The extension is deferred: configure it once it has run.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.Idiomorph) return;
  window.Idiomorph.defaults.callbacks.beforeAttributeUpdated = function (name, element) {
    if (name === "value" && isBeingTyped(element)) return false;
    return !(name === "open" && element.localName === "details" &&
             userOpened(element) !== undefined);
  };
});

// The Django admin's widgets that come without an accessible name, named here (axe-core checks
// them in tests/e2e/test_accessibility.py; WCAG 4.1.2). Loaded by templates/admin/base_site.html.
"use strict";
(function () {
  // A tabular inline's cells have no <label>: each field takes its column's heading.
  function nameInlineCells(root) {
    root.querySelectorAll(".tabular table").forEach(function (table) {
      var headings = table.querySelectorAll("thead th");
      table.querySelectorAll("tbody tr.form-row").forEach(function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, i) {
          var heading = headings[i] && headings[i].textContent.trim();
          if (!heading) return;
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (field) {
            if (!field.labels.length && !field.hasAttribute("aria-label")) {
              field.setAttribute("aria-label", heading);
            }
          });
        });
      });
    });
  }

  // select2 (the admin's autocomplete fields) names its combobox after the chosen value, which
  // is empty on a new record: it takes the field's label instead.
  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      var label = select.labels.length
        ? select.labels[0].textContent.replace(/:\s*$/, "").trim()
        : select.getAttribute("aria-label");
      if (!label) return;
      container.querySelectorAll("[role=combobox], [role=textbox]").forEach(function (part) {
        part.setAttribute("aria-label", label);
      });
    });
  }

  // The search box's <label> is a magnifier picture; with a help text (aria-describedby) axe
  // asks for a name of its own.
  function nameSearchBar() {
    var search = document.getElementById("searchbar");
    if (search && !search.hasAttribute("aria-label")) search.setAttribute("aria-label", "Search");
  }

  // django-import-export's "Select all" label points at an id its checkbox does not have, and
  // its onchange="" attribute is refused by the Content-Security-Policy: give the id, and bind
  // the handler its own script defines.
  function fixExportToggle() {
    document.querySelectorAll("input.select-toggle[name=select-all-toggle]").forEach(function (box) {
      if (!box.id) box.id = "select-all-toggle";
      if (typeof window.onSelectToggleChange === "function") {
        box.addEventListener("change", window.onSelectToggleChange);
      }
    });
  }

  nameInlineCells(document);
  nameSearchBar();
  fixExportToggle();
  // select2 is set up by the admin's own jQuery ready handler (autocomplete.js, run before this
  // deferred file): a ready handler added now runs after it. Again for each row that "Add
  // another" makes.
  if (window.django && window.django.jQuery) window.django.jQuery(nameAutocompletes);
  document.addEventListener("formset:added", function (event) {
    nameInlineCells(event.target.closest(".tabular") || document);
    window.setTimeout(nameAutocompletes, 0);
  });
})();

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

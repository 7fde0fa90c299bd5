// The cheat sheet's Print button: shown only when this script runs (without it the page says
// to use the browser's Print command). A <button> answers Enter and Space as well as a click.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});

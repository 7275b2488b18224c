// DistOps: small progressive enhancements. Pages work without JavaScript; htmx swaps regions when present.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const target = document.getElementById("flash");
  if (target) target.textContent = status === 409 ? "Someone else decided this first: the row shows the current state." : `The server answered ${status}.`;
});

// A <select data-autosubmit> submits its form when changed (no inline handlers: the CSP allows no inline script).
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.submit();
});

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

// A request that takes more than 300 ms shows the loading bar (body.is-loading) and marks what it is for
// (htmx's .htmx-request on the element); quicker ones show nothing, so the screen does not flicker.
(() => {
  const DELAY_MS = 300;
  let inflight = 0;
  let timer = null;
  const status = () => document.getElementById("loading-status");
  document.addEventListener("htmx:beforeRequest", () => {
    inflight += 1;
    if (timer === null) {
      timer = setTimeout(() => {
        document.body.classList.add("is-loading");
        const s = status();
        if (s) s.textContent = "Loading…";
      }, DELAY_MS);
    }
  });
  document.addEventListener("htmx:afterRequest", () => {
    inflight = Math.max(0, inflight - 1);
    if (inflight === 0) {
      clearTimeout(timer);
      timer = null;
      document.body.classList.remove("is-loading");
      const s = status();
      if (s) s.textContent = "";
    }
  });
})();

// A plain form post (no htmx) that takes more than 300 ms shows the same loading bar while the next page loads,
// and its button is not pressed twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (event.defaultPrevented || form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
  setTimeout(() => document.body.classList.add("is-loading"), 300);
  if ((form.method || "").toLowerCase() === "post" && event.submitter) {
    const button = event.submitter;
    setTimeout(() => { button.disabled = true; button.dataset.submitting = "1"; }, 0);
  }
});
window.addEventListener("pageshow", () => {  // back to a page kept in the browser's cache: usable again
  document.body.classList.remove("is-loading");
  document.querySelectorAll("[data-submitting]").forEach((b) => { b.disabled = false; delete b.dataset.submitting; });
});

// A boosted form (hx-boost) that is refused (403, 404, 409, 400) shows the refusal page the server sent, as the
// plain post would have; htmx leaves error responses out by default.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (event.detail.boosted && status >= 400 && status < 500) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

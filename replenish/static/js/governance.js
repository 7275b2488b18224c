// Governance regions show the server's refusal (403), conflict (409) or field errors (400) in place of the row,
// instead of htmx's default of not swapping error responses.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ([400, 403, 409].includes(status) && event.detail.elt.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// After a decision the server sends the new number of waiting approvals: update the navigation badge.
document.addEventListener("approvals-changed", (event) => {
  const badge = document.querySelector('.mainnav [data-count="approvals"]');
  if (badge && event.detail && event.detail.waiting !== undefined) badge.textContent = event.detail.waiting;
});

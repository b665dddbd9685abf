// Inside the chatbot panel (an iframe on the county's pages): Escape closes the
// panel, each new page takes focus so screen readers announce it, and the
// "ended" page wipes what this origin stored in the browser.

const framed = window.parent !== window;

if (framed) {
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") window.parent.postMessage({ chatservice: "close" }, "*");
  });
  window.addEventListener("load", () => {
    // An error summary (after a failed submit) takes focus before the heading.
    const heading =
      document.querySelector("[data-focus-on-load]") || document.querySelector("main h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  });
}

if (document.body.dataset.clearStorage !== undefined) {
  sessionStorage.clear();
  localStorage.clear();
  if (framed) window.parent.postMessage({ chatservice: "cleared" }, "*");
}

// The chatbot launcher for any page of the county's website:
//   <script src="https://chat.example.fi/static/customers/widget.js" data-lang="fi" defer></script>
// Adds a round chat icon at the bottom right; it opens the chatbot panel,
// which shows the chat service's pages in a frame. No inline script or style.
(() => {
  const script = document.currentScript;
  const origin = new URL(script.src, location.href).origin;
  const lang = (script.dataset.lang || document.documentElement.lang || "sv").slice(0, 2);
  const texts = {
    sv: { open: "Öppna chatboten", close: "Stäng chatboten", title: "Chatbot och chatt" },
    fi: { open: "Avaa chatbot", close: "Sulje chatbot", title: "Chatbot ja chat" },
    en: { open: "Open the chatbot", close: "Close the chatbot", title: "Chatbot and chat" },
  };
  const t = texts[lang] || texts.sv;
  const prefix = lang === "sv" ? "" : `/${lang}`;
  const panelUrl = script.dataset.chatUrl || `${origin}${prefix}/widget/`;

  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = `${origin}/static/customers/widget.css`;
  document.head.append(css);

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = "chatservice-launcher";
  launcher.setAttribute("aria-label", t.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "chatservice-panel");
  launcher.innerHTML =
    '<svg aria-hidden="true" focusable="false" width="32" height="32" viewBox="0 0 24 24"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/></svg>';

  const panel = document.createElement("section");
  panel.id = "chatservice-panel";
  panel.className = "chatservice-panel";
  panel.setAttribute("aria-label", t.title);
  panel.hidden = true;
  const bar = document.createElement("div");
  bar.className = "chatservice-bar";
  const heading = document.createElement("h2");
  heading.textContent = t.title;
  const close = document.createElement("button");
  close.type = "button";
  close.className = "chatservice-close";
  close.textContent = "×";
  close.setAttribute("aria-label", t.close);
  bar.append(heading, close);
  const frame = document.createElement("iframe");
  frame.title = t.title;
  frame.className = "chatservice-frame";
  // Video calls inside the panel, also when the county's site is on another origin.
  frame.allow = "camera; microphone; fullscreen";
  panel.append(bar, frame);
  document.body.append(launcher, panel);

  function open() {
    if (!frame.src) frame.src = panelUrl;
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", t.close);
    frame.focus();
  }
  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", t.open);
    launcher.focus();
  }
  launcher.addEventListener("click", () => (panel.hidden ? open() : shut()));
  close.addEventListener("click", shut);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) shut();
  });
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || !event.data) return;
    if (event.data.chatservice === "close") shut();
  });
})();

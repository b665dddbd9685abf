// The resident's end screen (#after-chat): when the conversation has ended it is
// loaded from the server (thank-you, survey link, "send the conversation to my
// e-mail", public-computer advice), and its e-mail form is sent without leaving
// the chat page. The server renders everything; nothing here is personal.

const place = () => document.getElementById("after-chat");
let loading = null;

async function replaceWith(response) {
  const root = place();
  // Only the end screen's own answers (4xx included: they carry the reason).
  if (!root || response.headers.get("X-End-Screen") !== "1") return false;
  const template = document.createElement("template");
  template.innerHTML = await response.text();
  root.replaceChildren(template.content);
  root.dataset.loaded = "1";
  const form = root.querySelector("#transcript-form");
  if (form) form.addEventListener("submit", submit);
  return true;
}

async function submit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Fragment": "1" },
    });
    if (await replaceWith(response)) {
      // Say what happened: the error, or that the e-mail was queued.
      const said = place().querySelector("#transcript-error, #transcript-queued");
      if (said) {
        said.tabIndex = -1;
        said.focus();
      }
    } else if (button) {
      button.disabled = false;
    }
  } catch {
    if (button) button.disabled = false;
  }
}

/** Show the end screen once (called when the conversation has ended). */
export function showAfterChat() {
  const root = place();
  if (!root || root.dataset.loaded || loading) return loading;
  loading = fetch(root.dataset.url, { credentials: "same-origin", headers: { "X-Fragment": "1" } })
    .then(replaceWith)
    .catch(() => false)
    .finally(() => (loading = null));
  return loading;
}

// A page opened after the end shows it straight away.
if (document.getElementById("status")?.dataset.status === "closed") showAfterChat();

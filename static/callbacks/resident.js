// "Call me back instead" on the resident's chat page (callbacks app): the offer
// while the estimated wait exceeds the service's threshold, and then where the
// call-back is. The chat page's script passes every frame on as a `chat:frame`
// event; the request is a form (it works without script too).

import { csrfToken, fmt, readConfig } from "../js/chatsocket.js";

const config = readConfig("callback-config");
const chat = readConfig("chat-config");
const S = config.strings;
const $ = (id) => document.getElementById(id);

let state = config.state; // "", requested, calling, retry, reached, not_reached
let status = chat.status;
let estimate = config.estimate; // minutes, as the chat page estimates them

function render({ focus = false } = {}) {
  const offered =
    !state && status === "waiting" && config.after_minutes !== null && estimate > config.after_minutes;
  $("callback").hidden = !state && !offered;
  $("callback").dataset.state = state;
  $("callback-offer").hidden = Boolean(state) || !offered;
  const heading = $("callback-heading");
  heading.textContent = state ? heading.dataset.requested : heading.dataset.offer;
  $("callback-message").textContent = state ? fmt(S[state] || "", { end: config.phone_end }) : "";
  // The chat page's own ending says the professional ended the chat: not so here.
  if (state === "not_reached") $("ended-by-professional")?.setAttribute("hidden", "");
  if (focus) $("callback-message").focus();
}

function showEstimate(position) {
  estimate = Math.max(1, Math.ceil(position * chat.minutes_per_position));
}

const frames = {
  hello({ conversation }) {
    status = conversation.status;
    if (conversation.position) showEstimate(conversation.position);
  },
  "queue.position"({ position }) {
    showEstimate(position);
  },
  "conversation.state"({ change, status: next }) {
    status = next;
    // The professional took the call-back: they are calling now.
    if (state && change === "claimed") state = "calling";
  },
  "callback.state"(frame) {
    state = frame.state;
    config.phone_end = frame.phone_end;
  },
};

document.addEventListener("chat:frame", (event) => {
  const handle = frames[event.detail.type];
  if (!handle) return;
  handle(event.detail);
  render();
});

$("callback-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const body = new FormData(form);
    body.set("csrfmiddlewaretoken", csrfToken(chat.csrf_cookie));
    const response = await fetch(form.action, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-Fragment": "1" },
    });
    const answer = await response.json();
    if (answer.state) {
      state = answer.state;
      render({ focus: true });
      return;
    }
    $("callback-message").textContent = answer.error?.message || S.failed;
  } catch {
    $("callback-message").textContent = S.failed;
  }
  button.disabled = false;
  $("callback-message").focus();
});

render();

// The resident's chat page: one WebSocket (docs/protocol.md) through the shared
// module, which reconnects with backoff, notices a dead connection by its
// heartbeat and keeps unsent messages; this file is what the resident sees.

import {
  Connection,
  CountdownDialog,
  IdleTimer,
  MessageList,
  Outbox,
  RETRYABLE,
  csrfToken,
  ScrollFollower,
  fmt,
  newClientId,
  readConfig,
} from "../js/chatsocket.js";
import { showAfterChat } from "./closing.js";
import { FileSender } from "../js/upload.js";
import { ConnectionCheck, VideoCall } from "../js/videocall.js";

const config = readConfig("chat-config");
const S = config.strings;
const $ = (id) => document.getElementById(id);
const form = $("composer");
const input = $("message-input");

// Same shape as identity/hetu.py: DDMMYY, century sign (any dash), ZZZ, check char.
const HETU = /(?<![0-9A-Za-z])[0-3]\d[01]\d{3}[ \u00a0]?[+\-\u2010-\u2015\u2212\ufe58\ufe63\uff0dYXWVUABCDEFyxwvuabcdef][ \u00a0]?\d{3}[0-9A-Ya-y](?![0-9A-Za-z])/;

let status = config.status;
let warnedText = null;
let typingSent = false;
let typingTimer = null;
let peerTypingTimer = null;

const messages = new MessageList({
  list: $("messages"),
  template: $("message-template"),
  own: "resident",
  label: (m) => (m.author_kind === "resident" ? S.you : m.author_name),
  states: S,
  peerSeen: config.peer_seen_seq || 0,
});
messages.adopt();
const follower = new ScrollFollower($("messages"), $("new-messages"));

const connection = new Connection({
  path: config.socket_path,
  onFrame: (frame) => {
    handlers[frame.type]?.(frame);
    // For the parts of the page other apps own (callbacks/resident.js).
    document.dispatchEvent(new CustomEvent("chat:frame", { detail: frame }));
  },
  onStatus: (up) => {
    $("connection-banner").hidden = up;
    if (!up) for (const clientId of outbox.entries.keys()) messages.setState(messages.item(clientId), "not_sent");
  },
  onClose: (code) => {
    if (code === config.close_codes.no_conversation) {
      location.href = config.urls.menu;
      return true;
    }
    return status === "closed";
  },
});

const outbox = new Outbox({
  key: `chatservice.outbox.${config.conversation}`,
  generation: () => connection.generation,
  send: (clientId, { body }) => {
    const sent = connection.live && connection.send({ type: "message.send", client_id: clientId, body });
    messages.setState(messages.item(clientId), sent ? "sending" : "not_sent");
    return sent;
  },
});

function showStatus(next, professionalName) {
  status = next;
  $("status").dataset.status = next;
  $("status-waiting").hidden = next !== "waiting";
  $("status-active").hidden = next !== "active";
  if (professionalName) {
    $("professional-name").textContent = professionalName;
    $("typing").textContent = fmt(S.typing, { name: professionalName });
  }
  if (next !== "waiting") $("status-long-wait").hidden = true;
  files?.refresh();
  if (next === "closed") {
    $("ended").hidden = false;
    showAfterChat(); // the end screen: survey link, transcript by e-mail
    video.end();
    form.hidden = true;
    outbox.clear();
    connection.stop();
  }
  idleClock();
}

let estimatedMinutes = 0;

function showPosition(position) {
  estimatedMinutes = Math.max(1, Math.ceil(position * config.minutes_per_position));
  $("queue-position").textContent = fmt(S.position, { position });
  $("queue-estimate").textContent = fmt(S.estimate, { minutes: estimatedMinutes });
  checkLongWait();
}

// Honest about long waits: when the estimate or the time already waited passes
// the service's maximum, say so and say what the resident can do.
function checkLongWait() {
  const waited = (Date.now() - Date.parse(config.created)) / 60000;
  const tooLong = waited > config.max_wait_minutes || estimatedMinutes > config.max_wait_minutes;
  $("status-long-wait").hidden = status !== "waiting" || !tooLong;
}
setInterval(checkLongWait, 30000);

let receiptSent = 0;

// Tell the professional what this page has shown: "shown up to seq" holds only
// up to the first gap.
function acknowledgeShown() {
  if (messages.contiguous > receiptSent && connection.send({ type: "message.received", seq: messages.contiguous })) {
    receiptSent = messages.contiguous;
  }
}

// --- identification: the professional's request, the link, the outcome -----------
// The link opens identification in a new top-level window (providers refuse to be
// framed); the outcome arrives here over the socket whatever that window does.
function showIdentification({ state, link, message, identified }) {
  const box = $("identification");
  box.dataset.state = state;
  box.hidden = !state;
  $("identification-message").textContent = message;
  const button = $("identification-link");
  button.hidden = !link;
  if (link) button.href = link;
  $("status-identified").hidden = !identified;
  isIdentified = Boolean(identified);
  files.refresh();
}

// --- files: only in an active conversation, once the resident is identified -------
// (the server enforces it; the control says why it is not available yet)
let isIdentified = $("attach").dataset.identified === "true";
const help = $("attach-help");
const files = new FileSender({
  config: readConfig("attach-config"),
  csrfCookie: config.csrf_cookie,
  elements: {
    button: $("attach-button"),
    input: $("attach-input"),
    help,
    progressBox: $("upload-progress-box"),
    progress: $("upload-progress"),
    progressLabel: $("upload-progress-label"),
    cancel: $("upload-cancel"),
    status: $("upload-status"),
    error: $("upload-error"),
    dropZone: document.querySelector(".messages-frame"),
  },
  available: () => {
    if (status !== "active") return help.dataset.notActive;
    if (!isIdentified) return help.dataset.notIdentified;
    return null;
  },
  onSent: () => follower.toBottom(),
});

// Identification renews the session key and the CSRF token (in the other
// window, after this page was rendered): a form of this page sends the token
// the browser holds now.
function refreshCsrfToken() {
  const token = csrfToken(config.csrf_cookie);
  for (const field of document.querySelectorAll('input[name="csrfmiddlewaretoken"]')) field.value = token;
}

document.addEventListener("submit", refreshCsrfToken, { capture: true });

// --- video: the professional asks, the resident allows and joins with the green camera ---
const video = new VideoCall({
  root: document.querySelector("[data-video-root]"),
  send: (frame) => connection.send(frame),
  strings: S,
  offerer: true,
});

function showVideo(state) {
  const asked = state === "requested";
  const allowed = state === "accepted" || state === "active";
  $("video-consent").hidden = !asked;
  $("video-join-row").hidden = !allowed || video.joined;
  const note = { declined: S.video_declined, expired: S.video_expired, ended: S.video_ended }[state];
  $("video-note").hidden = !note;
  $("video-note").textContent = note || "";
  $("video-offer").hidden = !asked && !(allowed && !video.joined) && !note;
  if (state === "ended") video.end();
}

new ConnectionCheck({
  root: document.querySelector("[data-check-root]"),
  strings: S,
  url: config.urls.video_check,
  csrfCookie: config.csrf_cookie,
});

$("video-allow").addEventListener("click", () => connection.send({ type: "video.answer", allow: true }));
$("video-decline").addEventListener("click", () => connection.send({ type: "video.answer", allow: false }));
$("video-join").addEventListener("click", async () => {
  if (await video.join()) {
    $("video-join-row").hidden = true;
    $("video-offer").hidden = true;
  }
});

// --- the crisis banner: 112 and the crisis lines, when a crisis phrase was found ---
function showCrisisBanner() {
  const banner = $("crisis-banner");
  banner.hidden = false;
  banner.scrollIntoView({ block: "nearest" });
}
$("crisis-hide").addEventListener("click", () => {
  $("crisis-banner").hidden = true;
  $("message-input").focus();
});

// --- frames ------------------------------------------------------------------
const handlers = {
  hello({ conversation }) {
    receiptSent = 0;
    showStatus(conversation.status, conversation.professional_name);
    if (conversation.position) showPosition(conversation.position);
    if (conversation.peer_seen_seq) messages.delivered(conversation.peer_seen_seq);
    showIdentification(conversation.identification);
    connection.send({ type: "sync", after_seq: messages.contiguous });
  },
  "sync.done"() {
    outbox.flush();
    acknowledgeShown();
  },
  "message.new"(frame) {
    const li = messages.show(frame);
    if (!li) return;
    if (frame.author_kind === "resident") {
      outbox.done(frame.client_id);
    } else {
      $("typing").hidden = true;
      acknowledgeShown();
    }
  },
  "message.ack"(frame) {
    outbox.done(frame.client_id);
    messages.acked(frame);
    if (frame.masked) messages.notice(S.masked);
  },
  "message.delivered"({ seq }) {
    messages.delivered(seq);
  },
  typing({ active }) {
    $("typing").hidden = !active;
    clearTimeout(peerTypingTimer);
    if (active) peerTypingTimer = setTimeout(() => ($("typing").hidden = true), 8000);
  },
  "conversation.state"({ change, status: next, professional_name, resident_left, close_reason }) {
    if (change === "transferred" && next === "waiting") messages.notice(S.transferred);
    if (change === "transferred" && next === "active") messages.notice(fmt(S.now_with, { name: professional_name }));
    if (next === "closed" && close_reason === "service_closed") {
      $("ended-service-closed").hidden = false;
      $("ended-by-professional")?.setAttribute("hidden", "");
    }
    showStatus(next, professional_name);
    if (resident_left) {
      form.hidden = true;
      $("status-left").hidden = false;
    }
  },
  "identification.state"({ identification }) {
    showIdentification(identification);
  },
  "video.state"({ state }) {
    showVideo(state);
  },
  "video.config"(frame) {
    video.config(frame);
  },
  "crisis.alert"() {
    showCrisisBanner();
  },
  "video.signal"(frame) {
    video.signal(frame);
  },
  "queue.position"({ position }) {
    if (status === "waiting") showPosition(position);
  },
  error({ code, message, client_id, retry_after }) {
    if (client_id && outbox.has(client_id)) {
      const li = messages.item(client_id);
      if (RETRYABLE.has(code)) {
        // Nothing was stored: the same message goes again on this socket.
        messages.setState(li, "retrying");
        outbox.retryLater(client_id, (retry_after || 0) * 1000);
      } else {
        outbox.done(client_id);
        messages.setState(li, "failed", fmt(S.error, { reason: message }));
      }
    } else if (code !== "rate_limited") {
      messages.notice(message);
    }
  },
  pong() {},
};

// --- composing -------------------------------------------------------------
function stopTyping() {
  clearTimeout(typingTimer);
  if (typingSent) connection.send({ type: "typing.stop" });
  typingSent = false;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const body = input.value.trim();
  if (!body) return;
  if (HETU.test(body) && warnedText !== body) {
    warnedText = body;
    $("hetu-warning").hidden = false;
    input.focus();
    return;
  }
  $("hetu-warning").hidden = true;
  warnedText = null;
  const clientId = newClientId();
  messages.pending({ clientId, body });
  follower.toBottom(); // one's own message is always brought into view
  outbox.add(clientId, { body });
  input.value = "";
  stopTyping();
  input.focus();
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

input.addEventListener("input", () => {
  if (!typingSent && input.value.trim()) typingSent = connection.send({ type: "typing.start" });
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 3000);
});

// Messages kept from before a reload are shown as not sent until acked.
for (const [clientId, { body }] of outbox.entries) {
  messages.setState(messages.pending({ clientId, body }), "not_sent");
}

// --- idle timeout: warn, then the same as "End and clear" -------------------------
// Waiting in the queue is not idleness: the notice promises the place is kept
// while the page is open. Otherwise any input resets the clock, and two minutes
// before the end a dialog offers to continue (WCAG 2.2.1).
const warning = new CountdownDialog($("idle-warning"), { onContinue: () => keepAlive() });
const idle = new IdleTimer({
  timeoutMs: config.idle_minutes * 60000,
  warnMs: config.idle_warning_seconds * 1000,
  onWarn: (deadline) => warning.show(deadline),
  onEnd: () => $("idle-end").requestSubmit(),
});

function idleClock() {
  if (status === "waiting") {
    idle.pause();
    warning.hide();
  } else if (!idle.running) {
    idle.reset();
  }
}

function keepAlive() {
  warning.hide();
  if (status !== "waiting") idle.reset();
}
for (const name of ["keydown", "pointerdown", "input", "wheel", "touchstart"]) {
  document.addEventListener(name, () => !warning.open && keepAlive(), { passive: true, capture: true });
}
idleClock();

if (status !== "closed") connection.start();

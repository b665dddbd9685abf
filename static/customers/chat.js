// The resident's chat page: one WebSocket (docs/protocol.md), reconnects with
// backoff, replays what it missed by seq, keeps unsent messages and resends
// them with their original client_id (the server stores each once).

const config = JSON.parse(document.getElementById("chat-config").textContent);
const S = config.strings;
const $ = (id) => document.getElementById(id);
const list = $("messages");
const form = $("composer");
const input = $("message-input");
const outboxKey = `chatservice.outbox.${config.conversation}`;

// Same shape as identity/hetu.py: DDMMYY, century sign (any dash), ZZZ, check char.
const HETU = /(?<![0-9A-Za-z])[0-3]\d[01]\d{3}[ \u00a0]?[+\-\u2010-\u2015\u2212\ufe58\ufe63\uff0dYXWVUABCDEFyxwvuabcdef][ \u00a0]?\d{3}[0-9A-Ya-y](?![0-9A-Za-z])/;

let socket = null;
let backoff = 500;
let status = config.status;
let lastSeq = Math.max(0, ...[...list.querySelectorAll("li[data-seq]")].map((li) => Number(li.dataset.seq)));
let warnedText = null;
let typingSent = false;
let typingTimer = null;
let peerTypingTimer = null;
let idleTimer = null;
const outbox = new Map(JSON.parse(sessionStorage.getItem(outboxKey) || "[]"));

const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
const saveOutbox = () => sessionStorage.setItem(outboxKey, JSON.stringify([...outbox]));

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

// --- rendering -------------------------------------------------------------
function messageItem(clientId) {
  return list.querySelector(`li[data-client-id="${CSS.escape(clientId)}"]`);
}

function renderMessage({ seq, client_id, author_kind, author_name, body }) {
  let li = messageItem(client_id);
  if (!li) {
    li = document.createElement("li");
    li.className = `message from-${author_kind}`;
    li.dataset.clientId = client_id;
    const meta = document.createElement("p");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = author_kind === "resident" ? S.you : author_name;
    meta.append(author);
    if (author_kind === "resident") {
      const state = document.createElement("span");
      state.className = "state";
      meta.append(" ", state);
    }
    const text = document.createElement("p");
    text.className = "body";
    li.append(meta, text);
    list.append(li);
  }
  li.querySelector(".body").textContent = body;
  if (seq) li.dataset.seq = seq;
  return li;
}

function setState(li, state) {
  const el = li && li.querySelector(".state");
  if (el) {
    el.textContent = S[state];
    li.dataset.state = state;
  }
}

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
  if (next === "closed") {
    $("ended").hidden = false;
    form.hidden = true;
    outbox.clear();
    saveOutbox();
  }
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

function notice(text) {
  const p = document.createElement("p");
  p.className = "notice system";
  p.textContent = text;
  const li = document.createElement("li");
  li.className = "message from-system";
  li.append(p);
  list.append(li);
}

// --- socket ----------------------------------------------------------------
const handlers = {
  hello({ conversation }) {
    backoff = 500;
    $("connection-banner").hidden = true;
    showStatus(conversation.status, conversation.professional_name);
    if (conversation.position) showPosition(conversation.position);
    send({ type: "sync", after_seq: lastSeq });
  },
  "sync.done"() {
    for (const [clientId, body] of outbox) {
      send({ type: "message.send", client_id: clientId, body });
    }
  },
  "message.new"(frame) {
    if (frame.seq <= lastSeq) return;
    lastSeq = frame.seq;
    const li = renderMessage(frame);
    if (frame.author_kind === "resident") {
      if (li.dataset.state !== "delivered") setState(li, "sent");
    } else {
      $("typing").hidden = true;
      send({ type: "message.received", seq: frame.seq });
    }
  },
  "message.ack"({ client_id, masked }) {
    outbox.delete(client_id);
    saveOutbox();
    const li = messageItem(client_id);
    if (li && li.dataset.state !== "delivered") setState(li, "sent");
    if (masked) notice(S.masked);
  },
  "message.delivered"({ seq }) {
    for (const li of list.querySelectorAll("li.from-resident[data-seq]")) {
      if (Number(li.dataset.seq) <= seq) setState(li, "delivered");
    }
  },
  typing({ active }) {
    $("typing").hidden = !active;
    clearTimeout(peerTypingTimer);
    if (active) peerTypingTimer = setTimeout(() => ($("typing").hidden = true), 8000);
  },
  "conversation.state"({ change, status: next, professional_name, resident_left, close_reason }) {
    if (change === "transferred" && next === "waiting") notice(S.transferred);
    if (change === "transferred" && next === "active") notice(fmt(S.now_with, { name: professional_name }));
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
  "queue.position"({ position }) {
    if (status === "waiting") showPosition(position);
  },
  error({ code, message, client_id }) {
    if (client_id && ["conversation_closed", "resident_left", "message_too_long", "empty_message"].includes(code)) {
      outbox.delete(client_id);
      saveOutbox();
      const li = messageItem(client_id);
      if (li) {
        li.querySelector(".state").textContent = fmt(S.error, { reason: message });
        li.dataset.state = "failed";
      }
    } else if (code !== "rate_limited") {
      notice(message);
    }
  },
  pong() {},
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${config.socket_path}`);
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    const handler = handlers[frame.type];
    if (handler) handler(frame);
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4404) {
      location.href = config.end_url.replace(/end\/$/, "");
      return;
    }
    if (status === "closed") return;
    $("connection-banner").hidden = false;
    const delay = backoff + Math.random() * backoff * 0.3;
    backoff = Math.min(backoff * 2, 15000);
    setTimeout(connect, delay);
  });
}

// --- composing -------------------------------------------------------------
function stopTyping() {
  clearTimeout(typingTimer);
  if (typingSent) send({ type: "typing.stop" });
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
  outbox.set(clientId, body);
  saveOutbox();
  const li = renderMessage({ client_id: clientId, author_kind: "resident", body });
  setState(li, send({ type: "message.send", client_id: clientId, body }) ? "sending" : "not_sent");
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
  if (!typingSent && input.value.trim()) typingSent = send({ type: "typing.start" });
  clearTimeout(typingTimer);
  typingTimer = setTimeout(stopTyping, 3000);
});

// Messages kept from before a reload are shown as not sent until acked.
for (const [clientId, body] of outbox) {
  setState(renderMessage({ client_id: clientId, author_kind: "resident", body }), "not_sent");
}

// --- idle timeout: the same as "End and clear" --------------------------------
function resetIdle() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => document.getElementById("idle-end").submit(), config.idle_minutes * 60000);
}
for (const name of ["keydown", "pointerdown", "input", "focus"]) {
  document.addEventListener(name, resetIdle, { passive: true });
}
resetIdle();

if (status !== "closed") connect();

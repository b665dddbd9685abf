// What the resident's chat page (static/customers/chat.js) and the
// professional's dashboard (static/staff/dashboard.js) share: the socket with
// backoff, jitter and an application heartbeat; the outbox of messages not yet
// acknowledged; one way to render a message <li>; keeping the newest message in
// view. The protocol is docs/protocol.md. Everything that belongs to a page
// (URLs, close codes, limits, texts) comes from that page's JSON config.

export function readConfig(id) {
  return JSON.parse(document.getElementById(id).textContent);
}

/** Fill "%(name)s" placeholders, the format gettext strings use. */
export const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** "14:05" for today, "24.11. 14:05" (in the page's language) for other days. */
export function formatTime(iso, lang = document.documentElement.lang || undefined) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const today = date.toDateString() === new Date().toDateString();
  const options = today
    ? { hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(lang, options).format(date);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so that
 * many pages cut off at once do not all come back in the same instant. */
export function backoffDelay(attempt, { base = 500, max = 15000 } = {}) {
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

// --- the socket ----------------------------------------------------------------

/**
 * One WebSocket that comes back by itself. A socket counts as dead when it
 * closes, when a `ping` goes unanswered (a network that vanished without a close
 * frame), or when the browser says it is offline; then `onStatus(false)`, and it
 * reconnects with backoff. `onStatus(true)` comes with each `hello`.
 * `onClose(code)` returning true means "do not reconnect" (the page handles it).
 */
export class Connection {
  constructor({ path, onFrame, onStatus = () => {}, onClose = () => false, heartbeatSeconds = 20, pongTimeoutSeconds = 10 }) {
    this.path = path;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onClose = onClose;
    this.heartbeatMs = heartbeatSeconds * 1000;
    this.pongTimeoutMs = pongTimeoutSeconds * 1000;
    this.ws = null;
    this.ready = false; // hello received on the current socket
    this.generation = 0; // which socket this is: 1, 2, … (one per connect)
    this.attempt = 0;
    this.stopped = false;
    this.retryTimer = null;
    this.heartbeat = null;
    this.pongTimer = null;
  }

  start() {
    window.addEventListener("offline", () => this.kill());
    window.addEventListener("online", () => {
      if (this.ws || this.stopped) return;
      this.attempt = 0;
      this.connect();
    });
    this.connect();
  }

  /** Connected and greeted: frames sent now reach the server. */
  get live() {
    return Boolean(this.ready && this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /** Stop for good (the page is ending). */
  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}${this.path}`);
    this.ws = ws;
    this.ready = false;
    this.generation += 1;
    ws.addEventListener("open", () => {
      if (this.ws === ws) this.startHeartbeat();
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return; // a socket already given up on
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === "pong") {
        clearTimeout(this.pongTimer);
        this.pongTimer = null;
      } else if (frame.type === "hello") {
        this.attempt = 0;
        this.ready = true;
      }
      this.onFrame(frame);
      if (frame.type === "hello") this.onStatus(true);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws === ws) this.dropped(event.code);
    });
  }

  /** Give up on the current socket at once (missed pong, offline): a dead TCP
   * connection may take minutes to report its close. */
  kill() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    this.dropped(null);
  }

  dropped(code) {
    this.ws = null;
    this.ready = false;
    this.stopHeartbeat();
    if (this.stopped) return;
    if (code !== null && this.onClose(code)) {
      this.stopped = true;
      return;
    }
    this.onStatus(false);
    if (navigator.onLine === false) return; // the "online" event reconnects
    this.retryTimer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
  }

  startHeartbeat() {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (this.pongTimer || !this.send({ type: "ping" })) return;
      this.pongTimer = setTimeout(() => {
        this.pongTimer = null;
        this.kill();
      }, this.pongTimeoutMs);
    }, this.heartbeatMs);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeat);
    clearTimeout(this.pongTimer);
    this.heartbeat = null;
    this.pongTimer = null;
  }
}

// --- the outbox ---------------------------------------------------------------

/** Errors after which the same message is sent again (same client_id, so the
 * server stores it once); any other error for a message is final. */
export const RETRYABLE = new Set(["server_error", "rate_limited"]);

/**
 * Messages sent but not yet acknowledged, kept in sessionStorage so that a
 * reload or a lost connection loses nothing. `send(clientId, entry)` puts one on
 * the wire and says whether it could; `generation()` names the socket it went
 * on, so that a resend after a reconnect skips what already went on the new one.
 */
export class Outbox {
  constructor({ key, send, generation = () => 0, storage = window.sessionStorage }) {
    this.key = key;
    this.storage = storage;
    this.sendEntry = send;
    this.generation = generation;
    this.entries = new Map(JSON.parse(storage.getItem(key) || "[]"));
    this.timers = new Map();
    this.attempts = new Map();
    this.sentOn = new Map(); // clientId -> the socket generation it last went on
  }

  sendNow(clientId, entry) {
    const sent = this.sendEntry(clientId, entry);
    if (sent) this.sentOn.set(clientId, this.generation());
    return sent;
  }

  save() {
    this.storage.setItem(this.key, JSON.stringify([...this.entries]));
  }

  has(clientId) {
    return this.entries.has(clientId);
  }

  /** Keep and send; false when it could not go out now (kept for later). */
  add(clientId, entry) {
    this.entries.set(clientId, entry);
    this.save();
    return this.sendNow(clientId, entry);
  }

  /** Acknowledged, or refused for good. */
  done(clientId) {
    clearTimeout(this.timers.get(clientId));
    this.timers.delete(clientId);
    this.attempts.delete(clientId);
    this.sentOn.delete(clientId);
    if (this.entries.delete(clientId)) this.save();
  }

  clear() {
    for (const clientId of [...this.entries.keys()]) this.done(clientId);
  }

  /** Send again every kept message that `filter` accepts and that has not gone
   * on the current socket yet (after a reconnect). */
  flush(filter = () => true) {
    for (const [clientId, entry] of this.entries) {
      if (!filter(entry) || this.sentOn.get(clientId) === this.generation()) continue;
      clearTimeout(this.timers.get(clientId));
      this.timers.delete(clientId);
      this.sendNow(clientId, entry);
    }
  }

  /** Send again later on the same socket: after `afterMs`, or with backoff. */
  retryLater(clientId, afterMs) {
    if (!this.entries.has(clientId)) return 0;
    const attempt = this.attempts.get(clientId) || 0;
    this.attempts.set(clientId, attempt + 1);
    const delay = afterMs > 0 ? afterMs : backoffDelay(attempt, { base: 1000, max: 30000 });
    clearTimeout(this.timers.get(clientId));
    this.timers.set(
      clientId,
      setTimeout(() => {
        this.timers.delete(clientId);
        const entry = this.entries.get(clientId);
        if (entry) this.sendNow(clientId, entry);
      }, delay),
    );
    return delay;
  }
}

// --- messages ----------------------------------------------------------------------

/**
 * The messages of one conversation in an <ol>. Each `seq` is shown once and in
 * its place, whatever order frames arrive in (a live message may overtake a
 * replay); a message being sent waits at the end until the server gives it a
 * seq. The <li> comes from the page's <template> (the same markup the server
 * uses for the history it renders), so both look and behave the same.
 *
 * own: the author_kind whose messages get sent/delivered states on this page.
 * label(m): the author line. states: texts for sending/sent/delivered/…
 */
export class MessageList {
  constructor({ list, template, own, label, states, peerSeen = 0 }) {
    this.list = list;
    this.template = template;
    this.own = own;
    this.label = label;
    this.states = states;
    this.peerSeen = peerSeen;
    this.seqs = new Set();
    this.contiguous = 0; // every seq 1…contiguous is shown
  }

  /** Take over the <li>s the server rendered (the history). */
  adopt() {
    for (const li of this.list.querySelectorAll("li.message")) {
      const time = li.querySelector("time");
      if (time?.dateTime) time.textContent = formatTime(time.dateTime);
      const seq = Number(li.dataset.seq);
      if (seq) this.noteSeq(seq);
      if (seq && li.dataset.authorKind === this.own) {
        this.setState(li, seq <= this.peerSeen ? "delivered" : "sent");
      }
    }
  }

  item(clientId) {
    if (!clientId) return null;
    return this.list.querySelector(`li.message[data-client-id="${CSS.escape(clientId)}"]`);
  }

  bySeq(seq) {
    return this.list.querySelector(`li.message[data-seq="${Number(seq)}"]`);
  }

  has(seq) {
    return this.seqs.has(seq);
  }

  /** A `message.new` (live or replayed). Returns the new <li>, or null when
   * that seq is already shown. */
  show(m) {
    if (this.seqs.has(m.seq)) {
      // Already shown (e.g. placed from its ack): the server's body wins, as
      // when an identity code was masked from it.
      const shown = this.bySeq(m.seq);
      if (shown && shown.dataset.clientId === m.client_id) this.fill(shown, m);
      return null;
    }
    const li = this.item(m.client_id) || this.build(m);
    this.fill(li, m);
    this.place(li, m.seq);
    if (m.author_kind === this.own) this.settle(li);
    return li;
  }

  /** A message this page is sending: at the end until it has a seq. */
  pending({ clientId, body, authorName = "" }) {
    const m = { client_id: clientId, author_kind: this.own, author_name: authorName, body, created: new Date().toISOString() };
    const li = this.item(clientId) || this.build(m);
    this.fill(li, m);
    li.dataset.pending = "";
    if (!li.isConnected) this.list.append(li);
    return li;
  }

  /** The server stored our message: it has a seq now. */
  acked({ client_id: clientId, seq, created }) {
    const li = this.item(clientId);
    if (!li) return null;
    if (seq && !li.dataset.seq && !this.seqs.has(seq)) {
      if (created) this.setTime(li, created);
      this.place(li, seq);
    }
    this.settle(li);
    return li;
  }

  /** The other party's device has shown our messages up to `seq`. */
  delivered(seq) {
    if (!(seq > this.peerSeen)) return;
    this.peerSeen = seq;
    for (const li of this.list.querySelectorAll(`li.message[data-author-kind="${this.own}"][data-seq]`)) {
      if (Number(li.dataset.seq) <= seq) this.setState(li, "delivered");
    }
  }

  /** A line from this page itself (not a message): e.g. "a code was hidden". */
  notice(text) {
    const li = document.createElement("li");
    li.className = "message from-system local";
    const p = document.createElement("p");
    p.className = "notice";
    p.textContent = text;
    li.append(p);
    this.list.append(li);
    return li;
  }

  setState(li, state, text) {
    if (!li) return;
    li.dataset.state = state;
    const el = li.querySelector(".state");
    if (el) el.textContent = text ?? this.states[state] ?? "";
  }

  /** Own messages that were sent: delivered when the other party has seen them. */
  settle(li) {
    const seq = Number(li.dataset.seq);
    if (!seq) return;
    if (seq <= this.peerSeen) this.setState(li, "delivered");
    else if (li.dataset.state !== "delivered") this.setState(li, "sent");
  }

  // --- internals
  build(m) {
    const li = this.template.content.firstElementChild.cloneNode(true);
    li.classList.add(`from-${m.author_kind}`);
    li.dataset.authorKind = m.author_kind;
    if (m.client_id) li.dataset.clientId = m.client_id;
    return li;
  }

  fill(li, m) {
    li.querySelector(".author").textContent = this.label(m);
    li.querySelector(".body").textContent = m.body;
    if (m.attachment) fillAttachment(li, m.attachment);
    if (m.created) this.setTime(li, m.created);
  }

  setTime(li, iso) {
    const time = li.querySelector("time");
    time.dateTime = iso;
    time.textContent = formatTime(iso);
  }

  noteSeq(seq) {
    this.seqs.add(seq);
    while (this.seqs.has(this.contiguous + 1)) this.contiguous += 1;
  }

  /** Put `li` before the first shown message with a higher seq; a new newest
   * message goes after the others but before the ones still being sent. */
  place(li, seq) {
    li.dataset.seq = seq;
    delete li.dataset.pending;
    this.noteSeq(seq);
    let before = null;
    for (let el = this.list.lastElementChild; el; el = el.previousElementSibling) {
      if (el === li) continue;
      if (el.dataset.pending !== undefined) {
        before = el;
      } else if (el.dataset.seq) {
        if (Number(el.dataset.seq) < seq) break;
        before = el;
      }
    }
    // Moving a node that is already in place would announce it again.
    if (li.parentNode === this.list && nextMessage(li) === before) return;
    this.list.insertBefore(li, before);
  }
}

// --- files -------------------------------------------------------------------

const TYPE_LABELS = {
  "application/pdf": "PDF",
  "image/jpeg": "JPEG",
  "image/png": "PNG",
  "image/heic": "HEIC",
  "text/plain": "TXT",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
  "application/vnd.oasis.opendocument.text": "ODT",
};

/** "1.2 MB" in the page's language. */
export function formatSize(bytes, lang = document.documentElement.lang || undefined) {
  const units = ["byte", "kilobyte", "megabyte"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(lang, {
    style: "unit",
    unit: units[unit],
    unitDisplay: unit ? "short" : "long",
    maximumFractionDigits: unit ? 1 : 0,
  }).format(value);
}

/** A message that is a file: its name as a download link, its type and size
 * (the same slots templates/chat/message.html renders). */
export function fillAttachment(li, attachment) {
  li.classList.add("has-attachment");
  li.querySelector(".body").hidden = true;
  const box = li.querySelector(".attachment");
  box.hidden = false;
  const link = box.querySelector(".attachment-link");
  link.href = attachment.url;
  box.querySelector(".attachment-name").textContent = attachment.name;
  const type = TYPE_LABELS[attachment.content_type] || attachment.content_type;
  box.querySelector(".attachment-meta").textContent = `${type}, ${formatSize(attachment.size)}`;
}

function nextMessage(li) {
  let el = li.nextElementSibling;
  while (el && !el.dataset.seq && el.dataset.pending === undefined) el = el.nextElementSibling;
  return el;
}

// --- keeping the newest message in view -----------------------------------------

/**
 * While the reader is at the bottom of `scroller`, anything added or grown
 * (a message, a "not sent yet" state, a notice) keeps the view at the bottom.
 * Once they scroll up to read, the view stays put and `button` ("new
 * messages ↓") appears when a message arrives below what they see.
 */
export class ScrollFollower {
  constructor(scroller, button, { slack = 40 } = {}) {
    this.scroller = scroller;
    this.button = button;
    this.slack = slack;
    this.stuck = true;
    scroller.addEventListener(
      "scroll",
      () => {
        this.stuck = this.atBottom();
        if (this.stuck) this.button.hidden = true;
      },
      { passive: true },
    );
    button.addEventListener("click", () => {
      this.toBottom();
      this.scroller.focus({ preventScroll: true });
    });
    new ResizeObserver(() => {
      if (this.stuck) this.toBottom();
    }).observe(scroller);
    new MutationObserver((records) => this.changed(records)).observe(scroller, {
      childList: true,
      subtree: true,
      characterData: true,
    });
    this.toBottom();
  }

  atBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= this.slack;
  }

  toBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.stuck = true;
    this.button.hidden = true;
  }

  changed(records) {
    if (this.stuck) {
      this.toBottom();
      return;
    }
    const bottom = this.scroller.scrollTop + this.scroller.clientHeight;
    const below = records.some((r) =>
      [...r.addedNodes].some((n) => n.nodeType === 1 && n.matches("li.message") && n.offsetTop >= bottom - this.slack),
    );
    if (below) this.button.hidden = false;
  }
}

// --- timeouts with a warning (WCAG 2.2.1) ---------------------------------------------

/**
 * A time limit the user can extend: `onWarn` comes `warnMs` before the end
 * (show a dialog with "Continue"), `onEnd` at the end. `reset()` starts over,
 * `pause()` stops the clock (e.g. while waiting in a queue).
 */
export class IdleTimer {
  constructor({ timeoutMs, warnMs, onWarn, onEnd }) {
    this.timeoutMs = timeoutMs;
    this.warnMs = Math.min(warnMs, timeoutMs / 2);
    this.onWarn = onWarn;
    this.onEnd = onEnd;
    this.deadline = null;
    this.warnTimer = null;
    this.endTimer = null;
  }

  reset() {
    this.setDeadline(Date.now() + this.timeoutMs);
  }

  pause() {
    clearTimeout(this.warnTimer);
    clearTimeout(this.endTimer);
    this.deadline = null;
  }

  get running() {
    return this.deadline !== null;
  }

  setDeadline(deadline) {
    this.pause();
    this.deadline = deadline;
    const left = deadline - Date.now();
    this.warnTimer = setTimeout(() => this.onWarn(this.deadline), Math.max(0, left - this.warnMs));
    this.endTimer = setTimeout(() => this.onEnd(), Math.max(0, left));
  }
}

/** A <dialog> that counts down to `deadline` in its `[data-countdown]` element. */
export class CountdownDialog {
  constructor(dialog, { onContinue }) {
    this.dialog = dialog;
    this.countdown = dialog.querySelector("[data-countdown]");
    this.timer = null;
    dialog.querySelector("[data-continue]").addEventListener("click", () => onContinue());
    // Escape closes a modal dialog: that is "continue" too, not "end now".
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      onContinue();
    });
  }

  get open() {
    return this.dialog.open;
  }

  show(deadline) {
    const tick = () => {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      this.countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    };
    tick();
    clearInterval(this.timer);
    this.timer = setInterval(tick, 1000);
    if (!this.dialog.open) this.dialog.showModal();
  }

  hide() {
    clearInterval(this.timer);
    if (this.dialog.open) this.dialog.close();
  }
}

/**
 * The CSRF token the browser holds now. Identification renews it in another
 * window after a page was rendered, so forms and requests read it at send time.
 */
export function csrfToken(cookieName = "csrftoken") {
  const cookie = document.cookie.split("; ").find((c) => c.startsWith(`${cookieName}=`));
  if (cookie) return decodeURIComponent(cookie.slice(cookieName.length + 1));
  return document.querySelector('input[name="csrfmiddlewaretoken"]')?.value || "";
}

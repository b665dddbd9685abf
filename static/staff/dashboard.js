// The professional's dashboard: live queues, tabs of active chats, composer
// with ready replies, internal notes, transfer and close; all over the staff
// socket (docs/protocol.md) through the shared module. Rebuilt from the
// server's `hello` on every reconnect.
//
//   queues.js   the queues of my services
//   chats.js    the tabs and panes of my chats
//   session.js  keeping the staff session alive while the dashboard is in use

import { Connection, Outbox, RETRYABLE, fmt, readConfig } from "../js/chatsocket.js";
import { Chats } from "./chats.js";
import { Queues } from "./queues.js";
import { SessionKeeper } from "./session.js";

const config = readConfig("dashboard-config");
const S = config.strings;
const $ = (id) => document.getElementById(id);
let cue = localStorage.getItem("chatservice.cue") !== "off";

// --- the status line: says what happened, then clears ---------------------------
const status = {
  el: $("announcer"),
  kind: null,
  timer: null,
  say(text, kind = "info") {
    this.el.textContent = text;
    this.kind = kind;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.clear(), config.status_seconds * 1000);
  },
  clear(kind) {
    if (kind && this.kind !== kind) return;
    clearTimeout(this.timer);
    this.el.textContent = "";
    this.kind = null;
  },
};

const connection = new Connection({
  path: config.socket_path,
  onFrame: (frame) => handlers[frame.type]?.(frame),
  onStatus: (up) => {
    $("connection-banner").hidden = up;
    if (!up) {
      for (const [clientId, { conversation }] of outbox.entries) {
        const chat = chats.get(conversation);
        chat?.list.setState(chat.list.item(clientId), "not_sent");
      }
    }
  },
  onClose: (code) => {
    if (code === config.close_codes.session_ended) {
      location.reload(); // the session ended: the login page follows
      return true;
    }
    return false;
  },
});

const outbox = new Outbox({
  key: `chatservice.staff.outbox.${config.user_id}`,
  generation: () => connection.generation,
  send: (clientId, { conversation, body }) => {
    const sent = connection.live && connection.send({ type: "message.send", conversation, client_id: clientId, body });
    const chat = chats.get(conversation);
    chat?.list.setState(chat.list.item(clientId), sent ? "sending" : "not_sent");
    return sent;
  },
});

const chats = new Chats({ config, strings: S, connection, outbox, status });
const queues = new Queues({
  root: $("queues"),
  config,
  strings: S,
  onTake: (id) => connection.send({ type: "conversation.claim", conversation: id }),
});
queues.render();

function arrivalCue(summary) {
  status.say(fmt(S.new_arrival, { service: queues.serviceName.get(summary.service) || "" }), "arrival");
  if (!cue) return;
  document.body.classList.add("flash");
  setTimeout(() => document.body.classList.remove("flash"), 1500);
  try {
    const audio = new AudioContext();
    const tone = audio.createOscillator();
    tone.frequency.value = 660;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.15);
  } catch {
    // no audio device: the visual cue and the announcement remain
  }
}

function showPresence(presence) {
  for (const radio of document.querySelectorAll("#presence input[name=presence]")) radio.checked = radio.value === presence;
}

/** Messages kept from before a reload wait, as not sent, in their chat. */
function restoreOutbox(chat) {
  for (const [clientId, { conversation, body }] of outbox.entries) {
    if (conversation !== chat.summary.id || chat.list.item(clientId)) continue;
    chat.list.setState(chat.list.pending({ clientId, body, authorName: config.user_name }), "not_sent");
  }
}

// --- frames --------------------------------------------------------------------------
const handlers = {
  hello(frame) {
    // Arriving on the dashboard makes the professional available, unless they
    // chose otherwise earlier in this browser session.
    const wanted = sessionStorage.getItem("chatservice.presence") || "available";
    showPresence(frame.user.presence);
    if (frame.user.presence !== wanted) connection.send({ type: "presence.set", presence: wanted });
    queues.reset(frame.queue);
    if (!queues.size) status.clear("arrival");
    const active = new Set(frame.active.map((c) => c.id));
    for (const id of chats.ids) if (!active.has(id)) chats.close(id);
    for (const summary of frame.active) {
      const known = chats.get(summary.id);
      if (known) {
        known.update(summary);
        known.sync(); // from the highest seq shown without a gap
      } else {
        restoreOutbox(chats.open(summary));
      }
    }
    // Messages for conversations that are no longer mine cannot be sent.
    for (const [clientId, { conversation }] of outbox.entries) if (!active.has(conversation)) outbox.done(clientId);
  },
  "conversation.changed"({ change, conversation: c }) {
    const arrived = queues.update(c);
    if (arrived && change === "created") arrivalCue(c);
    if (!queues.size) status.clear("arrival");
    const mine = c.assigned_to === config.user_id && c.status === "active";
    if (mine) {
      const isNew = !chats.has(c.id);
      chats.open(c);
      if (isNew && change === "claimed") chats.select(c.id);
      if (isNew && change === "transferred") status.say(fmt(S.transferred_to_you, { name: c.resident_name }));
      if (change === "idle_flagged") chats.get(c.id).flagIdle(true);
    } else if (chats.has(c.id)) {
      status.say(c.status === "closed" ? S.closed : S.transferred_away);
      chats.close(c.id);
    }
  },
  "conversation.detail"(detail) {
    chats.get(detail.conversation.id)?.showDetail(detail);
  },
  "crisis.matches"({ conversation, matches }) {
    chats.get(conversation)?.addCrisisMatches(matches);
  },
  "message.new"(m) {
    const chat = chats.get(m.conversation);
    if (!chat) return;
    const li = chat.list.show(m);
    if (!li) return;
    chat.flagIdle(false);
    if (m.author_kind === "resident") chat.highlightCrisis();
    if (m.author_kind === "staff") {
      outbox.done(m.client_id);
    } else {
      chat.$(".typing").hidden = true;
      chat.acknowledgeShown();
      if (m.author_kind === "resident") chats.noteUnread(chat);
    }
  },
  "message.ack"(frame) {
    outbox.done(frame.client_id);
    const chat = chats.get(frame.conversation);
    if (!chat) return;
    chat.list.acked(frame);
    if (frame.masked) chat.list.notice(S.masked);
  },
  "message.delivered"({ conversation, seq }) {
    chats.get(conversation)?.list.delivered(seq);
  },
  "video.state"(frame) {
    chats.get(frame.conversation)?.videoState(frame);
  },
  "video.config"(frame) {
    chats.get(frame.conversation)?.video.config(frame);
  },
  "video.signal"(frame) {
    chats.get(frame.conversation)?.video.signal(frame);
  },
  "identity.verified"({ conversation, person }) {
    chats.get(conversation)?.showPerson(person);
  },
  "identity.revealed"({ conversation, identity_code }) {
    chats.get(conversation)?.showCode(identity_code);
  },
  "note.new"(note) {
    chats.get(note.conversation)?.renderNote(note);
  },
  typing({ conversation, active }) {
    const chat = chats.get(conversation);
    if (chat) chat.$(".typing").hidden = !active;
  },
  "presence.changed"({ presence }) {
    showPresence(presence);
  },
  "sync.done"({ conversation }) {
    outbox.flush((entry) => entry.conversation === conversation);
    const chat = chats.get(conversation);
    if (!chat) return;
    chat.loaded = true;
    chat.acknowledgeShown();
  },
  error({ code, message, client_id, retry_after }) {
    if (client_id && outbox.has(client_id)) {
      const { conversation } = outbox.entries.get(client_id);
      const chat = chats.get(conversation);
      const li = chat?.list.item(client_id);
      if (RETRYABLE.has(code)) {
        // Nothing was stored: the same message goes again on this socket.
        chat?.list.setState(li, "retrying");
        outbox.retryLater(client_id, (retry_after || 0) * 1000);
        return;
      }
      outbox.done(client_id);
      chat?.list.setState(li, "failed", fmt(S.failed, { reason: message }));
      return;
    }
    // Also a limited request without a message of its own (identification, video):
    // the server's text says to wait a moment, in the professional's language.
    status.say(fmt(S.error, { reason: message }), "error");
    if (code === "already_claimed") queues.render();
  },
  pong() {},
};

// --- page controls ----------------------------------------------------------------------
$("presence").addEventListener("change", (event) => {
  if (event.target.name !== "presence") return;
  sessionStorage.setItem("chatservice.presence", event.target.value);
  connection.send({ type: "presence.set", presence: event.target.value });
});
$("cue-toggle").checked = cue;
$("cue-toggle").addEventListener("change", (event) => {
  cue = event.target.checked;
  localStorage.setItem("chatservice.cue", cue ? "on" : "off");
});

document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const chat = chats.currentChat;
  // By physical key: Alt with a letter or digit types other characters on some layouts.
  const key = /^(Key|Digit)/.test(event.code) ? event.code.replace(/^(Key|Digit)/, "").toLowerCase() : event.key.toLowerCase();
  if (key === "t") {
    const oldest = queues.oldest();
    if (oldest) connection.send({ type: "conversation.claim", conversation: oldest.id });
  } else if (/^[1-9]$/.test(key)) {
    const id = chats.ids[Number(key) - 1];
    if (id === undefined) return;
    chats.select(id, { focusTab: true });
  } else if (key === "m" && chat) {
    chat.input.focus();
  } else if (key === "n" && chat) {
    chat.$(".note-form textarea").focus();
  } else {
    return;
  }
  event.preventDefault();
});

new SessionKeeper({
  session: config.session,
  urls: config.urls,
  connection,
  dialog: $("session-warning"),
  csrfToken: document.querySelector("#keepalive [name=csrfmiddlewaretoken]").value,
  logoutForm: document.querySelector("form.logout"),
}).start();

connection.start();

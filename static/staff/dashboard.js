// The professional's dashboard: live queues, tabs of active chats, composer
// with ready replies, internal notes, transfer and close; all over the staff
// socket (docs/protocol.md). Rebuilt from the server's `hello` on reconnect.

const config = JSON.parse(document.getElementById("dashboard-config").textContent);
const S = config.strings;
const $ = (id) => document.getElementById(id);
const fmt = (text, values) => text.replace(/%\((\w+)\)s/g, (_, key) => values[key]);
const serviceName = new Map(config.services.map((s) => [s.id, s.name]));

let socket = null;
let backoff = 500;
const queue = new Map(); // id -> summary
const chats = new Map(); // id -> {summary, pane, tab, lastSeq, unread, detail}
let current = null;
let cue = localStorage.getItem("chatservice.cue") !== "off";

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function announce(text) {
  $("announcer").textContent = text;
}

// --- queues ------------------------------------------------------------------
function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
}

function renderQueues() {
  const root = $("queues");
  root.replaceChildren();
  for (const serviceId of config.my_services) {
    const section = document.createElement("section");
    section.className = "queue";
    const h = document.createElement("h2");
    const waiting = [...queue.values()].filter((c) => c.service === serviceId);
    h.textContent = `${serviceName.get(serviceId)} (${waiting.length})`;
    const list = document.createElement("ol");
    list.className = "queue-list";
    for (const c of waiting.sort((a, b) => Date.parse(a.created) - Date.parse(b.created))) {
      const li = document.createElement("li");
      li.dataset.conversation = c.id;
      const who = document.createElement("p");
      who.className = "who";
      const name = document.createElement("strong");
      name.textContent = c.resident_name;
      who.append(name, ` · ${c.language.toUpperCase()} · ${fmt(S.waiting_for, { minutes: minutesSince(c.created) })}`);
      const matter = document.createElement("p");
      matter.className = "matter";
      matter.textContent = c.matter;
      const take = document.createElement("button");
      take.type = "button";
      take.className = "primary take";
      take.textContent = S.take;
      take.setAttribute("aria-label", `${S.take}: ${c.resident_name}`);
      take.addEventListener("click", () => send({ type: "conversation.claim", conversation: c.id }));
      li.append(who, matter, take);
      list.append(li);
    }
    if (!waiting.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = S.no_waiting;
      list.append(li);
    }
    section.append(h, list);
    root.append(section);
  }
}

function arrivalCue(summary) {
  announce(fmt(S.new_arrival, { service: serviceName.get(summary.service) }));
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

// --- chats -------------------------------------------------------------------
function fillSelect(select, options) {
  for (const { value, label } of options) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.append(option);
  }
}

function openChat(summary) {
  if (chats.has(summary.id)) return chats.get(summary.id);
  const pane = $("pane-template").content.firstElementChild.cloneNode(true);
  pane.id = `pane-${summary.id}`;
  const tab = document.createElement("button");
  tab.type = "button";
  tab.setAttribute("role", "tab");
  tab.id = `tab-${summary.id}`;
  tab.setAttribute("aria-controls", pane.id);
  pane.setAttribute("aria-labelledby", tab.id);
  $("chat-tabs").append(tab);
  $("chat-panes").append(pane);
  const chat = { summary, pane, tab, lastSeq: 0, unread: 0 };
  chats.set(summary.id, chat);
  renderTab(chat);
  tab.addEventListener("click", () => select(summary.id));
  wirePane(chat);
  send({ type: "conversation.open", conversation: summary.id });
  send({ type: "sync", conversation: summary.id, after_seq: 0 });
  $("no-active").hidden = true;
  if (!current) select(summary.id);
  return chat;
}

function renderTab(chat) {
  const { summary, tab, unread } = chat;
  tab.textContent = summary.resident_name + (summary.resident_left ? " ⏏" : "");
  if (unread) {
    const badge = document.createElement("span");
    badge.className = "unread";
    badge.textContent = fmt(S.unread, { count: unread });
    tab.append(" ", badge);
  }
}

function select(id) {
  current = id;
  for (const [cid, chat] of chats) {
    const on = cid === id;
    chat.tab.setAttribute("aria-selected", on ? "true" : "false");
    chat.tab.tabIndex = on ? 0 : -1;
    chat.pane.hidden = !on;
    if (on) {
      chat.unread = 0;
      renderTab(chat);
    }
  }
}

function closeChat(id) {
  const chat = chats.get(id);
  if (!chat) return;
  chat.tab.remove();
  chat.pane.remove();
  chats.delete(id);
  if (current === id) {
    current = null;
    const next = chats.keys().next();
    if (!next.done) select(next.value);
  }
  $("no-active").hidden = chats.size > 0;
}

function wirePane(chat) {
  const { pane, summary } = chat;
  const composer = pane.querySelector(".composer");
  const input = composer.querySelector("textarea");
  const canned = composer.querySelector(".canned");
  const replies = config.canned_replies.filter(
    (r) => (r.service === null || r.service === summary.service) && r.language === summary.language,
  );
  fillSelect(canned, replies.map((r, i) => ({ value: i, label: `/${r.shortcut} – ${r.title}` })));
  const insert = (reply) => {
    input.value = reply.body.replaceAll("{name}", config.user_name);
    input.focus();
  };
  canned.addEventListener("change", () => {
    if (canned.value !== "") insert(replies[Number(canned.value)]);
    canned.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && input.value.startsWith("/")) {
      const reply = replies.find((r) => `/${r.shortcut}` === input.value.trim());
      if (reply) {
        event.preventDefault();
        insert(reply);
      }
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  let typing = false;
  let typingTimer = null;
  input.addEventListener("input", () => {
    if (!typing && input.value.trim()) typing = send({ type: "typing.start", conversation: summary.id });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => {
      if (typing) send({ type: "typing.stop", conversation: summary.id });
      typing = false;
    }, 3000);
  });
  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = input.value.trim();
    if (!body) return;
    const clientId = newId();
    const li = renderMessage(chat, { client_id: clientId, author_kind: "staff", author_name: S.you, body });
    setState(li, "sending");
    send({ type: "message.send", conversation: summary.id, client_id: clientId, body });
    input.value = "";
  });

  const noteForm = pane.querySelector(".note-form");
  noteForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const area = noteForm.querySelector("textarea");
    if (!area.value.trim()) return;
    send({ type: "note.add", conversation: summary.id, client_id: newId(), body: area.value.trim() });
    area.value = "";
  });

  const transfer = pane.querySelector(".transfer-form");
  fillSelect(transfer.elements.to_service, config.services.map((s) => ({ value: s.id, label: s.name })));
  fillSelect(transfer.elements.to_professional, config.colleagues.map((c) => ({ value: c.id, label: c.name })));
  transfer.addEventListener("submit", (event) => {
    event.preventDefault();
    const toService = transfer.elements.to_service.value;
    const toPro = transfer.elements.to_professional.value;
    if (!toService === !toPro) return transfer.elements.to_service.focus();
    send({
      type: "conversation.transfer",
      conversation: summary.id,
      ...(toService ? { to_service: Number(toService) } : { to_professional: Number(toPro) }),
      note: transfer.elements.note.value,
    });
  });

  const close = pane.querySelector(".close-form");
  fillSelect(close.elements.reason, config.close_reasons.map((r) => ({ value: r.code, label: r.label })));
  close.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!close.elements.reason.value) return close.elements.reason.focus();
    send({ type: "conversation.close", conversation: summary.id, reason: close.elements.reason.value });
  });
}

function messageItem(chat, clientId) {
  return chat.pane.querySelector(`.messages li[data-client-id="${CSS.escape(clientId)}"]`);
}

function renderMessage(chat, m) {
  let li = messageItem(chat, m.client_id);
  if (!li) {
    li = document.createElement("li");
    li.className = `message from-${m.author_kind}`;
    li.dataset.clientId = m.client_id;
    const meta = document.createElement("p");
    meta.className = "meta";
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = m.author_kind === "resident" ? chat.summary.resident_name : m.author_name;
    const state = document.createElement("span");
    state.className = "state";
    meta.append(author, " ", state);
    const body = document.createElement("p");
    body.className = "body";
    li.append(meta, body);
    chat.pane.querySelector(".messages").append(li);
  }
  li.querySelector(".body").textContent = m.body;
  if (m.seq) li.dataset.seq = m.seq;
  return li;
}

function setState(li, state) {
  li.dataset.state = state;
  li.querySelector(".state").textContent = S[state] || "";
}

function renderNote(note) {
  const chat = chats.get(note.conversation);
  if (!chat || chat.pane.querySelector(`.notes li[data-id="${note.id}"]`)) return;
  const li = document.createElement("li");
  li.dataset.id = note.id;
  const who = document.createElement("strong");
  who.textContent = `${note.author_name}: `;
  li.append(who, note.body);
  chat.pane.querySelector(".notes").append(li);
}

function showDetail(detail) {
  const chat = chats.get(detail.conversation.id);
  if (!chat) return;
  const d = detail.conversation;
  chat.pane.querySelector(".pane-title").textContent = d.resident_name;
  const set = (field, value) => (chat.pane.querySelector(`[data-field="${field}"]`).textContent = value);
  set("phone", detail.resident_phone);
  set("service", detail.service_name);
  set("language", d.language.toUpperCase());
  set("matter", d.matter);
  chat.pane.querySelector(".pane-left").hidden = !d.resident_left;
  detail.notes.forEach(renderNote);
}

// --- socket --------------------------------------------------------------------
const handlers = {
  hello(frame) {
    backoff = 500;
    $("connection-banner").hidden = true;
    // Arriving on the dashboard makes the professional available, unless they
    // chose otherwise earlier in this browser session.
    const wanted = sessionStorage.getItem("chatservice.presence") || "available";
    $("presence").value = frame.user.presence;
    if (frame.user.presence !== wanted) send({ type: "presence.set", presence: wanted });
    queue.clear();
    frame.queue.forEach((c) => queue.set(c.id, c));
    renderQueues();
    const active = new Set(frame.active.map((c) => c.id));
    for (const id of [...chats.keys()]) if (!active.has(id)) closeChat(id);
    for (const summary of frame.active) {
      const chat = chats.get(summary.id);
      if (chat) send({ type: "sync", conversation: summary.id, after_seq: chat.lastSeq });
      else openChat(summary);
    }
  },
  "conversation.changed"({ change, conversation: c }) {
    if (c.status === "waiting" && config.my_services.includes(c.service)) {
      const isNew = !queue.has(c.id);
      queue.set(c.id, c);
      if (isNew && change === "opened") arrivalCue(c);
    } else {
      queue.delete(c.id);
    }
    renderQueues();
    const mine = c.assigned_to === config.user_id && c.status === "active";
    if (mine) {
      const chat = openChat(c);
      chat.summary = c;
      renderTab(chat);
      chat.pane.querySelector(".pane-left").hidden = !c.resident_left;
      if (change === "claimed") select(c.id);
    } else if (chats.has(c.id)) {
      announce(c.status === "closed" ? S.closed : S.transferred_away);
      closeChat(c.id);
    }
  },
  "conversation.detail": showDetail,
  "message.new"(m) {
    const chat = chats.get(m.conversation);
    if (!chat || m.seq <= chat.lastSeq) return;
    chat.lastSeq = m.seq;
    const li = renderMessage(chat, m);
    if (m.author_kind === "staff") {
      if (li.dataset.state !== "delivered") setState(li, "sent");
    } else {
      chat.pane.querySelector(".typing").hidden = true;
      send({ type: "message.received", conversation: m.conversation, seq: m.seq });
      if (current !== m.conversation) {
        chat.unread += 1;
        renderTab(chat);
      }
    }
  },
  "message.ack"({ conversation, client_id }) {
    const chat = chats.get(conversation);
    const li = chat && messageItem(chat, client_id);
    if (li && li.dataset.state !== "delivered") setState(li, "sent");
  },
  "message.delivered"({ conversation, seq }) {
    const chat = chats.get(conversation);
    if (!chat) return;
    for (const li of chat.pane.querySelectorAll("li.from-staff[data-seq]")) {
      if (Number(li.dataset.seq) <= seq) setState(li, "delivered");
    }
  },
  "note.new": renderNote,
  typing({ conversation, active }) {
    const chat = chats.get(conversation);
    if (chat) chat.pane.querySelector(".typing").hidden = !active;
  },
  "presence.changed"({ presence }) {
    $("presence").value = presence;
  },
  error({ code, message }) {
    announce(fmt(S.error, { reason: message }));
    if (code === "already_claimed") renderQueues();
  },
  "sync.done"() {},
  pong() {},
};

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}${config.socket_path}`);
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    handlers[frame.type]?.(frame);
  });
  socket.addEventListener("close", (event) => {
    if (event.code === 4401) {
      location.reload(); // the session ended: the login page follows
      return;
    }
    $("connection-banner").hidden = false;
    setTimeout(connect, backoff + Math.random() * backoff * 0.3);
    backoff = Math.min(backoff * 2, 15000);
  });
}

// --- page controls ---------------------------------------------------------------
$("presence").addEventListener("change", (event) => {
  sessionStorage.setItem("chatservice.presence", event.target.value);
  send({ type: "presence.set", presence: event.target.value });
});
$("cue-toggle").checked = cue;
$("cue-toggle").addEventListener("change", (event) => {
  cue = event.target.checked;
  localStorage.setItem("chatservice.cue", cue ? "on" : "off");
});

document.addEventListener("keydown", (event) => {
  if (!event.altKey) return;
  const chat = current && chats.get(current);
  if (event.key === "t" || event.key === "T") {
    const oldest = [...queue.values()].sort((a, b) => Date.parse(a.created) - Date.parse(b.created))[0];
    if (oldest) send({ type: "conversation.claim", conversation: oldest.id });
  } else if (/^[1-9]$/.test(event.key)) {
    const id = [...chats.keys()][Number(event.key) - 1];
    if (id) {
      select(id);
      chats.get(id).tab.focus();
    }
  } else if ((event.key === "m" || event.key === "M") && chat) {
    chat.pane.querySelector(".composer textarea").focus();
  } else if ((event.key === "n" || event.key === "N") && chat) {
    chat.pane.querySelector(".note-form textarea").focus();
  } else {
    return;
  }
  event.preventDefault();
});

// Arrow keys move between tabs (WAI-ARIA tabs pattern).
$("chat-tabs").addEventListener("keydown", (event) => {
  if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
  const ids = [...chats.keys()];
  const next = ids[(ids.indexOf(current) + (event.key === "ArrowRight" ? 1 : ids.length - 1)) % ids.length];
  select(next);
  chats.get(next).tab.focus();
});

// Keep the staff session alive while the professional works; an idle one expires.
let active = false;
for (const name of ["keydown", "pointerdown"]) document.addEventListener(name, () => (active = true), { passive: true });
setInterval(() => {
  if (!active) return;
  active = false;
  const token = document.querySelector("#keepalive [name=csrfmiddlewaretoken]").value;
  fetch($("keepalive").action, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" });
}, 60000);
setInterval(renderQueues, 30000);

connect();

// The professional's open chats: one tab and one pane per conversation, with
// the messages, the composer (ready replies), the resident's details, internal
// notes, transfer and close.

import { MessageList, ScrollFollower, fmt, formatTime, newClientId, readConfig } from "../js/chatsocket.js";
import { FileSender } from "../js/upload.js";
import { ConnectionCheck, VideoCall } from "../js/videocall.js";
import { CallbackBox } from "../callbacks/staff.js";

// The file control's settings (templates/staff/dashboard.html): read once.
let attachConfig = null;

const languageNames = (() => {
  try {
    return new Intl.DisplayNames([document.documentElement.lang || "sv"], { type: "language" });
  } catch {
    return null;
  }
})();

function fillSelect(select, options) {
  for (const { value, label } of options) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.append(option);
  }
}

class Chat {
  constructor(chats, summary) {
    const { config, S } = chats;
    this.chats = chats;
    this.summary = summary;
    this.unread = 0;
    this.receiptSent = 0;
    this.loaded = false; // the first replay (the history) is done: later messages are new
    this.pane = document.getElementById("pane-template").content.firstElementChild.cloneNode(true);
    this.pane.id = `pane-${summary.id}`;
    this.tab = document.createElement("button");
    this.tab.type = "button";
    this.tab.setAttribute("role", "tab");
    this.tab.id = `tab-${summary.id}`;
    this.tab.setAttribute("aria-controls", this.pane.id);
    this.tab.tabIndex = -1;
    this.pane.setAttribute("aria-labelledby", this.tab.id);
    const peerSeen = summary.peer_seen_seq ?? summary.resident_seen_seq ?? 0;
    this.list = new MessageList({
      list: this.$(".messages"),
      template: document.getElementById("message-template"),
      own: "staff",
      label: (m) => (m.author_kind === "resident" ? this.summary.resident_name : m.author_name),
      states: S,
      peerSeen,
    });
    this.follower = new ScrollFollower(this.$(".messages"), this.$(".new-messages"));
    this.input = this.$(".composer textarea");
    this.input.id = `composer-${summary.id}`;
    this.$(".composer-warning").id = `composer-warning-${summary.id}`;
    this.$(".pane-left").id = `pane-left-${summary.id}`;
    this.$(".composer .help").id = `${this.pane.id}-help`;
    this.identifyLabel = this.$(".identify").textContent;
    this.files = this.fileSender();
    const videoRoot = this.$("[data-video-root]");
    videoRoot.querySelector("h2").id = `video-heading-${summary.id}`;
    videoRoot.setAttribute("aria-labelledby", `video-heading-${summary.id}`);
    this.video = new VideoCall({
      root: videoRoot,
      send: (frame) => chats.connection.send({ ...frame, conversation: summary.id }),
      strings: S,
      offerer: false,
    });
    new ConnectionCheck({
      root: this.$("[data-check-root]"),
      strings: S,
      url: config.urls.video_check,
      csrfCookie: config.csrf_cookie,
    });
    this.crisisMatches = []; // where crisis phrases were found (crisis.matches), to highlight
    this.callback = new CallbackBox({
      root: this.$(".callback-box"),
      id: summary.id,
      send: (frame) => chats.connection.send(frame) || chats.status.say(S.connection_lost),
    });
    this.wire(config, S);
    this.update(summary);
  }

  /** crisis.matches: remember them and highlight what is shown. */
  addCrisisMatches(matches) {
    this.crisisMatches.push(...matches);
    this.highlightCrisis();
  }

  /** Mark the found words in the matter and in the messages shown so far. */
  highlightCrisis() {
    if (!this.summary.crisis_phrase) {
      // Cleared: the highlights go with the flag.
      this.crisisMatches = [];
      for (const mark of this.pane.querySelectorAll("mark.crisis-words")) {
        const parent = mark.parentNode;
        mark.replaceWith(mark.textContent);
        parent.normalize();
      }
    }
    for (const m of this.crisisMatches) {
      const body = m.source === "intake" ? this.$('[data-field="matter"]') : this.list.bySeq(m.seq)?.querySelector(".body");
      if (!body || body.querySelector("mark.crisis-words")) continue;
      const text = body.textContent;
      if (m.end > text.length || m.start >= m.end) continue;
      const mark = document.createElement("mark");
      mark.className = "crisis-words";
      mark.textContent = text.slice(m.start, m.end);
      body.replaceChildren(text.slice(0, m.start), mark, text.slice(m.end));
    }
  }

  /** Sending a file to the resident: once they are identified (the server checks). */
  fileSender() {
    attachConfig ??= readConfig("attach-config");
    const id = this.summary.id;
    const help = this.$(".attach-help");
    help.id = `attach-help-${id}`;
    this.$(".attach-button").setAttribute("aria-describedby", help.id);
    const progress = this.$(".upload-progress-bar");
    progress.id = `upload-progress-${id}`;
    this.$(".upload-progress-label").htmlFor = progress.id;
    return new FileSender({
      config: attachConfig,
      url: () => attachConfig.upload_url.replace("/0/", `/${id}/`),
      elements: {
        button: this.$(".attach-button"),
        input: this.$(".attach-input"),
        help,
        progressBox: this.$(".upload-progress"),
        progress,
        progressLabel: this.$(".upload-progress-label"),
        cancel: this.$(".upload-cancel"),
        status: this.$(".upload-status"),
        error: this.$(".upload-error"),
        dropZone: this.$(".messages-frame"),
      },
      available: () => {
        if (this.summary.resident_left) return help.dataset.left;
        if (!this.summary.identified) return help.dataset.notIdentified;
        return null;
      },
      onSent: () => this.follower.toBottom(),
    });
  }

  $(selector) {
    return this.pane.querySelector(selector);
  }

  set(field, value) {
    for (const el of this.pane.querySelectorAll(`[data-field="${field}"]`)) el.textContent = value;
  }

  /** A new summary (hello, conversation.changed): title, tab, flags. */
  update(summary) {
    const { S } = this.chats;
    this.summary = { ...this.summary, ...summary };
    const c = this.summary;
    const peerSeen = c.peer_seen_seq ?? c.resident_seen_seq;
    if (peerSeen) this.list.delivered(peerSeen);
    this.$(".pane-title").textContent = c.resident_name;
    this.set("name", c.resident_name);
    this.set("service", this.chats.serviceName.get(c.service) || "");
    this.set("language", c.language.toUpperCase());
    this.set("language-name", languageNames?.of(c.language) || c.language.toUpperCase());
    this.set("matter", c.matter);
    const created = this.$('[data-field="created"]');
    created.dateTime = c.created;
    created.textContent = fmt(S.since, { time: formatTime(c.created) });
    // Missing `resident_connected` (an older server) counts as connected.
    const connected = c.resident_connected !== false;
    this.set("connected", c.resident_left ? S.resident_left_short : connected ? S.connected : S.not_connected);
    this.$(".pane-left").hidden = !c.resident_left;
    const warning = this.$(".composer-warning");
    warning.textContent = c.resident_left ? S.composer_left : connected ? "" : S.composer_offline;
    warning.hidden = !warning.textContent;
    const describedBy = [warning.hidden ? null : warning.id, `${this.pane.id}-help`].filter(Boolean);
    this.input.setAttribute("aria-describedby", describedBy.join(" "));
    this.renderIdentification();
    this.callback?.update(c);
    this.files?.refresh();
    const crisis = this.$(".pane-crisis");
    crisis.hidden = !c.crisis_phrase;
    this.set("crisis-phrase", c.crisis_phrase || "");
    this.highlightCrisis();
    this.renderTab();
  }

  renderTab() {
    const { S } = this.chats;
    const c = this.summary;
    const name = document.createElement("span");
    name.className = "tab-name";
    name.textContent = c.resident_name;
    const parts = [name];
    if (c.crisis_phrase) {
      const flag = document.createElement("span");
      flag.className = "crisis-flag";
      flag.textContent = S.crisis;
      parts.push(" ", flag);
    }
    if (c.resident_left || c.resident_connected === false) {
      const flag = document.createElement("span");
      flag.className = "tab-flag";
      flag.textContent = c.resident_left ? S.resident_left_short : S.not_connected;
      parts.push(" ", flag);
    }
    if (this.idle) {
      const flag = document.createElement("span");
      flag.className = "tab-flag";
      flag.textContent = S.idle;
      parts.push(" ", flag);
    }
    if (this.unread) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = fmt(S.unread, { count: this.unread });
      parts.push(" ", badge);
    }
    this.tab.replaceChildren(...parts);
  }

  /** Start following: details (audited) and the messages from where this pane is. */
  follow() {
    const { connection } = this.chats;
    connection.send({ type: "conversation.open", conversation: this.summary.id });
    this.sync();
  }

  sync() {
    this.receiptSent = 0;
    this.chats.connection.send({ type: "sync", conversation: this.summary.id, after_seq: this.list.contiguous });
  }

  /** Tell the resident's page what this one has shown (up to the first gap). */
  acknowledgeShown() {
    const seq = this.list.contiguous;
    if (seq > this.receiptSent && this.chats.connection.send({ type: "message.received", conversation: this.summary.id, seq })) {
      this.receiptSent = seq;
    }
  }

  showDetail(detail) {
    this.update(detail.conversation);
    this.set("phone", detail.resident_phone);
    if (detail.service_name) this.set("service", detail.service_name);
    for (const note of detail.notes || []) this.renderNote(note);
    if (detail.person) this.showPerson(detail.person);
  }

  /** The identification request's state, from the summary (conversation.changed). */
  renderIdentification() {
    const { S } = this.chats;
    const c = this.summary;
    const box = this.$(".identity-box");
    box.dataset.state = c.identification || "";
    const reason = S[`failure_${c.identification_failure}`] || c.identification_failure;
    const text = {
      requested: S.ident_requested,
      started: S.ident_started,
      completed: S.ident_completed,
      failed: fmt(S.ident_failed, { reason }),
      cancelled: c.identification_failure === "cancelled" ? S.ident_cancelled : fmt(S.ident_failed, { reason }),
      expired: S.ident_expired,
    }[c.identification];
    // An identified person stays identified whatever a later request did.
    const prefix = c.identified && c.identification !== "completed" ? `${S.ident_completed} ` : "";
    this.set("identification", text ? prefix + text : S.ident_none);
    this.$(".identify").textContent = c.identified ? S.ident_again : this.identifyLabel;
  }

  /** The idle sweep flagged the conversation (nobody wrote for a long time); the next message clears it. */
  flagIdle(on) {
    if (this.idle === on) return;
    this.idle = on;
    const note = this.$(".pane-idle");
    note.hidden = !on;
    this.renderTab();
  }

  /** video.state: the call's state; once the resident allows, this side joins. */
  videoState({ state }) {
    const { S } = this.chats;
    const text = {
      requested: S.video_requested,
      accepted: S.video_accepted,
      active: S.video_active,
      declined: S.video_declined,
      expired: S.video_expired,
      ended: S.video_ended,
    }[state];
    this.set("video", text || "");
    this.$(".video").disabled = ["requested", "accepted", "active"].includes(state);
    if ((state === "accepted" || state === "active") && !this.video.joined) this.video.join();
    if (state === "ended") this.video.end();
  }

  /** The verified person (identity.verified, conversation.detail): never the code itself. */
  showPerson(person) {
    const { S } = this.chats;
    this.person = person;
    this.$(".identity-person").hidden = false;
    this.set("person-name", `${person.given_names} ${person.family_name}`);
    this.set("person-birth", person.birth_date ? new Date(`${person.birth_date}T12:00:00`).toLocaleDateString(document.documentElement.lang) : "–");
    this.set("person-level", S[`level_${person.level}`] || person.level);
    this.hideCode();
  }

  showCode(code) {
    this.set("person-code", code);
    this.$(".reveal").hidden = true;
    clearTimeout(this.codeTimer);
    this.codeTimer = setTimeout(() => this.hideCode(), 60000);
  }

  hideCode() {
    const { S } = this.chats;
    const hasCode = this.person?.has_identity_code;
    this.set("person-code", hasCode ? S.code_hidden : S.code_none);
    this.$(".reveal").hidden = !hasCode;
    this.$(".identity-audit").hidden = !hasCode;
  }

  renderNote(note) {
    if (this.pane.querySelector(`.notes li[data-id="${note.id}"]`)) return;
    const li = document.createElement("li");
    li.dataset.id = note.id;
    const who = document.createElement("p");
    who.className = "meta";
    const author = document.createElement("strong");
    author.textContent = note.author_name;
    const time = document.createElement("time");
    time.dateTime = note.created;
    time.textContent = formatTime(note.created);
    who.append(author, " ", time);
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = note.body;
    li.append(who, body);
    this.$(".notes").append(li);
  }

  wire(config, S) {
    const { connection, outbox } = this.chats;
    const id = this.summary.id;
    const composer = this.$(".composer");
    const input = this.input;
    const canned = this.$(".canned");
    const replies = config.canned_replies.filter(
      (r) => (r.service === null || r.service === this.summary.service) && r.language === this.summary.language,
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
      if (event.key === "Tab" && !event.shiftKey && input.value.startsWith("/")) {
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
      if (!typing && input.value.trim()) typing = connection.send({ type: "typing.start", conversation: id });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => {
        if (typing) connection.send({ type: "typing.stop", conversation: id });
        typing = false;
      }, 3000);
    });
    composer.addEventListener("submit", (event) => {
      event.preventDefault();
      const body = input.value.trim();
      if (!body) return;
      const clientId = newClientId();
      this.list.pending({ clientId, body, authorName: config.user_name });
      this.follower.toBottom();
      outbox.add(clientId, { conversation: id, body });
      input.value = "";
    });

    const noteForm = this.$(".note-form");
    noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const area = noteForm.querySelector("textarea");
      if (!area.value.trim()) return;
      if (connection.send({ type: "note.add", conversation: id, client_id: newClientId(), body: area.value.trim() })) area.value = "";
      else this.chats.status.say(S.connection_lost);
    });

    const transfer = this.$(".transfer-form");
    fillSelect(transfer.elements.to_service, config.services.map((s) => ({ value: s.id, label: s.name })));
    const colleagues = config.colleagues.filter((c) => !c.services || c.services.includes(this.summary.service));
    fillSelect(transfer.elements.to_professional, colleagues.map((c) => ({ value: c.id, label: c.name })));
    transfer.addEventListener("submit", (event) => {
      event.preventDefault();
      const toService = transfer.elements.to_service.value;
      const toPro = transfer.elements.to_professional.value;
      if (!toService === !toPro) return transfer.elements.to_service.focus();
      connection.send({
        type: "conversation.transfer",
        conversation: id,
        ...(toService ? { to_service: Number(toService) } : { to_professional: Number(toPro) }),
        note: transfer.elements.note.value,
      });
    });

    this.$(".identify").addEventListener("click", () => {
      if (!connection.send({ type: "identification.request", conversation: id })) this.chats.status.say(S.connection_lost);
    });
    this.$(".video").addEventListener("click", () => {
      if (!connection.send({ type: "video.request", conversation: id })) this.chats.status.say(S.connection_lost);
    });
    this.$(".crisis-clear").addEventListener("click", () => {
      if (!connection.send({ type: "crisis.clear", conversation: id })) this.chats.status.say(S.connection_lost);
    });
    this.$(".reveal").addEventListener("click", () => {
      if (!connection.send({ type: "identity.reveal", conversation: id })) this.chats.status.say(S.connection_lost);
    });

    const close = this.$(".close-form");
    fillSelect(close.elements.reason, config.close_reasons.map((r) => ({ value: r.code, label: r.label })));
    close.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!close.elements.reason.value) return close.elements.reason.focus();
      connection.send({ type: "conversation.close", conversation: id, reason: close.elements.reason.value });
    });
  }
}

export class Chats {
  constructor({ config, strings, connection, outbox, status }) {
    this.config = config;
    this.S = strings;
    this.connection = connection;
    this.outbox = outbox;
    this.status = status;
    this.serviceName = new Map(config.services.map((s) => [s.id, s.name]));
    this.chats = new Map();
    this.current = null;
    this.tabs = document.getElementById("chat-tabs");
    this.panes = document.getElementById("chat-panes");
    document.addEventListener("visibilitychange", () => {
      const chat = this.currentChat;
      if (document.visibilityState === "visible" && chat?.unread) {
        chat.unread = 0;
        chat.renderTab();
      }
    });
    // Arrow keys move between tabs (WAI-ARIA tabs pattern).
    this.tabs.addEventListener("keydown", (event) => {
      if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
      const ids = this.ids;
      if (!ids.length) return;
      const at = ids.indexOf(this.current);
      const next = {
        ArrowRight: ids[(at + 1) % ids.length],
        ArrowLeft: ids[(at + ids.length - 1) % ids.length],
        Home: ids[0],
        End: ids[ids.length - 1],
      }[event.key];
      event.preventDefault();
      this.select(next, { focusTab: true });
    });
  }

  get ids() {
    return [...this.chats.keys()];
  }

  get(id) {
    return this.chats.get(id);
  }

  has(id) {
    return this.chats.has(id);
  }

  get currentChat() {
    return this.current === null ? null : this.chats.get(this.current);
  }

  open(summary) {
    let chat = this.chats.get(summary.id);
    if (chat) {
      chat.update(summary);
      return chat;
    }
    chat = new Chat(this, summary);
    this.chats.set(summary.id, chat);
    this.tabs.append(chat.tab);
    this.panes.append(chat.pane);
    chat.tab.addEventListener("click", () => this.select(summary.id));
    chat.follow();
    document.getElementById("no-active").hidden = true;
    if (this.current === null) this.select(summary.id);
    else chat.pane.hidden = true;
    return chat;
  }

  select(id, { focusTab = false } = {}) {
    this.current = id;
    for (const [cid, chat] of this.chats) {
      const on = cid === id;
      chat.tab.setAttribute("aria-selected", on ? "true" : "false");
      chat.tab.tabIndex = on ? 0 : -1;
      chat.pane.hidden = !on;
      if (on && chat.unread) {
        chat.unread = 0;
        chat.renderTab();
      }
    }
    if (focusTab) this.chats.get(id)?.tab.focus();
  }

  close(id) {
    const chat = this.chats.get(id);
    if (!chat) return;
    chat.video.end();
    const hadFocus = chat.pane.contains(document.activeElement) || chat.tab === document.activeElement;
    chat.tab.remove();
    chat.pane.remove();
    this.chats.delete(id);
    // Its unsent messages can no longer be sent.
    for (const [clientId, entry] of this.outbox.entries) if (entry.conversation === id) this.outbox.done(clientId);
    if (this.current === id) {
      this.current = null;
      const next = this.ids[0];
      if (next !== undefined) this.select(next, { focusTab: hadFocus });
      else if (hadFocus) document.getElementById("main").focus();
    }
    document.getElementById("no-active").hidden = this.chats.size > 0;
  }

  /** A resident's message arrived: count it when the professional is elsewhere. */
  noteUnread(chat) {
    if (!chat.loaded) return;
    if (this.current === chat.summary.id && document.visibilityState === "visible") return;
    chat.unread += 1;
    chat.renderTab();
  }
}

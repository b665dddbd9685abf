// The queues of the professional's services, live from the staff socket.

import { fmt, formatTime } from "../js/chatsocket.js";
import { callbackMark } from "../callbacks/staff.js";

function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
}

const byArrival = (a, b) => Date.parse(a.created) - Date.parse(b.created);
// The server's queue order: a crisis flag first (earliest flag first), then arrival.
const crisisFirst = (a, b) =>
  (a.crisis_at ? Date.parse(a.crisis_at) : Infinity) - (b.crisis_at ? Date.parse(b.crisis_at) : Infinity);
const byQueueOrder = (a, b) => crisisFirst(a, b) || byArrival(a, b);

export class Queues {
  constructor({ root, config, strings, onTake }) {
    this.root = root;
    this.config = config;
    this.S = strings;
    this.onTake = onTake;
    this.waiting = new Map(); // id -> summary
    this.serviceName = new Map(config.services.map((s) => [s.id, s.name]));
    this.fallback = new Map(config.services.map((s) => [s.id, s.language_fallback_minutes]));
    this.languages = config.my_languages || [];
    // This professional's order: a crisis flag first, then residents of their
    // languages, then arrival. (The server's order, for residents, has no languages.)
    this.order = (a, b) => crisisFirst(a, b) || this.mine(b) - this.mine(a) || byArrival(a, b);
    setInterval(() => this.render(), 30000); // the waiting times and language reservations
  }

  get size() {
    return this.waiting.size;
  }

  has(id) {
    return this.waiting.has(id);
  }

  reset(summaries) {
    this.waiting.clear();
    for (const c of summaries) this.waiting.set(c.id, c);
    this.render();
  }

  /** Keep the queue in step with a summary; true when it is a new arrival. */
  update(c) {
    const queued = c.status === "waiting" && this.config.my_services.includes(c.service);
    const isNew = queued && !this.waiting.has(c.id);
    if (queued) this.waiting.set(c.id, c);
    else this.waiting.delete(c.id);
    this.render();
    return isNew;
  }

  /** 1 when the resident's language is one this professional serves in (or they declared none). */
  mine(c) {
    return !this.languages.length || this.languages.includes(c.language) ? 1 : 0;
  }

  /** A strict service keeps the conversation for speakers of its language until then (ms), else 0. */
  reservedUntil(c) {
    const minutes = this.fallback.get(c.service);
    if (minutes == null || this.mine(c)) return 0;
    const until = Date.parse(c.created) + minutes * 60000;
    return until > Date.now() ? until : 0;
  }

  oldest() {
    return [...this.waiting.values()].filter((c) => !this.reservedUntil(c)).sort(this.order)[0];
  }

  render() {
    // Re-rendering must not throw the keyboard user's focus away.
    const focused = document.activeElement?.closest?.("#queues li[data-conversation]")?.dataset.conversation;
    const sections = [];
    for (const serviceId of this.config.my_services) {
      const waiting = [...this.waiting.values()].filter((c) => c.service === serviceId).sort(this.order);
      const section = document.createElement("section");
      section.className = "queue";
      const h = document.createElement("h2");
      h.id = `queue-${serviceId}`;
      section.setAttribute("aria-labelledby", h.id);
      const count = document.createElement("span");
      count.className = waiting.length ? "count has-waiting" : "count";
      count.textContent = String(waiting.length);
      h.append(this.serviceName.get(serviceId) || "", " ", count);
      const list = document.createElement("ol");
      list.className = "queue-list";
      for (const c of waiting) list.append(this.item(c));
      if (!waiting.length) {
        const li = document.createElement("li");
        li.className = "empty";
        li.textContent = this.S.no_waiting;
        list.append(li);
      }
      section.append(h, list);
      sections.push(section);
    }
    this.root.replaceChildren(...sections);
    if (focused) this.root.querySelector(`li[data-conversation="${focused}"] .take`)?.focus();
  }

  item(c) {
    const li = document.createElement("li");
    li.className = "queue-item";
    li.dataset.conversation = c.id;
    const who = document.createElement("p");
    who.className = "who";
    const name = document.createElement("strong");
    name.textContent = c.resident_name;
    const lang = document.createElement("span");
    lang.className = "lang";
    lang.textContent = c.language.toUpperCase();
    const minutes = minutesSince(c.created);
    const waited = document.createElement("span");
    waited.className = minutes >= 10 ? "waited long" : "waited";
    waited.textContent = fmt(this.S.waiting_for, { minutes });
    who.append(name, " ", lang, " ", waited);
    if (c.crisis_phrase) {
      const flag = document.createElement("span");
      flag.className = "crisis-flag";
      flag.textContent = this.S.crisis;
      const phrase = document.createElement("span");
      phrase.className = "crisis-phrase";
      phrase.textContent = fmt(this.S.crisis_phrase, { phrase: c.crisis_phrase });
      who.prepend(flag, " ");
      who.append(" ", phrase);
    }
    const matter = document.createElement("p");
    matter.className = "matter";
    matter.textContent = c.matter;
    const take = document.createElement("button");
    take.type = "button";
    take.className = "primary take";
    take.textContent = this.S.take;
    take.setAttribute("aria-label", `${this.S.take}: ${c.resident_name}`);
    take.addEventListener("click", () => this.onTake(c.id));
    if (!this.mine(c)) {
      li.classList.add("other-language");
      const other = document.createElement("span");
      other.className = "lang-other";
      other.textContent = this.S.other_language;
      who.append(" ", other);
    }
    li.append(who, matter, take);
    const until = this.reservedUntil(c);
    if (until) {
      const note = document.createElement("p");
      note.className = "reserved";
      note.id = `reserved-${c.id}`;
      note.textContent = fmt(this.S.language_reserved, { time: formatTime(new Date(until).toISOString()) });
      take.disabled = true;
      take.setAttribute("aria-describedby", note.id);
      take.before(note);
    }
    const callback = callbackMark(c);
    if (callback) who.after(callback);
    return li;
  }
}

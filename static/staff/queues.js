// The queues of the professional's services, live from the staff socket.

import { fmt } from "../js/chatsocket.js";

function minutesSince(iso) {
  return Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 60000));
}

const byArrival = (a, b) => Date.parse(a.created) - Date.parse(b.created);

export class Queues {
  constructor({ root, config, strings, onTake }) {
    this.root = root;
    this.config = config;
    this.S = strings;
    this.onTake = onTake;
    this.waiting = new Map(); // id -> summary
    this.serviceName = new Map(config.services.map((s) => [s.id, s.name]));
    setInterval(() => this.render(), 30000); // the waiting times
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

  oldest() {
    return [...this.waiting.values()].sort(byArrival)[0];
  }

  render() {
    // Re-rendering must not throw the keyboard user's focus away.
    const focused = document.activeElement?.closest?.("#queues li[data-conversation]")?.dataset.conversation;
    const sections = [];
    for (const serviceId of this.config.my_services) {
      const waiting = [...this.waiting.values()].filter((c) => c.service === serviceId).sort(byArrival);
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
    const matter = document.createElement("p");
    matter.className = "matter";
    matter.textContent = c.matter;
    const take = document.createElement("button");
    take.type = "button";
    take.className = "primary take";
    take.textContent = this.S.take;
    take.setAttribute("aria-label", `${this.S.take}: ${c.resident_name}`);
    take.addEventListener("click", () => this.onTake(c.id));
    li.append(who, matter, take);
    return li;
  }
}

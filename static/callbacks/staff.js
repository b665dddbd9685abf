// Call-backs on the dashboard (callbacks app): the mark and the number to call
// in the queue, and the call box with the outcome buttons in the conversation
// pane. Texts come from the pane template (templates/callbacks/staff_pane.html).

// "{name}" placeholders: the texts are data attributes of a template.
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));

let texts = null;
function strings() {
  texts ??= { ...document.getElementById("pane-template").content.querySelector(".callback-box").dataset };
  return texts;
}

function phoneLink(phone, label) {
  const link = document.createElement("a");
  link.href = `tel:${phone}`;
  link.textContent = label;
  return link;
}

/** The queue item's mark: in words (not only colour), with the number to call. */
export function callbackMark(summary) {
  if (!summary.callback) return null;
  const S = strings();
  const mark = document.createElement("p");
  mark.className = "callback-mark";
  const flag = document.createElement("strong");
  flag.className = "callback-flag";
  flag.textContent = summary.callback === "closed" ? S.contactRequest : S.callback;
  mark.append(flag);
  if (summary.callback_phone) {
    mark.append(" ", phoneLink(summary.callback_phone, fill(S.call, { phone: summary.callback_phone })));
  }
  if (summary.callback_attempts) mark.append(" ", fill(S.attempts, { count: summary.callback_attempts }));
  return mark;
}

/** The call box of a pane: the number and what came of the call. */
export class CallbackBox {
  constructor({ root, id, send }) {
    this.root = root;
    const heading = root.querySelector(".callback-heading");
    heading.id = `callback-heading-${id}`;
    root.setAttribute("aria-labelledby", heading.id);
    for (const button of root.querySelectorAll("[data-outcome]")) {
      button.addEventListener("click", () => send({ type: "callback.outcome", conversation: id, outcome: button.dataset.outcome }));
    }
  }

  update(summary) {
    const S = strings();
    this.root.hidden = !summary.callback;
    if (!summary.callback) return;
    this.root.querySelector(".callback-kind").textContent = summary.callback === "closed" ? S.kindClosed : S.kindQueue;
    const phone = this.root.querySelector(".callback-phone");
    phone.href = `tel:${summary.callback_phone}`;
    phone.textContent = fill(S.call, { phone: summary.callback_phone });
    this.root.querySelector(".callback-attempts").textContent = fill(S.attempts, { count: summary.callback_attempts || 0 });
  }
}

// The staff session ends after STAFF_IDLE_SECONDS without activity. Activity
// is the professional's input, and also an open, visible dashboard with a live
// socket (watching the queue is work) — but only for STAFF_MAX_UNATTENDED_SECONDS
// after the last input. Before the end a dialog offers to continue (WCAG 2.2.1);
// at the end this page logs out itself, so the screen shows no resident data.

import { CountdownDialog, IdleTimer } from "../js/chatsocket.js";

const SHARED_KEY = "chatservice.staff.session-ends-at";

export class SessionKeeper {
  constructor({ session, urls, connection, dialog, csrfToken, logoutForm }) {
    this.session = session;
    this.url = urls.keepalive;
    this.connection = connection;
    this.csrfToken = csrfToken;
    this.logoutForm = logoutForm;
    this.lastInput = Date.now();
    this.inputSinceKeepalive = false;
    this.warning = new CountdownDialog(dialog, { onContinue: () => this.continue() });
    this.timer = new IdleTimer({
      timeoutMs: session.idle_seconds * 1000,
      warnMs: session.warning_seconds * 1000,
      onWarn: () => this.warn(),
      onEnd: () => this.end(),
    });
  }

  start() {
    for (const name of ["keydown", "pointerdown", "input", "wheel"]) {
      document.addEventListener(
        name,
        () => {
          this.lastInput = Date.now();
          this.inputSinceKeepalive = true;
        },
        { passive: true, capture: true },
      );
    }
    // Another dashboard tab of the same session kept it alive.
    window.addEventListener("storage", (event) => {
      if (event.key === SHARED_KEY && event.newValue) this.schedule(Number(event.newValue), { share: false });
    });
    // Loading this page was a request: the session runs from now.
    this.schedule(Date.now() + this.session.idle_seconds * 1000);
    setInterval(() => this.tick(), this.session.keepalive_seconds * 1000);
  }

  /** Each minute: say the professional is here, if they are. */
  tick() {
    if (this.warning.open) return; // only "Continue" (or the end) decides now
    if (this.inputSinceKeepalive) {
      this.keepalive(true);
      return;
    }
    const watching =
      document.visibilityState === "visible" &&
      this.connection.live &&
      Date.now() - this.lastInput < this.session.max_unattended_seconds * 1000;
    if (watching) this.keepalive(false);
  }

  async keepalive(attended) {
    this.inputSinceKeepalive = false;
    const headers = { "X-CSRFToken": this.csrfToken };
    if (!attended) headers["X-Chatservice-Unattended"] = "1";
    let response;
    try {
      response = await fetch(this.url, { method: "POST", headers, credentials: "same-origin", redirect: "manual" });
    } catch {
      return; // offline: the socket's banner says so; the next tick tries again
    }
    if (!response.ok) {
      // Redirected to the login, or refused: the session has already ended.
      if (response.type === "opaqueredirect" || response.status === 403) location.reload();
      return;
    }
    const { expires_in: seconds } = await response.json();
    this.schedule(Date.now() + seconds * 1000);
  }

  schedule(endsAt, { share = true } = {}) {
    if (share) localStorage.setItem(SHARED_KEY, String(endsAt));
    if (endsAt - Date.now() > this.session.warning_seconds * 1000) this.warning.hide();
    this.timer.setDeadline(endsAt);
  }

  /** The deadline another tab may have moved. */
  sharedDeadline() {
    return Number(localStorage.getItem(SHARED_KEY)) || this.timer.deadline;
  }

  warn() {
    const deadline = Math.max(this.sharedDeadline(), this.timer.deadline);
    if (deadline - Date.now() > this.session.warning_seconds * 1000) {
      this.timer.setDeadline(deadline);
      return;
    }
    this.warning.show(deadline);
  }

  end() {
    const deadline = this.sharedDeadline();
    if (deadline > Date.now() + 1000) {
      this.schedule(deadline, { share: false });
      return;
    }
    this.warning.hide();
    this.connection.stop();
    this.logoutForm.submit();
  }

  continue() {
    this.lastInput = Date.now();
    this.warning.hide();
    this.keepalive(true);
  }
}

// Sending one file over HTTP (docs/protocol.md, "Attachments"), shared by the
// resident's chat and the professional's dashboard: a button and drag-and-drop,
// a progress bar, cancel, and the server's reason for a refusal in plain words.
// The server decides everything (gate, type, size, scan); checks here only save
// the resident a pointless wait.

import { csrfToken, fmt } from "./chatsocket.js";

/**
 * elements: { button, input, progress (a <progress>), progressBox, progressLabel,
 *             cancel, status (role=status), error (role=alert), dropZone }
 * config:   { upload_url, max_bytes, strings }
 * available(): null when sending is allowed now, else the reason to show.
 * onSent(response): the server's answer ({attachment, seq}).
 */
export class FileSender {
  constructor({ elements, config, available, onSent = () => {}, csrfCookie = "csrftoken", url = null }) {
    this.el = elements;
    this.config = config;
    this.S = config.strings;
    this.available = available;
    this.onSent = onSent;
    this.csrfCookie = csrfCookie;
    this.url = url || (() => config.upload_url);
    this.xhr = null;
    const { button, input, cancel, dropZone } = elements;
    button.addEventListener("click", () => {
      const reason = this.available();
      if (reason) {
        this.showError(reason);
        return;
      }
      input.click();
    });
    input.addEventListener("change", () => {
      const [file] = input.files;
      input.value = "";
      if (file) this.send(file);
    });
    cancel.addEventListener("click", () => this.cancel());
    if (dropZone) {
      dropZone.addEventListener("dragover", (event) => {
        if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
        event.preventDefault();
        dropZone.classList.toggle("dropping", !this.available());
      });
      dropZone.addEventListener("dragleave", () => dropZone.classList.remove("dropping"));
      dropZone.addEventListener("drop", (event) => {
        if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
        event.preventDefault();
        dropZone.classList.remove("dropping");
        const [file] = event.dataTransfer.files;
        const reason = this.available();
        if (reason) this.showError(reason);
        else if (file) this.send(file);
      });
    }
  }

  /** Show whether files can be sent now (the button stays focusable and explains). */
  refresh() {
    const reason = this.available();
    this.el.button.setAttribute("aria-disabled", reason ? "true" : "false");
    this.el.help.textContent = reason || this.el.help.dataset.available;
  }

  showError(text) {
    this.el.error.textContent = text;
    this.el.error.hidden = false;
  }

  send(file) {
    if (this.xhr) return;
    this.el.error.hidden = true;
    this.el.status.textContent = "";
    if (!file.size) return this.showError(this.S.empty);
    if (file.size > this.config.max_bytes) return this.showError(this.S.too_large);
    const body = new FormData();
    body.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    this.xhr = xhr;
    xhr.open("POST", this.url());
    xhr.setRequestHeader("X-CSRFToken", csrfToken(this.csrfCookie));
    xhr.responseType = "json";
    const { progress, progressBox, progressLabel } = this.el;
    progress.value = 0;
    progressLabel.textContent = fmt(this.S.sending, { name: file.name });
    progressBox.hidden = false;
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
    });
    const finish = () => {
      this.xhr = null;
      progressBox.hidden = true;
    };
    xhr.addEventListener("load", () => {
      finish();
      const answer = xhr.response || {};
      if (xhr.status === 201) {
        this.el.status.textContent = fmt(this.S.sent, { name: answer.attachment?.name || file.name });
        this.onSent(answer);
      } else {
        const reason = answer.error?.message || this.S.network;
        this.showError(fmt(this.S.failed, { reason }));
      }
    });
    xhr.addEventListener("error", () => {
      finish();
      this.showError(fmt(this.S.failed, { reason: this.S.network }));
    });
    xhr.addEventListener("abort", () => {
      finish();
      this.el.status.textContent = this.S.cancelled;
      this.el.button.focus();
    });
    xhr.send(body);
    this.el.cancel.focus();
  }

  cancel() {
    this.xhr?.abort();
  }
}

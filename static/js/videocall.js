// One video call in one page: camera and microphone, the WebRTC connection to the
// other party, signaled over the chat socket (video.join / video.signal /
// video.hangup, docs/protocol.md), and the call's controls. The media goes
// browser to browser (or through TURN); never through the chat server.
//
// The resident's browser makes the offer, the professional's answers; signals
// that arrive before this side is ready wait in order.

import { csrfToken, fmt } from "./chatsocket.js";

const MEDIA = { audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 } } };

export class VideoCall {
  /**
   * root: the element holding [data-video="local|remote|status|error|duration"] and
   * buttons [data-video-action="mute|camera|hangup|retry"].
   * send(frame): sends a frame for this conversation (the caller adds `conversation`).
   */
  constructor({ root, send, strings, offerer }) {
    this.root = root;
    this.send = send;
    this.S = strings;
    this.offerer = offerer;
    this.pc = null;
    this.stream = null;
    this.waiting = [];
    this.candidates = [];
    this.startedAt = null;
    this.clock = null;
    for (const button of root.querySelectorAll("[data-video-action]")) {
      button.addEventListener("click", () => this[button.dataset.videoAction]?.());
    }
  }

  $(name) {
    return this.root.querySelector(`[data-video="${name}"]`);
  }

  get joined() {
    return this.stream !== null;
  }

  /** Ask for camera and microphone, then join the call: true when joined. */
  async join() {
    this.say("error", "");
    try {
      this.stream = this.stream || (await navigator.mediaDevices.getUserMedia(MEDIA));
    } catch (error) {
      const text = {
        NotAllowedError: this.S.video_denied,
        NotFoundError: this.S.video_no_device,
        OverconstrainedError: this.S.video_no_device,
        NotReadableError: this.S.video_device_busy,
      }[error.name];
      this.say("error", text || this.S.video_device_error);
      this.root.querySelector('[data-video-action="retry"]').hidden = false;
      return false;
    }
    this.root.querySelector('[data-video-action="retry"]').hidden = true;
    this.$("local").srcObject = this.stream;
    this.root.hidden = false;
    this.say("status", this.S.video_connecting);
    return this.send({ type: "video.join" });
  }

  retry() {
    this.join();
  }

  /** video.config: this call's ICE servers; the connection starts. */
  async config({ ice_servers }) {
    this.iceServers = ice_servers;
    await this.connect();
    for (const frame of this.waiting.splice(0)) await this.signal(frame);
  }

  /** A new connection to the other party (the offerer also sends its offer). */
  async connect() {
    if (!this.stream) return;
    this.pc?.close();
    this.candidates = [];
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = pc;
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    pc.ontrack = ({ streams }) => {
      this.$("remote").srcObject = streams[0];
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate) this.send({ type: "video.signal", kind: "ice", candidate: candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => this.connection(pc.connectionState);
    if (this.offerer) {
      await pc.setLocalDescription(await pc.createOffer());
      this.send({ type: "video.signal", kind: "offer", sdp: pc.localDescription.sdp });
    }
  }

  /** video.signal from the other party. */
  async signal(frame) {
    if (frame.kind === "joined") {
      // The other page joined again (a reload): the connection made before leads
      // nowhere. The offerer starts a new one; the answerer waits for its offer.
      if (this.offerer && this.pc?.remoteDescription) await this.connect();
      return;
    }
    if (!this.pc) {
      this.waiting.push(frame);
      return;
    }
    // A new offer after a connection was made: the offerer's page was reloaded.
    if (frame.kind === "offer" && this.pc.remoteDescription) await this.connect();
    const pc = this.pc;
    if (frame.kind === "ice") {
      if (pc.remoteDescription) await pc.addIceCandidate(frame.candidate).catch(() => {});
      else this.candidates.push(frame.candidate);
      return;
    }
    await pc.setRemoteDescription({ type: frame.kind, sdp: frame.sdp });
    if (frame.kind === "offer") {
      await pc.setLocalDescription(await pc.createAnswer());
      this.send({ type: "video.signal", kind: "answer", sdp: pc.localDescription.sdp });
    }
    for (const candidate of this.candidates.splice(0)) await pc.addIceCandidate(candidate).catch(() => {});
  }

  connection(state) {
    if (state === "connected") {
      this.say("status", this.S.video_connected);
      this.startedAt ??= Date.now();
      clearInterval(this.clock);
      this.clock = setInterval(() => this.tick(), 1000);
      this.tick();
    } else if (state === "failed") {
      this.say("status", this.S.video_failed);
    }
  }

  tick() {
    const seconds = Math.floor((Date.now() - this.startedAt) / 1000);
    const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    this.$("duration").textContent = fmt(this.S.video_duration, { time: text });
  }

  mute() {
    this.toggle("audio", "mute", this.S.video_unmute, this.S.video_mute);
  }

  camera() {
    this.toggle("video", "camera", this.S.video_camera_on, this.S.video_camera_off);
  }

  toggle(kind, action, offLabel, onLabel) {
    const tracks = this.stream?.getTracks().filter((t) => t.kind === kind) || [];
    const off = tracks.some((t) => t.enabled);
    for (const track of tracks) track.enabled = !off;
    const button = this.root.querySelector(`[data-video-action="${action}"]`);
    button.setAttribute("aria-pressed", off ? "true" : "false");
    button.textContent = off ? offLabel : onLabel;
  }

  hangup() {
    this.send({ type: "video.hangup" });
    this.end();
  }

  /** The call is over (either side, or the conversation closed): release everything. */
  end() {
    this.pc?.close();
    this.pc = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.waiting = [];
    this.candidates = [];
    clearInterval(this.clock);
    this.startedAt = null;
    this.$("local").srcObject = null;
    this.$("remote").srcObject = null;
    this.$("duration").textContent = "";
    this.root.hidden = true;
  }

  say(name, text) {
    const el = this.$(name);
    el.textContent = text;
    el.hidden = !text;
  }
}

/**
 * The connection test before a call: this browser's camera and microphone go to
 * the server's own WebRTC peer, which sends them back; round-trip time is measured
 * over a data channel. root holds [data-check="local|remote|result"] and buttons
 * [data-check-action="start|stop"].
 */
export class ConnectionCheck {
  constructor({ root, strings, url, csrfCookie }) {
    this.root = root;
    this.S = strings;
    this.url = url;
    this.csrfCookie = csrfCookie;
    this.pc = null;
    this.stream = null;
    this.timer = null;
    root.querySelector('[data-check-action="start"]').addEventListener("click", () => this.start());
    root.querySelector('[data-check-action="stop"]').addEventListener("click", () => this.stop());
  }

  $(name) {
    return this.root.querySelector(`[data-check="${name}"]`);
  }

  say(text) {
    this.$("result").textContent = text;
  }

  async start() {
    this.stop();
    this.$("view").hidden = false;
    this.say(this.S.check_running);
    try {
      this.stream = await navigator.mediaDevices.getUserMedia(MEDIA);
    } catch {
      this.say(this.S.video_device_error);
      return;
    }
    this.$("local").srcObject = this.stream;
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    pc.ontrack = ({ streams, track }) => {
      if (track.kind === "video") this.$("remote").srcObject = streams[0] || new MediaStream([track]);
    };
    const channel = pc.createDataChannel("check");
    channel.onmessage = ({ data }) => {
      if (typeof data === "string" && data.startsWith("pong ")) {
        const rtt = Math.round(performance.now() - Number(data.slice(5)));
        this.say(fmt(this.S.check_ok, { ms: rtt }));
      }
    };
    channel.onopen = () => {
      this.timer = setInterval(() => channel.send(`ping ${performance.now()}`), 1000);
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
      setTimeout(resolve, 3000);
    });
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(this.csrfCookie) },
      body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }),
      credentials: "same-origin",
    }).catch(() => null);
    const answer = response && (await response.json().catch(() => null));
    if (!response?.ok || !answer) {
      this.say(answer?.message || this.S.check_failed);
      this.stop(false);
      return;
    }
    await pc.setRemoteDescription(answer);
  }

  stop(clear = true) {
    clearInterval(this.timer);
    this.pc?.close();
    this.pc = null;
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
    this.$("local").srcObject = null;
    this.$("remote").srcObject = null;
    if (clear) this.$("view").hidden = true;
  }
}

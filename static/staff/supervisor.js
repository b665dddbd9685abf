// Refreshes the supervisor's figures in place every few seconds. These requests
// are the page's own, not the supervisor's activity: they say so, and keep the
// session only within STAFF_MAX_UNATTENDED_SECONDS (staff/middleware.py).
const root = document.getElementById("figures");
const minutes = (seconds) => (seconds === null ? "–" : String(Math.round(seconds / 60)));

async function refresh() {
  if (document.visibilityState !== "visible") return;
  const response = await fetch(root.dataset.url, {
    credentials: "same-origin",
    headers: { "X-Chatservice-Unattended": "1" },
    redirect: "manual",
  });
  if (response.type === "opaqueredirect") location.reload(); // the session ended: log in again
  if (!response.ok) return;
  const data = await response.json();
  for (const s of data.services) {
    const row = root.querySelector(`tr[data-service="${s.id}"]`);
    if (!row) continue;
    row.querySelector('[data-k="waiting"]').textContent = s.waiting;
    row.querySelector('[data-k="longest_wait_minutes"]').textContent = minutes(s.longest_wait_seconds);
    row.querySelector('[data-k="active"]').textContent = s.active;
    row.querySelector('[data-k="available"]').textContent = s.available;
  }
  for (const l of data.languages) {
    const row = root.querySelector(`tr[data-service="${l.service}"][data-language="${l.language}"]`);
    if (!row) continue;
    const waiting = row.querySelector('[data-k="waiting"]');
    waiting.textContent = l.waiting;
    waiting.classList.toggle("attention", l.waiting > 0 && l.available === 0);
    row.querySelector('[data-k="available"]').textContent = l.available;
  }
  const t = data.today;
  const set = (key, value) => (root.querySelector(`[data-t="${key}"]`).textContent = value);
  set("started", t.started);
  set("closed", t.closed);
  set("abandoned", t.abandoned);
  set("average_wait_minutes", minutes(t.average_wait_seconds));
  set("average_handling_minutes", minutes(t.average_handling_seconds));
}

setInterval(refresh, 5000);

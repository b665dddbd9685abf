"""Write the figures of bench/results/*.json into docs/benchmarks.md (between the
results markers; the prose around them is kept) and draw the latency plot.

    python -m bench.report"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks-latency.png"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def lat(d: dict) -> str:
    if not d or not d.get("n"):
        return "–"
    return f"{d['p50_ms']:.1f} / {d['p95_ms']:.1f} / {d['p99_ms']:.1f} / {d['max_ms']:.1f}"


def row(label: str, r: dict) -> str:
    db = r.get("database")
    check = (
        "–"
        if not db
        else f"{db['stored']} stored, {db['acked_but_not_stored']} missing, {db['stored_twice']} twice"
    )
    return (
        f"| {label} | {r['messages_per_second']} | {r.get('delivered_per_second', '–')} | "
        f"{lat(r['send_to_ack'])} | {lat(r['send_to_delivery'])} | "
        f"{'+'.join(str(c) for c in r['server_cpu_percent'])} | {'+'.join(str(m) for m in r['server_rss_mb'])} | "
        f"{r['lost']} | {r['duplicated']} | {check} |"
    )


HEAD = (
    "| stack | acked msg/s | delivered msg/s | send→ack ms p50 / p95 / p99 / max | send→delivery ms p50 / p95 / p99 / max "
    "| server CPU % | server RSS MB | lost | duplicated | database check |\n|---|---|---|---|---|---|---|---|---|---|"
)


def saturation_section(out: list[str], name: str, title: str) -> None:
    d = load(name)
    out.append(f"\n### {title}\n")
    if d is None:
        out.append("Not run.\n")
        return
    if d.get("failed"):
        out.append(
            f"**The run failed** (exit {d['returncode']}, {d['when']}): see the text below.\n"
        )
        return
    out.append(
        f"{d['conversations']} conversations, {d['processes']} server process(es), {d['when']}.\n"
    )
    out.append(HEAD)
    out.append(row("bare echo", d["echo"]))
    out.append(row("bare Channels relay", d["relay"]))
    out.append(row("**full stack**", d["full"]))
    if "relay_after" in d:
        out.append(row("bare Channels relay, again after the full stack", d["relay_after"]))
        out.append(
            f"\nFull stack throughput (delivered to the other party within the run) = "
            f"**{d['full_vs_relay_throughput']} ×** the bare relay's (mean of its two runs, "
            f"{d['relay_delivered_per_second_mean']} msg/s); counting acks: {d['full_acked_vs_relay']} ×. "
            f"Its median delivery latency is {d['full_minus_relay_p50_ms']} ms above the relay's.\n"
        )
    else:
        out.append(
            f"\nFull stack throughput = **{d['full_vs_relay_throughput']} ×** the bare relay's; "
            f"its median delivery latency is {d['full_minus_relay_p50_ms']} ms above the relay's.\n"
        )


def plot(curve: dict) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    stacks = (
        ("echo", "bare echo", "tab:blue"),
        ("relay", "bare Channels relay", "tab:green"),
        ("full", "full stack", "tab:red"),
    )
    for stack, label, colour in stacks:
        points = curve["points"][stack]
        xs = [p["messages_per_second"] for p in points]
        ax.plot(
            xs,
            [p["send_to_delivery"]["p50_ms"] for p in points],
            marker="o",
            color=colour,
            label=f"{label}, p50",
        )
        ax.plot(
            xs,
            [p["send_to_delivery"]["p99_ms"] for p in points],
            marker=".",
            color=colour,
            linestyle="--",
            label=f"{label}, p99",
        )
    ax.set_xlabel("delivered messages per second (closed-loop senders: 1, 5, 20, 50, 100, 200)")
    ax.set_ylabel("send → delivery latency (ms)")
    ax.set_yscale("log")
    ax.set_title(f"Delivery latency against load ({curve['config']}, one daphne process)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(PLOT)


def render() -> str:
    out: list[str] = []
    any_result = next((load(p.stem) for p in sorted(RESULTS.glob("*.json"))), None)
    if any_result:
        m = any_result["machine"]
        out.append(
            f"Machine: {m['cpus']} cores, {m['memory_gb']} GiB, Python {m['python']}, {m['platform']}. "
            "Client, servers, PostgreSQL and Redis all share these cores.\n"
        )

    curve = load("curve-embedded")
    out.append("### Delivery latency against load\n")
    if curve:
        plot(curve)
        out.append("![delivery latency against load](benchmarks-latency.png)\n")
        out.append(
            "| senders | echo msg/s | echo p50 / p99 ms | relay msg/s | relay p50 / p99 ms | full msg/s | full p50 / p99 ms |"
        )
        out.append("|---|---|---|---|---|---|---|")
        for e, r, f in zip(*(curve["points"][k] for k in ("echo", "relay", "full")), strict=True):
            cells = [
                f"{x['messages_per_second']} | {x['send_to_delivery']['p50_ms']} / {x['send_to_delivery']['p99_ms']}"
                for x in (e, r, f)
            ]
            out.append(f"| {e['senders']} | " + " | ".join(cells) + " |")

    saturation_section(
        out, "saturation-embedded", "1. Saturation, embedded (SQLite + in-memory layer)"
    )
    saturation_section(
        out,
        "saturation-redis-pubsub",
        "1. Saturation, PostgreSQL + Redis (RedisPubSubChannelLayer, pipelined publishing)",
    )
    saturation_section(
        out, "saturation-redis-core", "1. Saturation, PostgreSQL + Redis (RedisChannelLayer)"
    )

    out.append("\n### 2. Realistic county load × 1,000\n")
    runs = [
        (n, load(f"realistic-redis-pubsub{s}"))
        for n, s in (("one process", ""), ("two processes", "-2"))
    ]
    runs = [(n, r) for n, r in runs if r and not r.get("failed")]
    if runs:
        first = runs[0][1]
        out.append(
            f"{first['conversations']} conversations (2,000 sockets), each resident sends every {first['interval_seconds']} s and the "
            f"professional replies to each message, for {first['full']['seconds']} s; PostgreSQL + Redis (pub/sub).\n"
        )
        out.append(HEAD)
        for name, r in runs:
            out.append(row(f"full stack, {name}", r["full"]))
        out.append(
            "\nConnect (per socket, batches of 50), ms p50 / p95 / p99 / max: "
            + "; ".join(f"{name} {lat(r['full']['connect'])}" for name, r in runs)
            + ".\n"
        )
    else:
        out.append("Not run or failed.\n")

    out.append("\n### 3. Scale-out: one process against two\n")
    scale = load("scaleout-redis-pubsub")
    if scale and not scale.get("failed"):
        out.append(
            "Scenario 1 on PostgreSQL + Redis (pub/sub); with two processes every conversation's resident is on one "
            "process and its professional on the other, so every message crosses processes.\n"
        )
        out.append(HEAD)
        out.append(row("one process, full stack", scale["one"]["full"]))
        out.append(row("two processes, full stack", scale["two"]["full"]))
        out.append(row("one process, bare relay", scale["one"]["relay"]))
        out.append(row("two processes, bare relay", scale["two"]["relay"]))
        out.append(f"\nTwo processes = **{scale['two_vs_one']} ×** one process (full stack).\n")
    else:
        out.append("Not run or failed.\n")

    out.append("\n### 4. Reconnect storm\n")
    storm = load("storm-redis-pubsub")
    if storm and not storm.get("failed"):
        out.append(
            f"{storm['conversations']} residents connected; all drop; each professional writes once; all reconnect at once and "
            "send `sync` from their last seq.\n"
        )
        out.append(
            "| resynced all | per resident ms p50 / p95 / p99 / max | missed messages recovered | lost | duplicated | server CPU % | RSS MB |"
        )
        out.append("|---|---|---|---|---|---|---|")
        out.append(
            f"| {storm['resynced_all_seconds']} s | {lat(storm['per_resident'])} | {storm['missed_messages_recovered']} | "
            f"{storm['lost']} | {storm['duplicated']} | {storm['server_cpu_percent'][0]} | {storm['server_rss_mb'][0]} |"
        )
    else:
        out.append("Not run or failed.\n")

    out.append("\n### 5. HTTP pages\n")
    http = load("http-embedded")
    if http and not http.get("failed"):
        out.append(
            f"{http['requests_per_page']} sequential requests per page over keep-alive (intake: a new session each), "
            "measured at the client on loopback, embedded configuration.\n"
        )
        out.append("| page | ms p50 / p95 / p99 / max | database queries |\n|---|---|---|")
        for page, figures in http["pages"].items():
            out.append(f"| {page} | {lat(figures)} | {http['queries'].get(page, '–')} |")
        for label in ("10", "1000"):
            hello = http[f"staff socket hello, {label} waiting"]
            out.append(
                f"| staff socket connect → hello, {hello['queue_length']} waiting | {lat(hello)} | 3 |"
            )
    else:
        out.append("Not run or failed.\n")
    surge_section(out)
    idle_section(out)
    return "\n".join(out)


def surge_rows(out: list[str], label: str, d: dict) -> None:
    for p in d["points"]:
        settled = p["settled_seconds_after_last_claim"]
        out.append(
            f"| {label} | {p['waiting']} | {p['claims']} | {p['claims_per_second']} | "
            f"{lat(p['claim_latency'])} | {p['position_frames_per_claim']} | {lat(p['position_lag'])} | "
            f"{'not within 60 s' if settled is None else f'{settled} s'} | "
            f"{'+'.join(str(c) for c in p['server_cpu_percent'])} | "
            f"{'+'.join(str(m) for m in p['server_rss_mb'])} |"
        )


def surge_section(out: list[str]) -> None:
    out.append("\n### 6. Queue surge\n")
    runs = [
        (c, load(f"surge-{c}"), load(f"before/surge-{c}")) for c in ("embedded", "redis-pubsub")
    ]
    if not any(r for _c, r, _b in runs):
        out.append("Not run.\n")
        return
    out.append(
        "One service's queue with every waiting resident's socket open (live positions); 20 professionals "
        "on their dashboards claim from the head of the queue as fast as their answers come back (half "
        "the queue, at most 100 claims). *Claim* = claim sent → its `conversation.changed`; *position "
        "frames per claim* = `queue.position` frames all residents got, divided by the claims; *position "
        "lag* = a frame's arrival after the claim it is the first to reflect; *settled* = after the last "
        "claim, until every resident still waiting shows their final place. *before*: the code before "
        "issue 10 (the whole order to every waiting socket, one frame per change), same harness.\n"
    )
    out.append(
        "| code, configuration | waiting | claims | claims/s | claim ms p50 / p95 / p99 / max | "
        "position frames per claim | position lag ms p50 / p95 / p99 / max | settled | server CPU % | RSS MB |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for config, result, before in runs:
        if before and not before.get("failed"):
            surge_rows(out, f"before, {config}", before)
        if result and result.get("failed"):
            out.append(f"| now, {config} | **the run failed** | | | | | | | | |")
        elif result:
            surge_rows(out, f"now, {config}", result)


def idle_section(out: list[str]) -> None:
    out.append("\n### 7. Memory per idle socket\n")
    runs = [
        (label, load(name))
        for label, name in (("before", "before/idle-redis-pubsub"), ("now", "idle-redis-pubsub"))
    ]
    runs = [(label, r) for label, r in runs if r and not r.get("failed")]
    if not runs:
        out.append("Not run or failed.\n")
        return
    out.append(
        "Resident sockets (active conversations, each page synced and then silent) on one process against as "
        "many bare echo sockets on a fresh process; RSS growth divided by the sockets, after 20 warm-up "
        "sockets; PostgreSQL + Redis (pub/sub).\n"
    )
    out.append(
        "| code | sockets | resident socket KB | bare echo socket KB | RSS MB before → after (full stack) | connect all, s |"
    )
    out.append("|---|---|---|---|---|---|")
    for label, r in runs:
        out.append(
            f"| {label} | {r['sockets']:,} | {r['full']['kb_per_socket']} | {r['echo']['kb_per_socket']} | "
            f"{r['full']['rss_before_mb']} → {r['full']['rss_after_mb']} | {r['full']['connect_seconds']} |"
        )


def main() -> None:
    text = DOC.read_text()
    body = render()
    text = re.sub(
        re.escape(START) + ".*" + re.escape(END),
        lambda _: f"{START}\n{body}\n{END}",
        text,
        flags=re.S,
    )
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

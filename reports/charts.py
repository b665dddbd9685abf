"""Charts as server-rendered SVG (no script, so the strict CSP holds): the
geometry is computed here, the template draws it. Every chart has a text
alternative (its <title>/<desc>) and the same figures in a table on the page."""

from __future__ import annotations

from typing import Any

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 34


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def daily_chart(daily: list[dict[str, Any]]) -> dict[str, Any]:
    """Stacked bars per day: handled below, not served (left or service closed) above."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((d["handled"] + d["not_served"] for d in daily), default=0) or 1)
    slot = plot_w / max(len(daily), 1)
    gap = min(4.0, slot * 0.2)
    every = max(1, len(daily) // 8)
    bars, labels = [], []
    for i, d in enumerate(daily):
        x = LEFT + i * slot + gap / 2
        handled_h = plot_h * d["handled"] / top
        missed_h = plot_h * d["not_served"] / top
        base = TOP + plot_h
        bars.append(
            {
                "x": round(x, 1),
                "width": round(slot - gap, 1),
                "handled_y": round(base - handled_h, 1),
                "handled_h": round(handled_h, 1),
                "missed_y": round(base - handled_h - missed_h, 1),
                "missed_h": round(missed_h, 1),
                "title": f"{d['day']:%d.%m.}: {d['handled']} + {d['not_served']}",
            }
        )
        if i % every == 0:
            labels.append({"x": round(x + (slot - gap) / 2, 1), "text": f"{d['day']:%d.%m.}"})
    ticks = [
        {"y": round(TOP + plot_h - plot_h * v / top, 1), "value": v}
        for v in (0, top // 4, top // 2, 3 * top // 4, top)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": TOP + plot_h,
        "label_y": HEIGHT - 12,
        "bars": bars,
        "labels": labels,
        "ticks": ticks,
    }


def satisfaction_chart(counts: list[int]) -> dict[str, Any]:
    """Horizontal bars: how many answered 1, 2, 3, 4, 5."""
    width, row, left = 640, 30, 40
    top = max(counts, default=0) or 1
    plot_w = width - left - 60
    bars = [
        {
            "y": i * row + 4,
            "text_y": i * row + 21,
            "score": i + 1,
            "count": n,
            "width": round(plot_w * n / top, 1),
            "count_x": round(left + plot_w * n / top + 6, 1),
        }
        for i, n in enumerate(counts)
    ]
    return {"width": width, "height": row * len(counts) + 8, "left": left, "bars": bars}

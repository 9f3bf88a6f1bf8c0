"""Server-rendered SVG sparklines: no script, nothing from outside guardrail (CSP-safe)."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 120, 32, 3


def sparkline(values: list[float | None], label: str) -> Markup:
    """A small line of ``values`` (gaps where a value is missing), described by ``label``."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return Markup('<span class="spark-empty">not enough data for a trend line</span>')
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    segments: list[list[str]] = [[]]
    last = ""
    for i, value in enumerate(values):
        if value is None:
            segments.append([])
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (value - low) / span * (HEIGHT - 2 * PAD)
        last = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" class="spark-end"/>'
        segments[-1].append(f"{x:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(points)}" class="spark-line"/>'
        for points in segments
        if len(points) > 1
    )
    return Markup(
        f'<svg class="spark" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f"{lines}{last}</svg>"
    )

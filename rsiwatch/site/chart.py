"""The trend as inline SVG, drawn in Python: no script, no external file, and the same bytes every time.

Each chart is decoration over a table with the same figures (the page puts it next to the chart), so
the SVG carries ``role="img"`` and a title, and nothing in it is the only place a number lives.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from rsiwatch.tuning.trend import ShareEstimate, YearCounts

# Okabe-Ito's colour-blind-safe set first, then two more; the last is for entries without a category.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#8c564b",
           "#7f7f7f", "#bcbd22")
WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _nice_max(value: float) -> float:
    """A round axis top at or above ``value`` (1, 2, 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 100 if value >= 1 else 0.01
    for m in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        if m * step * 10 >= value:
            return m * step * 10
    return value


def _axis(top: float, fmt: str) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = []
    for k in range(5):
        v = top * k / 4
        y = TOP + plot_h - plot_h * k / 4
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{fmt.format(v)}</text>')
    return out


def _svg(label: str, parts: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'class="chart" font-family="sans-serif"><title>{escape(label)}</title>')
    return Markup(head + "".join(parts) + "</svg>")


def years_svg(counts: YearCounts, label: str) -> Markup:
    """Stacked bars: one per year, one colour per category (in ``counts.categories`` order)."""
    if not counts.years:
        return _svg(label, [])
    top = _nice_max(max(counts.total(y) for y in counts.years))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(counts.years)
    bar = max(slot * 0.7, 1.0)
    parts = _axis(top, "{:.0f}")
    every = max(1, round(len(counts.years) / 12))
    for i, year in enumerate(counts.years):
        x = LEFT + i * slot + (slot - bar) / 2
        y: float = TOP + plot_h
        for j, category in enumerate(counts.categories):
            n = counts.counts[year][category]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour(j)}">'
                f"<title>{year} {escape(category)}: {n}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11">{year}</text>'
            )
    return _svg(label, parts)


def share_svg(estimates: Sequence[ShareEstimate], label: str) -> Markup:
    """Points with 95% interval whiskers, one per quarter with an estimate."""
    known = [e for e in estimates if e.share is not None]
    if not known:
        return _svg(label, [])
    top = _nice_max(max(e.high or 0.0 for e in known) * 100) / 100
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(known)
    parts = _axis(top * 100, "{:.0f}%")

    def y_of(v: float) -> float:
        return TOP + plot_h - plot_h * v / top

    for i, e in enumerate(known):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(e.low or 0):.1f}" y2="{y_of(e.high or 0):.1f}" '
            'stroke="#0072B2" '
            f'stroke-width="2"/><circle cx="{x:.1f}" cy="{y_of(e.share or 0):.1f}" r="4" fill="#0072B2">'
            f"<title>{escape(e.period)}: {e.share:.1%} ({e.low:.1%} to {e.high:.1%})</title></circle>"
            f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11">{escape(e.period)}</text>'
        )
    return _svg(label, parts)

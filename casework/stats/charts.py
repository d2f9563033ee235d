"""Charts drawn on the server as SVG geometry for the templates: no script, no outside host,
the same on a phone, a wall and paper. The templates draw shapes from these numbers; every
label is template text (escaped), never markup built here."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 480
HEIGHT = 200
LEFT = 30
BOTTOM = 28
TOP = 12


@dataclass(frozen=True)
class Tick:
    y: float
    label: int


def _scale(top_value: int) -> tuple[int, list[int]]:
    """A round maximum (4 steps of 1, 2 or 5 times a power of ten) and its five ticks."""
    top_value = max(top_value, 4)
    magnitude = 1
    while True:
        for base in (1, 2, 5):
            step = base * magnitude
            if step * 4 >= top_value:
                return step * 4, [step * i for i in range(5)]
        magnitude *= 10


def trend(rows: list[tuple]) -> dict:
    """Bars of cases filed and a line of cases closed per month: rows (month, reported, closed)."""
    if not rows:
        return {}
    top, ticks = _scale(max(max(r[1], r[2]) for r in rows))
    plot_w = WIDTH - LEFT - 8
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / len(rows)
    bar_w = slot * 0.55

    def y(value: int) -> float:
        return round(TOP + plot_h - plot_h * value / top, 1)

    months = []
    points = []
    for i, (month, reported, closed) in enumerate(rows):
        x = LEFT + slot * i
        months.append(
            {
                "month": month,
                "reported": reported,
                "closed": closed,
                "bar_x": round(x + (slot - bar_w) / 2, 1),
                "bar_y": y(reported),
                "bar_w": round(bar_w, 1),
                "bar_h": round(TOP + plot_h - y(reported), 1),
                "label_x": round(x + slot / 2, 1),
                "dot_y": y(closed),
            }
        )
        points.append(f"{round(x + slot / 2, 1)},{y(closed)}")
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - 8,
        "axis_y": TOP + plot_h,
        "label_y": HEIGHT - 8,
        "ticks": [Tick(y(t), t) for t in ticks],
        "months": months,
        "line": " ".join(points),
    }


def bars(rows: list[tuple[str, int]]) -> dict:
    """Horizontal bars, one per (label, value), longest first as given."""
    if not rows:
        return {}
    top = max(v for _l, v in rows) or 1
    row_h = 26
    label_w = 150
    plot_w = WIDTH - label_w - 40
    return {
        "width": WIDTH,
        "height": row_h * len(rows) + 4,
        "label_w": label_w,
        "rows": [
            {
                "label": label,
                "value": value,
                "y": row_h * i + 4,
                "text_y": row_h * i + 19,
                "w": round(max(plot_w * value / top, 1), 1),
                "value_x": round(label_w + max(plot_w * value / top, 1) + 6, 1),
            }
            for i, (label, value) in enumerate(rows)
        ],
    }

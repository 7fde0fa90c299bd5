"""Accessible SVG charts for the owner's dashboard, returned as markup strings.

Standard library only: no Django, no ORM, no settings. A view marks the string safe and puts it
in the page; everything from user data inside it has already been escaped here.

Sources, in my own summary:
- Colours: the Okabe & Ito palette ("Color Universal Design", 2008), which stays distinguishable
  for the common kinds of colour blindness. Three of its hues (orange, sky blue, yellow) are too
  light against white for WCAG 2.2 SC 1.4.11 (non-text contrast, at least 3:1), so they are
  darkened by scaling their RGB values until they pass. The tests recompute every ratio.
- Colour is never the only cue (WCAG SC 1.4.1): line series also differ by dash pattern,
  stacked segments are separated by white gaps, and every mark carries a ``<title>`` with its
  label and value.
- Names for assistive technology: the root is ``role="img"`` labelled by its own ``<title>`` and
  ``<desc>`` (SVG 2 §5.9, WAI-ARIA "img" role); the ``<desc>`` sums the data up in one sentence.
- Content-Security-Policy: no ``style=""`` attribute and no ``<script>``, so the charts keep
  working if ``style-src-attr`` is ever tightened. Presentation attributes (``fill``, ``stroke``,
  ``font-size``…) and classes are not governed by CSP, and page CSS can still override them.
- Size: ``width="100%"`` with a ``viewBox`` and no fixed width, so a chart fills its card; text is
  at least 12 units of the viewBox.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "NO_DATA",
    "PALETTE",
    "Series",
    "bar_chart",
    "format_value",
    "line_chart",
    "stacked_bars",
]

NO_DATA = "No data for these dates."

# Okabe-Ito, in the order series get them. Blue, green, vermillion and reddish purple already
# reach 3:1 on white; the others are darkened versions (original in the comment).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue (5.2:1)
    "#C68900",  # orange #E69F00 darkened (3.0:1)
    "#009E73",  # bluish green (3.4:1)
    "#D55E00",  # vermillion (3.9:1)
    "#4B9DCB",  # sky blue #56B4E9 darkened (3.0:1)
    "#CC79A7",  # reddish purple (3.1:1)
    "#9E962C",  # yellow #F0E442 darkened (3.1:1)
)
# Second cue besides colour for line series (WCAG 1.4.1); "" is a solid line.
DASHES: tuple[str, ...] = ("", "8 4", "2 3", "8 3 2 3")

TEXT_COLOUR = "#222222"  # 15.9:1 on white
AXIS_COLOUR = "#595959"  # 7:1 on white
GRID_COLOUR = "#D9D9D9"  # decorative: every value is also in a <title> and in the <desc>
FONT_SIZE = 13  # viewBox units; chart text never goes below 12
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# Average glyph width of a sans-serif font, as a share of its size: rough, but only used to
# leave room for labels, never to position data.
CHAR_WIDTH = 0.6

WIDTH = 640
LINE_HEIGHT = 300
BAR_ROW = 28  # the bar chart grows by one row per label
BAR_THICKNESS = 18
BAR_LABEL_MAX_CHARS = 24
MAX_X_LABELS = 12
X_LABEL_MAX_CHARS = 16
LEGEND_MAX_CHARS = 40

SVG_NS = "http://www.w3.org/2000/svg"
# Characters XML 1.0 forbids even when escaped; a stray one in a name would break the page's SVG.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Number = float | Decimal


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per label (a payer's monthly totals, say).

    Values may be ``int``, ``float`` or ``Decimal``; they are stored as floats. ``None`` is a
    value that does not exist (a month with nothing to measure): a line chart leaves a gap
    there, the bar charts draw nothing.
    """

    name: str
    values: tuple[Number | None, ...]

    def __post_init__(self) -> None:
        # Frozen, so the conversion goes through object.__setattr__; done once here so that the
        # drawing code only ever sees floats.
        object.__setattr__(
            self, "values", tuple(None if v is None else float(v) for v in self.values)
        )


# --- numbers ----------------------------------------------------------------------------------


def _decimal(value: Number) -> Decimal:
    # repr of a float is its shortest round-tripping form, so 1234.5 becomes exactly 1234.5 and
    # rounds half up as a person would expect (float formatting rounds half to even).
    if isinstance(value, Decimal | int):
        return Decimal(value)
    return Decimal(repr(value))


def format_value(value: Number, unit: str) -> str:
    """Write a value the way the dashboard shows it.

    - ``"%"``: the value is already a percentage (93.5 means 93.5%), written with at most one
      decimal: ``93.5%``, ``100%``.
    - ``"$"``: dollars with thousands separators; no cents from $1,000 up (``$1,235``), cents
      below (``$12.50``). Rounds half up.
    - ``""``: a plain number with at most two decimals, trailing zeros dropped: ``3``,
      ``1.5``, ``1.25``, ``1,234``.
    - any other unit is written after a plain number and a space: ``12 visits``.

    Negative values keep their sign (``-$12.50``); a value that is not finite reads ``n/a``.
    """
    if not math.isfinite(float(value)):
        return "n/a"
    amount = _decimal(value)
    negative = amount < 0
    amount = abs(amount)
    if unit == "$":
        cents = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if cents >= 1000:
            dollars = amount.quantize(Decimal(1), ROUND_HALF_UP)
            text, zero = f"${dollars:,.0f}", dollars == 0
        else:
            text, zero = f"${cents:,.2f}", cents == 0
    elif unit == "%":
        tenths = amount.quantize(Decimal("0.1"), ROUND_HALF_UP)
        text, zero = _trim(tenths, 1) + "%", tenths == 0
    else:
        hundredths = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
        text, zero = _trim(hundredths, 2), hundredths == 0
        if unit:
            text = f"{text} {unit}"
    # No "-0" when a tiny negative rounds away.
    return f"-{text}" if negative and not zero else text


def _trim(amount: Decimal, places: int) -> str:
    text = f"{amount:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _tick_label(value: float, unit: str) -> str:
    # Round dollar ticks read "$250", not "$250.00".
    if unit == "$" and value == int(value):
        return f"${int(value):,}"
    return format_value(value, unit)


def _clean(value: float) -> float:
    # Negative values should not occur (counts, money, rates); NaN or infinity would break the
    # scale. Both are drawn as 0 rather than raising in the middle of a dashboard.
    return value if math.isfinite(value) and value > 0 else 0.0


def _nice_scale(top: float, *, whole: bool) -> tuple[float, list[float]]:
    """The axis maximum and its ticks for data up to ``top``: 3 to 5 ticks (2 to 4 steps) at
    1, 2, 2.5 or 5 times a power of ten, with the lowest maximum that covers ``top``.
    ``whole``: steps are whole numbers (dollars, counts)."""
    best: tuple[float, int, float] | None = None  # (axis max, -steps, step)
    exponent = math.floor(math.log10(top))
    for power in range(exponent - 1, exponent + 2):
        for mantissa in (1.0, 2.0, 2.5, 5.0):
            step = mantissa * 10.0**power
            if whole and step != int(step):
                continue
            # Float sums land just past a round number (0.1 + 0.2 = 0.30000000000000004); the
            # epsilon keeps such a total from costing a whole extra step.
            steps = math.ceil(top / step - 1e-9)
            if 2 <= steps <= 4:
                candidate = (steps * step, -steps, step)
                if best is None or candidate < best:
                    best = candidate
    if best is None:  # only when whole steps of 1 are too coarse for a tiny maximum
        step, steps = 1.0, max(2, math.ceil(top))
    else:
        step, steps = best[2], -best[1]
    return steps * step, [round(i * step, 10) for i in range(steps + 1)]


def _scale(
    peak: float, *, unit: str, whole: bool, y_max: float | None = None
) -> tuple[float, list[float]]:
    # Dollar ticks are always whole: "$250", never "$2.50" steps on a revenue chart.
    whole = whole or unit == "$"
    if y_max is not None and y_max >= peak and y_max > 0:
        axis_max, ticks = _nice_scale(y_max, whole=whole)
        if axis_max == y_max:
            return axis_max, ticks
        # y_max is not a round number: keep it as the top and the round ticks under it.
        return y_max, [t for t in ticks if t < y_max] + [y_max]
    return _nice_scale(peak, whole=whole)


# --- markup helpers ---------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(_XML_INVALID.sub("", text), quote=True)


def _n(value: float) -> str:
    # Two decimals are finer than a pixel and keep the markup short.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(**attributes: str | float) -> str:
    parts = []
    for key, value in attributes.items():
        name = key.rstrip("_").replace("_", "-")
        text = _n(value) if isinstance(value, int | float) else value
        parts.append(f'{name}="{_esc(text)}"')
    return " ".join(parts)


def _el(tag: str, tip: str | None = None, /, **attributes: str | float) -> str:
    """One element; ``tip`` becomes its ``<title>`` child, the hover text of a mark."""
    if tip is None:
        return f"<{tag} {_attrs(**attributes)}/>"
    return f"<{tag} {_attrs(**attributes)}><title>{_esc(tip)}</title></{tag}>"


def _rule(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return _el("line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=colour, stroke_width=1)


def _text(content: str, **attributes: str | float) -> str:
    return f"<text {_attrs(fill=TEXT_COLOUR, **attributes)}>{_esc(content)}</text>"


def _text_width(text: str, size: float = FONT_SIZE) -> float:
    return len(text) * size * CHAR_WIDTH


def _slug(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:40].strip("-")
    return slug or "chart"


def _chart_id(kind: str, title: str, labels: Sequence[str], rows: Sequence[object]) -> str:
    # The title alone is not unique on a page (two "Visits" charts); the hash of the kind and
    # the data tells such charts apart, and the id stays the same from one render to the next.
    digest = hashlib.blake2s(repr((kind, title, list(labels), list(rows))).encode(), digest_size=4)
    return f"chart-{_slug(title)}-{digest.hexdigest()}"


def _svg(*, kind: str, chart_id: str, title: str, desc: str, height: float, body: list[str]) -> str:
    root = _attrs(
        xmlns=SVG_NS,
        id=chart_id,
        class_=f"ptc-chart ptc-chart-{kind}",
        viewBox=f"0 0 {WIDTH} {_n(height)}",
        width="100%",
        preserveAspectRatio="xMidYMid meet",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        font_family=FONT_FAMILY,
        font_size=FONT_SIZE,
    )
    return "\n".join(
        [
            f"<svg {root}>",
            f'<title id="{chart_id}-title">{_esc(title)}</title>',
            f'<desc id="{chart_id}-desc">{_esc(desc)}</desc>',
            *body,
            "</svg>",
        ]
    )


def _no_data(*, kind: str, chart_id: str, title: str) -> str:
    height = 120
    message = _text(
        NO_DATA, x=WIDTH / 2, y=height / 2, text_anchor="middle", dominant_baseline="middle"
    )
    body = [f'<g class="no-data">{message}</g>']
    return _svg(kind=kind, chart_id=chart_id, title=title, desc=NO_DATA, height=height, body=body)


def _check_labels(labels: Sequence[str], rows: Sequence[Sequence[float]], what: str) -> None:
    # A bare string would draw one label per character.
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of strings, not a string")
    for row in rows:
        if len(row) != len(labels):
            raise ValueError(f"{what} has {len(row)} values for {len(labels)} labels")


def _x_label_step(count: int, slot: float, labels: Sequence[str]) -> int:
    """Show every n-th x label: at most MAX_X_LABELS, and never two that would overlap."""
    widest = max(_text_width(label) for label in labels) + 8
    return max(1, math.ceil(count / MAX_X_LABELS), math.ceil(widest / slot) if slot else 1)


def _legend(
    names: Sequence[str], *, top: float, left: float, right: float, swatch: str
) -> tuple[list[str], float]:
    """Legend items in rows from ``top``; returns the markup and the height it takes."""
    rows: list[list[tuple[str, int, float]]] = [[]]
    used = 0.0
    for index, full_name in enumerate(names):
        name = _shorten(full_name, LEGEND_MAX_CHARS)
        width = 28 + _text_width(name) + 16
        if rows[-1] and left + used + width > right:
            rows.append([])
            used = 0.0
        rows[-1].append((name, index, left + used))
        used += width
    items = []
    row_height = FONT_SIZE + 9
    for row_number, row in enumerate(rows):
        y = top + row_number * row_height + row_height / 2
        for name, index, x in row:
            colour = PALETTE[index % len(PALETTE)]
            if swatch == "line":
                mark = _el(
                    "line",
                    x1=x,
                    y1=y,
                    x2=x + 22,
                    y2=y,
                    stroke=colour,
                    stroke_width=2.5,
                    **_dash(index),
                )
            else:
                mark = _el("rect", x=x + 5, y=y - 6, width=12, height=12, fill=colour)
            label = _text(name, x=x + 28, y=y, dominant_baseline="middle")
            items.append(f'<g class="legend-item">{mark}{label}</g>')
    return [f'<g class="legend">{"".join(items)}</g>'], len(rows) * row_height + 6


def _dash(index: int) -> dict[str, str]:
    dash = DASHES[index % len(DASHES)]
    return {"stroke_dasharray": dash} if dash else {}


def _value_axis(
    ticks: Sequence[float],
    *,
    axis_max: float,
    unit: str,
    left: float,
    right: float,
    top: float,
    bottom: float,
) -> list[str]:
    parts = []
    for tick in ticks:
        y = bottom - tick / axis_max * (bottom - top)
        parts.append(_rule(left, y, right, y, GRID_COLOUR))
        parts.append(
            _text(
                _tick_label(tick, unit),
                x=left - 8,
                y=y,
                text_anchor="end",
                dominant_baseline="middle",
            )
        )
    axis = _rule(left, top, left, bottom, AXIS_COLOUR)
    base = _rule(left, bottom, right, bottom, AXIS_COLOUR)
    return [f'<g class="grid y-axis">{"".join(parts)}{axis}{base}</g>']


def _x_labels(labels: Sequence[str], xs: Sequence[float], *, y: float, slot: float) -> list[str]:
    shown = [_shorten(label, X_LABEL_MAX_CHARS) for label in labels]
    step = _x_label_step(len(labels), slot, shown)
    texts = [
        _text(label, x=x, y=y, text_anchor="middle")
        for i, (label, x) in enumerate(zip(shown, xs, strict=True))
        if i % step == 0
    ]
    return [f'<g class="x-axis">{"".join(texts)}</g>']


def _tick_room(ticks: Sequence[float], unit: str) -> float:
    return max(_text_width(_tick_label(t, unit)) for t in ticks) + 16


def _whole(rows: Sequence[Sequence[float]]) -> bool:
    return all(v == int(v) for row in rows for v in row)


def _extremes(points: Sequence[tuple[str, float]]) -> tuple[tuple[str, float], tuple[str, float]]:
    # The first of equal values wins, reading left to right.
    highest = max(points, key=lambda p: p[1])
    lowest = min(points, key=lambda p: p[1])
    return highest, lowest


# --- charts -----------------------------------------------------------------------------------


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    y_max: float | None = None,
) -> str:
    """A line per series over the labels (months, weeks), with a dot and a hover title per value.

    ``y_max`` fixes the top of the value axis (100 for percentages) unless the data go higher;
    without it the axis ends at the lowest round tick at or above the highest value. More than
    one series gets a legend. Values below zero are drawn as zero. Raises ``ValueError`` when a
    series does not have one value per label.
    """
    present = [[v is not None for v in s.values] for s in series]
    rows = [[_clean(float(v or 0)) for v in s.values] for s in series]
    _check_labels(labels, rows, "a series")
    chart_id = _chart_id(
        "line", title, labels, [(s.name, r) for s, r in zip(series, rows, strict=True)]
    )
    if not labels or not any(v for row in rows for v in row):
        return _no_data(kind="line", chart_id=chart_id, title=title)

    peak = max(v for row in rows for v in row)
    axis_max, ticks = _scale(peak, unit=unit, whole=_whole(rows), y_max=y_max)
    height = LINE_HEIGHT
    left = _tick_room(ticks, unit)
    right = WIDTH - max(16.0, _text_width(_shorten(labels[-1], X_LABEL_MAX_CHARS)) / 2 + 4)
    top = 12.0
    body: list[str] = []
    if len(series) > 1:
        legend, legend_height = _legend(
            [s.name for s in series], top=4, left=left, right=right, swatch="line"
        )
        body += legend
        top += legend_height
    bottom = height - 34.0
    count = len(labels)
    slot = (right - left) / count
    xs = [left + slot * (i + 0.5) for i in range(count)]

    body += _value_axis(
        ticks, axis_max=axis_max, unit=unit, left=left, right=right, top=top, bottom=bottom
    )
    body += _x_labels(labels, xs, y=bottom + 20, slot=slot)
    for index, (one, row, shown) in enumerate(zip(series, rows, present, strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        ys = [bottom - v / axis_max * (bottom - top) for v in row]
        # One polyline per run of values that exist: a missing value is a gap, not a zero.
        runs: list[list[str]] = [[]]
        for x, y, here in zip(xs, ys, shown, strict=True):
            if here:
                runs[-1].append(f"{_n(x)},{_n(y)}")
            elif runs[-1]:
                runs.append([])
        line = "".join(
            _el(
                "polyline",
                points=" ".join(run),
                fill="none",
                stroke=colour,
                stroke_width=2.5,
                stroke_linejoin="round",
                **_dash(index),
            )
            for run in runs
            if len(run) > 1
        )
        dots = []
        for label, x, y, value, here in zip(labels, xs, ys, row, shown, strict=True):
            if not here:
                continue
            name = f"{label}, {one.name}" if len(series) > 1 else label
            tip = f"{name}: {format_value(value, unit)}"
            dots.append(_el("circle", tip, cx=x, cy=y, r=4, fill=colour))
        body.append(f'<g class="series series-{index}">{line}{"".join(dots)}</g>')

    desc = _line_desc(labels, series, rows, unit)
    return _svg(kind="line", chart_id=chart_id, title=title, desc=desc, height=height, body=body)


def _line_desc(
    labels: Sequence[str], series: Sequence[Series], rows: Sequence[Sequence[float]], unit: str
) -> str:
    several = len(series) > 1
    points = [
        (f"{one.name} in {label}" if several else label, value)
        for one, row in zip(series, rows, strict=True)
        for label, value in zip(labels, row, strict=True)
    ]
    if len(labels) == 1:
        values = (
            ", ".join(f"{name} {format_value(v, unit)}" for name, v in points)
            if several
            else format_value(points[0][1], unit)
        )
        return f"One point, {labels[0]}: {values}."
    (high, high_v), (low, low_v) = _extremes(points)
    return (
        f"From {labels[0]} to {labels[-1]}, the highest value is {format_value(high_v, unit)} "
        f"({high}) and the lowest is {format_value(low_v, unit)} ({low})."
    )


def bar_chart(
    *, title: str, labels: Sequence[str], values: Sequence[Number], unit: str = ""
) -> str:
    """Horizontal bars, one per label (a clinician, a payer), each with its value at its end.

    The longest bar is the highest value and spans the plot; the others are in proportion.
    The value written beside each bar does the job of gridlines, so there are none. Labels longer
    than 24 characters are cut with an ellipsis; the bar's hover title has the full text. The
    chart grows by 28 units per bar. Values below zero are drawn as zero.
    """
    cleaned = [_clean(float(v or 0)) for v in values]
    _check_labels(labels, [cleaned], "values")
    chart_id = _chart_id("bar", title, labels, cleaned)
    if not labels or not any(cleaned):
        return _no_data(kind="bar", chart_id=chart_id, title=title)

    shown = [_shorten(label) for label in labels]
    texts = [format_value(v, unit) for v in cleaned]
    label_room = max(_text_width(s) for s in shown) + 12
    value_room = max(_text_width(t) for t in texts) + 14
    left, right = label_room, WIDTH - value_room
    padding = 8.0
    height = padding * 2 + BAR_ROW * len(labels)
    peak = max(cleaned)
    body = [_rule(left, padding, left, height - padding, AXIS_COLOUR)]
    bars = []
    for i, (label, short, value, text) in enumerate(
        zip(labels, shown, cleaned, texts, strict=True)
    ):
        middle = padding + BAR_ROW * (i + 0.5)
        width = value / peak * (right - left)
        rect = _el(
            "rect",
            f"{label}: {text}",
            class_="bar",
            x=left,
            y=middle - BAR_THICKNESS / 2,
            width=width,
            height=BAR_THICKNESS,
            fill=PALETTE[0],
        )
        name = _text(short, x=left - 8, y=middle, text_anchor="end", dominant_baseline="middle")
        number = _text(text, x=left + width + 6, y=middle, dominant_baseline="middle")
        bars.append(f"<g>{rect}{name}{number}</g>")
    body.append(f'<g class="bars">{"".join(bars)}</g>')

    points = list(zip(labels, cleaned, strict=True))
    if len(points) == 1:
        desc = f"One bar: {labels[0]} at {texts[0]}."
    else:
        (high, high_v), (low, low_v) = _extremes(points)
        desc = (
            f"{len(points)} bars; the highest is {high} at {format_value(high_v, unit)} "
            f"and the lowest is {low} at {format_value(low_v, unit)}."
        )
    return _svg(kind="bar", chart_id=chart_id, title=title, desc=desc, height=height, body=body)


def _shorten(label: str, limit: int = BAR_LABEL_MAX_CHARS) -> str:
    # The marks' hover titles keep the full text.
    if len(label) <= limit:
        return label
    return label[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


def stacked_bars(
    *, title: str, labels: Sequence[str], series: Sequence[Series], unit: str = ""
) -> str:
    """A column per label (months), stacked from the bottom in series order, with a legend.

    Each column's height is its total on the value axis; each segment is its series' share of
    it, in the series' colour, with a white gap between segments and a hover title
    ("Jan 2026, Medicare: $1,234"). Values below zero are drawn as zero.
    """
    rows = [[_clean(float(v or 0)) for v in s.values] for s in series]
    _check_labels(labels, rows, "a series")
    chart_id = _chart_id(
        "stacked", title, labels, [(s.name, r) for s, r in zip(series, rows, strict=True)]
    )
    totals = [sum(column) for column in zip(*rows, strict=True)] if rows else []
    if not labels or not any(totals):
        return _no_data(kind="stacked", chart_id=chart_id, title=title)

    axis_max, ticks = _scale(max(totals), unit=unit, whole=_whole(rows))
    height = LINE_HEIGHT
    left = _tick_room(ticks, unit)
    right = WIDTH - 16.0
    legend, legend_height = _legend(
        [s.name for s in series], top=4, left=left, right=right, swatch="box"
    )
    top = 12.0 + legend_height
    bottom = height - 34.0
    count = len(labels)
    slot = (right - left) / count
    column_width = min(slot * 0.6, 48.0)
    xs = [left + slot * (i + 0.5) for i in range(count)]

    body = legend
    body += _value_axis(
        ticks, axis_max=axis_max, unit=unit, left=left, right=right, top=top, bottom=bottom
    )
    body += _x_labels(labels, xs, y=bottom + 20, slot=slot)
    columns = []
    for i, (label, x) in enumerate(zip(labels, xs, strict=True)):
        segments = []
        running = 0.0
        # Edges from the running total, so the segments meet exactly and add up to the column.
        lower = bottom
        for index, (one, row) in enumerate(zip(series, rows, strict=True)):
            value = row[i]
            if not value:
                continue
            running += value
            upper = round(bottom - running / axis_max * (bottom - top), 2)
            segment = _el(
                "rect",
                f"{label}, {one.name}: {format_value(value, unit)}",
                class_=f"segment series-{index}",
                x=x - column_width / 2,
                y=upper,
                width=column_width,
                height=round(lower - upper, 2),
                fill=PALETTE[index % len(PALETTE)],
                stroke="#FFFFFF",
                stroke_width=1,
            )
            segments.append(segment)
            lower = upper
        columns.append(f'<g class="column">{"".join(segments)}</g>')
    body.append(f'<g class="columns">{"".join(columns)}</g>')

    points = list(zip(labels, totals, strict=True))
    if count == 1:
        desc = f"One column, {labels[0]}: total {format_value(totals[0], unit)}."
    else:
        (high, high_v), (low, low_v) = _extremes(points)
        desc = (
            f"From {labels[0]} to {labels[-1]}, the highest total is {format_value(high_v, unit)} "
            f"({high}) and the lowest is {format_value(low_v, unit)} ({low})."
        )
    return _svg(kind="stacked", chart_id=chart_id, title=title, desc=desc, height=height, body=body)

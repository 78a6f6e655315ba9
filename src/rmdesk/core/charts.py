"""Charts drawn on the server as SVG: no script, no outside assets, readable by screen readers.

Every app draws its charts here: ``bar_chart`` for amounts and counts (with an optional
marker such as a median), ``share_chart`` for shares coloured against a good and a bad
threshold, ``stacked_bars`` for rows split into segments, ``sparkline`` for a trend.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

GREEN, AMBER, RED = "#2e7d32", "#f0a500", "#b3202b"
SEGMENT_COLOURS = (GREEN, "#f9a825", "#ef6c00", "#c62828", "#6a1b9a")


Number = Decimal | int | float


def bar_chart(
    rows: Sequence[tuple[str, Number] | tuple[str, Number, str]],
    *,
    title: str,
    width: int = 480,
    bar_height: int = 18,
    label_width: int = 140,
    marker: Decimal | int | float | None = None,
) -> SafeString:
    """Horizontal bars, one per (label, value) or (label, value, caption), with an optional
    vertical marker (a median). The caption, or the value, is written beside each bar."""
    values = [float(row[1]) for row in rows]
    scale_top = max([*values, float(marker or 0), 0.0]) or 1.0
    plot = width - label_width - 60
    height = bar_height * len(rows) + 8
    parts = [
        format_html(
            '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
            'preserveAspectRatio="xMinYMin meet"><title>{}</title>',
            width,
            height,
            title,
        )
    ]
    for index, (row, number) in enumerate(zip(rows, values, strict=True)):
        label = row[0]
        caption = row[2] if len(row) > 2 else _short(number)
        y = 4 + index * bar_height
        length = max(0.0, number) / scale_top * plot
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-bar"></rect>'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                label_width - 6,
                y + bar_height - 6,
                label,
                label_width,
                y + 2,
                f"{length:.1f}",
                bar_height - 4,
                f"{label_width + length + 4:.1f}",
                y + bar_height - 6,
                caption,
            )
        )
    if marker is not None:
        x = label_width + float(marker) / scale_top * plot
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="0" y2="{}" class="chart-marker"></line>',
                f"{x:.1f}",
                f"{x:.1f}",
                height,
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 (parts are escaped)


def sparkline(values: Sequence[Decimal | int | float], *, title: str) -> SafeString:
    """A small trend line of ``values`` (oldest first)."""
    width, height = 120, 28
    numbers = [float(value) for value in values]
    if not numbers:
        return mark_safe("")
    low, high = min(numbers), max(numbers)
    span = (high - low) or 1.0
    step = width / max(1, len(numbers) - 1)
    points = " ".join(
        f"{index * step:.1f},{height - 2 - (number - low) / span * (height - 4):.1f}"
        for index, number in enumerate(numbers)
    )
    return format_html(
        '<svg class="sparkline" role="img" viewBox="0 0 {} {}" width="{}" height="{}">'
        '<title>{}</title><polyline points="{}" class="chart-line"></polyline></svg>',
        width,
        height,
        width,
        height,
        title,
        points,
    )


def _short(number: float) -> str:
    places = 0 if number == int(number) or abs(number) >= 100 else 2
    return str(formats.number_format(number, decimal_pos=places, force_grouping=True))


def share_chart(
    rows: Sequence[tuple[str, float]], *, title: str, good: float, bad: float
) -> SafeString:
    """Horizontal bars of shares (0–1) with the percentage beside each, green at or past
    ``good``, red past ``bad`` and amber between; ``good < bad`` means lower is better
    (a breach rate), ``good > bad`` higher is better (a coverage)."""
    bar_height, gap, label_width, bar_width = 22, 6, 180, 360
    height = max(len(rows), 1) * (bar_height + gap) + gap
    parts = [
        format_html(
            '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
            'preserveAspectRatio="xMinYMin meet"><title>{}</title>',
            label_width + bar_width + 60,
            height,
            title,
        )
    ]
    for index, (label, raw) in enumerate(rows):
        share = min(max(float(raw), 0.0), 1.0)
        if good >= bad:
            colour = GREEN if share >= good else RED if share < bad else AMBER
        else:
            colour = GREEN if share <= good else RED if share > bad else AMBER
        y = gap + index * (bar_height + gap)
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" class="chart-label">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="#eef1f5"></rect>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" class="chart-value">{}%</text>',
                label_width - 6,
                y + bar_height - 6,
                label[:24],
                label_width,
                y,
                bar_width,
                bar_height,
                label_width,
                y,
                f"{bar_width * share:.1f}",
                bar_height,
                colour,
                label_width + bar_width + 6,
                y + bar_height - 6,
                f"{share * 100:.0f}",
            )
        )
    parts.append(mark_safe("</svg>"))  # noqa: S308 (a constant)
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 (parts are escaped)


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int]]], *, legend: Sequence[str], title: str = ""
) -> SafeString:
    """One bar per row split into segments (age buckets, say), with a legend below."""
    row, label_width, width = 22, 180, 560
    top = max([sum(values) for _label, values in rows] + [1])
    span = width - label_width - 40
    parts = []
    for index, (label, values) in enumerate(rows):
        y = index * row
        x = label_width
        segments = []
        for position, value in enumerate(values):
            length = int(span * value / top)
            if length:
                segments.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                        "<title>{}: {}</title></rect>",
                        x,
                        y + 4,
                        length,
                        row - 8,
                        SEGMENT_COLOURS[position % len(SEGMENT_COLOURS)],
                        legend[position],
                        value,
                    )
                )
            x += length
        parts.append(
            format_html(
                '<text x="0" y="{}" class="chart-label">{}</text>{}'
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                y + 15,
                label[:28],
                mark_safe("".join(str(segment) for segment in segments)),  # noqa: S308
                x + 4,
                y + 15,
                sum(values),
            )
        )
    y = len(rows) * row + 6
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
            '<text x="{}" y="{}" class="chart-label">{}</text>',
            (
                (
                    label_width + i * 90,
                    y,
                    SEGMENT_COLOURS[i % len(SEGMENT_COLOURS)],
                    label_width + i * 90 + 14,
                    y + 9,
                    name,
                )
                for i, name in enumerate(legend)
            ),
        )
    )
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet">{}</svg>',
        title,
        width,
        max(y + 16, row),
        mark_safe("".join(str(part) for part in parts)),  # noqa: S308 (parts are escaped)
    )

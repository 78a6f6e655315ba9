"""Small server-side SVG charts (no JavaScript): horizontal bars, stacked or single."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#2e7d32", "#f9a825", "#ef6c00", "#c62828", "#6a1b9a")
ROW = 22
LABEL = 180
WIDTH = 560


def _frame(height: int, body: SafeString, title: str) -> SafeString:
    return format_html(
        '<svg class="chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        title,
        WIDTH,
        max(height, ROW),
        body,
    )


def bars(rows: Sequence[tuple[str, float]], *, unit: str = "", title: str = "") -> SafeString:
    """One bar per row, scaled to the largest value (or 100 for percentages)."""
    top = max([value for _label, value in rows] + [100.0 if unit == "%" else 1.0])
    span = WIDTH - LABEL - 60
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW
        length = int(span * value / top) if top else 0
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" font-size="12">{}{}</text>',
                y + 15,
                label[:28],
                LABEL,
                y + 4,
                length,
                ROW - 8,
                COLOURS[0] if value < 80 or unit != "%" else COLOURS[3],
                LABEL + length + 4,
                y + 15,
                f"{value:.1f}" if unit == "%" else f"{value:g}",
                unit,
            )
        )
    return _frame(len(rows) * ROW, mark_safe("".join(parts)), title)  # noqa: S308


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int]]], *, legend: Sequence[str], title: str = ""
) -> SafeString:
    """One bar per row split into segments (e.g. age buckets), with a legend below."""
    top = max([sum(values) for _label, values in rows] + [1])
    span = WIDTH - LABEL - 40
    parts = []
    for index, (label, values) in enumerate(rows):
        y = index * ROW
        x = LABEL
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
                        ROW - 8,
                        COLOURS[position % len(COLOURS)],
                        legend[position],
                        value,
                    )
                )
            x += length
        parts.append(
            format_html(
                '<text x="0" y="{}" font-size="12">{}</text>{}'
                '<text x="{}" y="{}" font-size="12">{}</text>',
                y + 15,
                label[:28],
                mark_safe("".join(segments)),  # noqa: S308
                x + 4,
                y + 15,
                sum(values),
            )
        )
    y = len(rows) * ROW + 6
    parts.append(
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
            '<text x="{}" y="{}" font-size="11">{}</text>',
            (
                (LABEL + i * 90, y, COLOURS[i % len(COLOURS)], LABEL + i * 90 + 14, y + 9, name)
                for i, name in enumerate(legend)
            ),
        )
    )
    return _frame(y + 16, mark_safe("".join(parts)), title)  # noqa: S308

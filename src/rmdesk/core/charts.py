"""Charts drawn on the server as SVG: no script, no outside assets, readable by screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def bar_chart(
    rows: Sequence[tuple[str, Decimal | int | float]],
    *,
    title: str,
    width: int = 480,
    bar_height: int = 18,
    label_width: int = 140,
    marker: Decimal | int | float | None = None,
) -> SafeString:
    """Horizontal bars, one per (label, value), with an optional vertical marker (a median)."""
    values = [float(value) for _label, value in rows]
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
    for index, ((label, _value), number) in enumerate(zip(rows, values, strict=True)):
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
                _short(number),
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

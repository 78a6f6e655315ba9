"""Server-drawn SVG charts (no script): readable without JavaScript and printable."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 22
GAP = 6
LABEL_WIDTH = 180
BAR_WIDTH = 360
VALUE_WIDTH = 60


def bar_chart(rows: list[tuple[str, float]], *, title: str) -> SafeString:
    """Horizontal bars of shares (0..1), one per row, with the percentage beside each."""
    height = max(len(rows), 1) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, share) in enumerate(rows):
        share = min(max(share, 0.0), 1.0)
        y = GAP + index * (BAR_HEIGHT + GAP)
        bar = round(BAR_WIDTH * share, 1)
        colour = "#2e7d32" if share >= 0.9 else "#f0a500" if share >= 0.6 else "#b3202b"
        text_y = y + BAR_HEIGHT - 6
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{text_y}" text-anchor="end" font-size="12">'
            f"{escape(label[:24])}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" '
            f'fill="#eef1f5"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{bar}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 6}" y="{text_y}" font-size="12">'
            f"{share * 100:.0f}%</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every label is escaped above)

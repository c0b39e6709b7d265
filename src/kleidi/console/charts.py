"""Bar charts drawn on the server as SVG (issue 12 §1): no script, no inline style (CSP).

A chart is a picture of numbers that a table beside it lists, with their links:
the SVG is `role="img"` named by its `<title>`, so assistive technology reads
the table, not each bar. Colours come from classes in console/dashboard.css.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

FONT = 14


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # A class of console/dashboard.css for the bar's colour (state-expired, ...).
    tone: str = ""
    # A second line under a column (the year under January), or "".
    sublabel: str = ""


def _scale(bars: list[Bar], room: float) -> float:
    top = max((bar.value for bar in bars), default=0)
    return room / top if top else 0.0


def horizontal(chart_id: str, title: str, bars: list[Bar]) -> SafeString:
    """One row per bar: the label, the bar, its number."""
    width, label_w, number_w, row_h = 600, 230, 60, 28
    height = row_h * len(bars) + 8
    unit = _scale(bars, width - label_w - number_w)
    rows = format_html_join(
        "",
        '<g class="chart-row">'
        '<text x="{}" y="{}" class="chart-label" text-anchor="end">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2" class="chart-bar {}"></rect>'
        '<text x="{}" y="{}" class="chart-value">{}</text></g>',
        (
            (
                label_w - 8,
                i * row_h + 4 + FONT + 2,
                bar.label,
                label_w,
                i * row_h + 6,
                round(bar.value * unit, 1),
                row_h - 10,
                bar.tone,
                label_w + round(bar.value * unit, 1) + 6,
                i * row_h + 4 + FONT + 2,
                bar.value,
            )
            for i, bar in enumerate(bars)
        ),
    )
    return _svg(chart_id, title, width, height, rows)


def vertical(chart_id: str, title: str, bars: list[Bar]) -> SafeString:
    """One column per bar, its number above it and its label (and sublabel) below."""
    step, top_room, bottom_room, plot_h = 30, 22, 40, 160
    width = step * len(bars) + 4
    height = top_room + plot_h + bottom_room
    unit = _scale(bars, plot_h)
    base = top_room + plot_h
    columns = format_html_join(
        "",
        '<g class="chart-column">'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2" class="chart-bar {}"></rect>'
        '<text x="{}" y="{}" class="chart-value" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" class="chart-label chart-small" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" class="chart-label chart-small" text-anchor="middle">{}</text>'
        "</g>",
        (
            (
                2 + i * step + 4,
                base - round(bar.value * unit, 1),
                step - 8,
                round(bar.value * unit, 1),
                bar.tone,
                2 + i * step + step / 2,
                base - round(bar.value * unit, 1) - 6,
                bar.value if bar.value else "",
                2 + i * step + step / 2,
                base + 16,
                bar.label,
                2 + i * step + step / 2,
                base + 32,
                bar.sublabel,
            )
            for i, bar in enumerate(bars)
        ),
    )
    axis = format_html(
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="chart-axis"></line>', base, width, base
    )
    return _svg(chart_id, title, width, height, columns + axis)


def _svg(chart_id: str, title: str, width: int, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" id="{}" role="img" aria-labelledby="{}-title" '
        'viewBox="0 0 {} {}" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg" font-size="{}">'
        '<title id="{}-title">{}</title>{}</svg>',
        chart_id,
        chart_id,
        width,
        height,
        FONT,
        chart_id,
        title,
        body,
    )

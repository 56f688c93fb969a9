"""Bar charts as static SVG, made on the server: readable on screen, on paper and in a PDF.

No script and nothing fetched: a chart is a few rectangles and text in the page. Horizontal
bars, a label and the number beside each bar, black and grey (a copier keeps them apart), and
a ``<title>`` and a table of the same numbers beside it for screen readers and for anyone who
wants the figures.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

ROW = 22
LABEL_WIDTH = 200
NUMBER_WIDTH = 60


def bars(title: str, items: list[tuple[str, float]], width: int = 560, unit: str = "") -> str:
    """An SVG of one bar per (label, value), longest value the full width."""
    height = ROW * max(1, len(items)) + 30
    top = max((v for _label, v in items), default=0) or 1
    span = width - LABEL_WIDTH - NUMBER_WIDTH
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" class="chart-bars">'),
             f"<title>{escape(title)}</title>",
             (f'<text x="0" y="16" font-size="14" font-weight="bold" font-family="sans-serif">'
             f"{escape(title)}</text>")]
    for i, (label, value) in enumerate(items):
        y = 26 + i * ROW
        length = span * value / top
        number = f"{value:g}{unit}"
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" font-size="12" '
                     f'text-anchor="end" font-family="sans-serif">{escape(label)}</text>')
        parts.append(f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" height="14" '
                     f'fill="{"#333" if i % 2 == 0 else "#888"}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 14}" font-size="12" '
                     f'font-family="sans-serif">{escape(number)}</text>')
    if not items:
        parts.append(f'<text x="0" y="{26 + 14}" font-size="12" font-family="sans-serif">–</text>')
    parts.append("</svg>")
    return "\n".join(parts)

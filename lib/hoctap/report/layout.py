"""Column widths of a ``Table`` from the text it holds, for renderers that need them fixed:
the Word file (a table's grid) and the PDF (a fixed table layout, which spares WeasyPrint the
min-content measuring of every word of every cell: 12 s of a 7-page annex).

Measured with the metrics of Times (Times New Roman, Liberation Serif); renderer-neutral.
"""

from __future__ import annotations

import unicodedata

from hoctap.report import blocks as B

HASH_PT = 6.5  # the monospace type of hashes in provenance tables

# Advance widths (1/1000 em) of ASCII 32-126 in Times Roman and Times Bold (Adobe AFM, the
# metrics of Times New Roman and Liberation Serif): for column widths and the short rules.
_TIMES = {
    False: "250 333 408 500 500 833 778 333 333 333 500 564 250 333 250 278 500 500 500 500 500 500 500 500 500 500 278 "
    "278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 611 889 722 722 556 722 667 556 611 722 722 "
    "944 722 722 611 333 278 333 469 500 333 444 500 444 500 444 333 500 500 278 278 500 278 778 500 500 500 500 333 "
    "389 278 500 500 722 500 500 444 480 200 480 541",
    True: "250 333 555 500 500 1000 833 333 333 333 500 570 250 333 250 278 500 500 500 500 500 500 500 500 500 500 "
    "333 333 570 570 570 500 930 722 667 722 722 667 611 778 778 389 500 778 667 944 722 778 611 778 722 556 667 722 "
    "722 1000 722 722 667 333 278 333 581 500 333 500 556 444 556 444 333 500 556 278 333 556 278 833 556 500 556 556 "
    "444 389 333 556 500 722 500 500 444 394 220 394 520",
}
_WIDTHS = {bold: [int(x) for x in s.split()] for bold, s in _TIMES.items()}


def text_pt(text: str, size: float, bold: bool = False) -> float:
    """The printed width of ``text`` in points: Vietnamese letters measure as their base letter."""
    widths = _WIDTHS[bold]
    total = 0
    for ch in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")):
        if not unicodedata.combining(ch):
            o = ord(ch)
            total += widths[o - 32] if 32 <= o <= 126 else 556
    return total * size / 1000


def grid(rows: list[list[B.Cell]], ncols: int) -> list[list[tuple[int, int, B.Cell | None, str | None]]]:
    """Rows as slots (first grid column, span, cell, vMerge): a cell spanning rows leaves a
    continuation slot (cell None) in the rows below; a short row is filled with empty cells."""
    below: dict[tuple[int, int], int] = {}  # (row, column) -> span of the cell above reaching into it
    out = []
    for r, row in enumerate(rows):
        slots: list[tuple[int, int, B.Cell | None, str | None]] = []
        cells = iter(row)
        col = 0
        while col < ncols:
            if (r, col) in below:
                slots.append((col, below[(r, col)], None, "continue"))
                col += below[(r, col)]
                continue
            cell = next(cells, None)
            if cell is None:
                slots.append((col, 1, B.Cell(""), None))
                col += 1
                continue
            span = max(1, min(int(cell.colspan or 1), ncols - col))
            down = max(1, min(int(cell.rowspan or 1), len(rows) - r))
            for rr in range(r + 1, r + down):
                below[(rr, col)] = span
            slots.append((col, span, cell, "restart" if down > 1 else None))
            col += span
        out.append(slots)
    return out


def nowrap(t: B.Table, j: int, cell: B.Cell) -> bool:
    """A cell kept on one line: by its column or itself, or the last column of a series table
    (as in the PDF)."""
    return j >= 0 and (t.cell_nowrap(j, cell) or ("series" in t.style.split() and j == len(t.columns) - 1))


def column_widths(
    t: B.Table,
    head_grid,
    body_grid,
    size: float,
    pad: float,
    avail: float,
    hash_pt: float = HASH_PT,
    head_size: float | None = None,
) -> list[float]:
    """Widths (pt) filling the text width, as a browser's automatic table layout gives them.

    Each column needs at least its longest word (its whole text when it does not wrap; a word
    longer than 30% of the width breaks) and wants its longest text (half of a header's); what
    is left is shared in proportion to what each column wants more.
    """
    ncols = max(1, len(t.columns))
    anywhere = "prov" in t.style.split()  # provenance cells break anywhere (file names, hashes)
    lo, hi = [0.0] * ncols, [0.0] * ncols
    for grid, head in ((head_grid, True), (body_grid, False)):
        for slots in grid:
            for col, span, cell, _ in slots:
                if cell is None or span != 1:
                    continue
                cs, bold = (hash_pt if cell.mono else (head_size or size) if head else size), head or cell.bold
                full = max((text_pt(x, cs, bold) for x in cell.text.split("\n")), default=0.0)
                j = min(col, len(t.columns) - 1)
                whole = not head and not cell.mono and (nowrap(t, j, cell) or t.cell_align(j, cell) == B.RIGHT)
                word = max((text_pt(w, cs, bold) for w in cell.text.split()), default=0.0)
                least = full if whole else min(word, avail * 0.3)
                if anywhere or cell.mono:
                    least = min(least, text_pt("x" * 14, cs))
                want = max(word, full / 2) if head else full  # a header may take two lines before a cell wraps
                lo[col], hi[col] = max(lo[col], least), max(hi[col], want)
    for j, c in enumerate(t.columns[:ncols]):
        if c.width:  # characters
            lo[j] = hi[j] = max(lo[j], c.width * size * 0.5)
    extra = 2 * pad + 2.5  # padding, the rule and some slack for the other renderer's rounding
    lo = [max(x, 8.0) + extra for x in lo]
    hi = [max(x + extra, low) for x, low in zip(hi, lo, strict=True)]
    if sum(hi) <= avail:
        return [h * avail / sum(hi) for h in hi]
    if sum(lo) <= avail:
        room = (avail - sum(lo)) / (sum(hi) - sum(lo))
        return [low + (h - low) * room for low, h in zip(lo, hi, strict=True)]
    return [low * avail / sum(lo) for low in lo]

"""The Excel renderer: every table of a ``Document`` as a sheet, the way an office pastes it.

Each table becomes a sheet named by ``Table.name``: its caption as the title row, the
synthetic-data label under it when the document is built from the shipped sample, its header
rows frozen and repeated on each printed page, bordered cells, A4 print setup. Cells hold their
values (numbers stay numbers, rates unrounded under a "(%)" header) with the number format the
table gives them. A text cell that Excel could read as a formula (=, +, -, @) is stored as text.

Neither Excel nor LibreOffice grows a row for wrapped text written by a program, so every row
gets a height from its longest text wrapped in its column's width (``text_lines``, with the
widths of Times New Roman).
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from hoctap.fmt import is_missing
from hoctap.io import atomic_path
from hoctap.report.blocks import CENTER, RIGHT, Cell, Document, Table
from hoctap.vocabulary import SYNTHETIC_LABEL

FONT = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
LABEL_FILL = PatternFill("solid", fgColor="FFF2CC")
FORMULA_START = ("=", "+", "-", "@")
TITLE_ROW, LABEL_ROW, HEAD_ROW = 1, 2, 3  # the header rows start at row 3, with or without a label

# Number formats the appendices use.
INT = "#,##0"
RATE = "0.0"
WHOLE = "0"
SIGNED = "+0.0;-0.0;0.0"
DATE = "dd/mm/yyyy"

# Row height of one line of 11 pt Times New Roman (points; Excel gives a single line 14.25),
# and what a row adds around its lines.
LINE_PT = 14.0
ROW_PAD_PT = 2.5
MIN_WIDTH, MAX_WIDTH = 8.0, 50.0


def rate_format(rate, target) -> str:
    """One decimal unless rounding would put the rate on the other side of its target."""
    if is_missing(rate) or is_missing(target):
        return RATE
    rate, target = float(rate), float(target)
    places = 1
    while places < 4 and (round(rate, places) < target) != (rate < target):
        places += 1
    return "0." + "0" * places


# Advance widths (1/1000 em) of Times New Roman, regular and bold, for " " to "~"; the same
# metrics as Liberation Serif and Tinos. A Vietnamese letter is as wide as its base letter
# (the marks are combining), the horn of ơ/ư adds a little.
_TIMES = {
    False: (
        "250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500 500 500 500 500 "
        "278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 611 889 722 722 556 722 667 556 "
        "611 722 722 944 722 722 611 333 278 333 469 500 333 444 500 444 500 444 333 500 500 278 278 500 278 778 "
        "500 500 500 500 333 389 278 500 500 722 500 500 444 480 200 480 541"
    ),
    True: (
        "250 333 555 500 500 1000 833 278 333 333 500 570 250 333 250 278 500 500 500 500 500 500 500 500 500 500 "
        "333 333 570 570 570 500 930 722 667 722 722 667 611 778 778 389 500 778 667 944 722 778 611 778 722 556 "
        "667 722 722 1000 722 722 667 333 278 333 581 500 333 500 556 444 556 444 333 500 556 278 333 556 278 833 "
        "556 500 556 556 444 389 333 556 500 722 500 500 444 394 220 394 520"
    ),
}
_WIDTHS = {
    bold: dict(zip(map(chr, range(32, 127)), map(int, row.split()), strict=True)) for bold, row in _TIMES.items()
}
_OTHER = {"đ": 500, "Đ": 722, "–": 500, "—": 1000, "“": 444, "”": 444, "‘": 333, "’": 333, "…": 1000, "≥": 549}
MAX_DIGIT_PX = 7  # Calibri 11, the workbook's default font, sets what a width unit is (96 dpi)
CELL_MARGIN_PX = 7  # the cell's inner margins and grid line, with a pixel or two to spare
HINTING = 1.08  # at 96 dpi letters snap to whole pixels: a line of text runs up to this much wider


def _char_em(ch: str, bold: bool) -> float:
    table = _WIDTHS[bold]
    if ch in table:
        return table[ch] / 1000
    if ch in _OTHER:
        return _OTHER[ch] / 1000
    parts = unicodedata.normalize("NFD", ch)
    if parts[0] in table:
        return (table[parts[0]] + (40 if "\u031b" in parts else 0)) / 1000
    return 0.556


def text_width_px(text: str, size: float = 11, bold: bool = False) -> float:
    """The width of ``text`` set in Times New Roman at ``size`` pt, in screen pixels (96 dpi)."""
    return sum(_char_em(ch, bold) for ch in text) * size * 96 / 72


def text_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """How many lines ``text`` wraps to, word by word, in a column ``width`` units wide.

    Excel counts a column's width in digits of its default font (Calibri 11: 7 px each, plus
    5 px); the text is measured in Times New Roman. LibreOffice's columns come out as wide or
    wider, so the count is never short there either.
    """
    room = max((width * MAX_DIGIT_PX + 5 - CELL_MARGIN_PX) / HINTING, 1.0)
    space = text_width_px(" ", size, bold)
    lines = 0
    for part in str(text).split("\n"):
        n, used = 1, 0.0
        for word in part.split(" "):
            w = text_width_px(word, size, bold)
            if used and used + space + w > room:
                n, used = n + 1, 0.0
            if not used and w > room:  # a word longer than the line breaks inside
                extra = math.ceil(w / room) - 1
                n, used = n + extra, w - extra * room
            else:
                used = used + space + w if used else w
        lines += n
    return lines


def row_height(lines: int, size: float = 11) -> float:
    return round(lines * LINE_PT * size / 11 + ROW_PAD_PT, 1)


def _value(cell: Cell):
    if cell.value is not None:
        return cell.value
    return cell.text or None


def _set(target, value, fmt: str | None = None, bold: bool = False, italic: bool = False):
    target.value = value
    if isinstance(value, str):
        # openpyxl reads a leading "=" as a formula: force text, marked so Excel shows it as typed.
        target.data_type = "s"
        if value.startswith(FORMULA_START):
            target.quotePrefix = True
    elif fmt and value is not None:
        target.number_format = fmt
    target.border = BORDER
    target.font = Font(name=FONT, size=11, bold=bold, italic=italic)


def _place(rows: list[list[Cell]], n_cols: int) -> list[list[tuple[int, Cell]]]:
    """Each cell with its column (0-based), skipping places taken by a row- or colspan above."""
    taken: set[tuple[int, int]] = set()
    out = []
    for i, row in enumerate(rows):
        placed, j = [], 0
        for cell in row:
            while (i, j) in taken:
                j += 1
            if j >= n_cols:
                break
            placed.append((j, cell))
            for di in range(max(cell.rowspan, 1)):
                for dj in range(max(cell.colspan, 1)):
                    taken.add((i + di, j + dj))
            j += max(cell.colspan, 1)
        out.append(placed)
    return out


def column_widths(table: Table) -> list[float]:
    """The table's widths, and for a column without one: its longest text (capped), never
    narrower than the longest word of its header."""
    widths = []
    heads = table.headers()[-1] if table.headers() else []
    for j, col in enumerate(table.columns):
        if col.width:
            widths.append(float(col.width))
            continue
        head = heads[j].text if j < len(heads) else col.header
        longest_word = max((len(w) for w in head.split()), default=0)
        longest = max((len(r[j].text) for r in table.rows if j < len(r)), default=0)
        widths.append(min(MAX_WIDTH, max(MIN_WIDTH, longest_word + 2, min(longest, MAX_WIDTH) + 2)))
    return widths


def _merged_row(ws, row: int, n_cols: int, text: str, width: float, font: Font, fill=None) -> None:
    c = ws.cell(row=row, column=1, value=text)
    c.font = font
    c.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    if fill is not None:
        c.fill = fill
    if n_cols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=n_cols)
    ws.row_dimensions[row].height = row_height(text_lines(text, width, font.sz or 11, bool(font.b)), font.sz or 11)


def _horizontal(table: Table, j: int, cell: Cell) -> str | None:
    align = table.cell_align(j, cell)
    return {CENTER: "center", RIGHT: "right"}.get(align)


def write_sheet(wb: Workbook, table: Table, title: str | None = None, synthetic: bool = False):
    """One sheet: title row, the synthetic label (row 2), header rows from row 3 (frozen,
    repeated on each printed page with the label), data below."""
    columns = table.columns
    n = len(columns)
    ws = wb.create_sheet(_sheet_title(wb, title or table.name or f"Bảng {len(wb.worksheets) + 1}"))
    widths = column_widths(table)
    for j, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = width
    total = sum(widths)
    if table.caption:
        _merged_row(ws, TITLE_ROW, n, table.caption, total, Font(name=FONT, size=13, bold=True))
    if synthetic:
        label = Font(name=FONT, size=11, bold=True, color="C00000")
        _merged_row(ws, LABEL_ROW, n, SYNTHETIC_LABEL, total, label, LABEL_FILL)

    heads = table.headers()
    row = HEAD_ROW
    for i, placed in enumerate(_place(heads, n)):
        lines = 1
        for j, head in placed:
            r = row + i
            c = ws.cell(row=r, column=j + 1, value=head.text)
            c.font = Font(name=FONT, size=11, bold=True)
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            c.fill = HEAD_FILL
            span_c, span_r = max(head.colspan, 1), max(head.rowspan, 1)
            for dr in range(span_r):
                for dc in range(span_c):
                    ws.cell(row=r + dr, column=j + 1 + dc).border = BORDER
            if span_c > 1 or span_r > 1:
                ws.merge_cells(start_row=r, start_column=j + 1, end_row=r + span_r - 1, end_column=j + span_c)
            if span_r == 1:
                lines = max(lines, text_lines(head.text, sum(widths[j : j + span_c]), bold=True))
        ws.row_dimensions[row + i].height = row_height(lines)
    first_data = row + len(heads)

    for i, placed in enumerate(_place(table.rows, n)):
        r = first_data + i
        lines = 1
        for j, cell in placed:
            target = ws.cell(row=r, column=j + 1)
            _set(target, _value(cell), cell.number_format or columns[j].number_format, cell.bold, cell.italic)
            span_c, span_r = max(cell.colspan, 1), max(cell.rowspan, 1)
            if span_c > 1 or span_r > 1:
                for dr in range(span_r):
                    for dc in range(span_c):
                        ws.cell(row=r + dr, column=j + 1 + dc).border = BORDER
                ws.merge_cells(start_row=r, start_column=j + 1, end_row=r + span_r - 1, end_column=j + span_c)
            horizontal = _horizontal(table, j, cell)
            if isinstance(target.value, str):
                target.alignment = Alignment(wrap_text=True, vertical="top", horizontal=horizontal)
                if span_r == 1:
                    lines = max(lines, text_lines(target.value, sum(widths[j : j + span_c]), bold=cell.bold))
            elif horizontal == "center":
                target.alignment = Alignment(horizontal="center", vertical="top")
            else:
                target.alignment = Alignment(vertical="top")
        ws.row_dimensions[r].height = row_height(lines)
    # Below the header only data rows: an office sorts, filters and sums them (the note and the
    # "Không có" of an empty table stay in the document).
    last = first_data + len(table.rows) - 1
    ws.freeze_panes = f"A{first_data}"
    ws.print_title_rows = f"{LABEL_ROW if synthetic else HEAD_ROW}:{first_data - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if n > 7 or total > 110 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left, ws.page_margins.right = 0.6, 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.75, 0.75
    ws.page_margins.header, ws.page_margins.footer = 0.3, 0.3
    ws.oddFooter.center.text = "Trang &P/&N"
    if synthetic:
        ws.oddHeader.center.text = "DỮ LIỆU GIẢ LẬP"
    if table.rows:
        ws.auto_filter.ref = f"A{first_data - 1}:{get_column_letter(n)}{last}"
    return ws


_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(wb: Workbook, title: str) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _BAD_TITLE.sub(" ", title).strip()[:31] or "Bảng"
    name, k = base, 2
    taken = {s.lower() for s in wb.sheetnames}
    while name.lower() in taken:
        suffix = f" ({k})"
        name, k = base[: 31 - len(suffix)] + suffix, k + 1
    return name


def write_xlsx(doc: Document, path: Path) -> Path:
    """Write every table of ``doc`` to the workbook ``path`` (atomically) and return the path."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in doc.tables():
        write_sheet(wb, table, synthetic=doc.synthetic)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)

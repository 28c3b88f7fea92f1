"""The Excel renderer: every table of a ``Document`` as a sheet, the way an office pastes it.

Each table becomes a sheet named by ``Table.name``: its caption as the title row, its header
row frozen, bordered cells, A4 print setup. Cells hold their values (numbers stay numbers,
rates unrounded under a "(%)" header) with the number format the table gives them. A text cell
that Excel could read as a formula (=, +, -, @) is stored as text.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from hoctap.fmt import is_missing
from hoctap.io import atomic_path
from hoctap.report.blocks import Cell, Document, Table

FONT = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
FORMULA_START = ("=", "+", "-", "@")

# Number formats the appendices use.
INT = "#,##0"
RATE = "0.0"
WHOLE = "0"
SIGNED = "+0.0;-0.0;0.0"
DATE = "dd/mm/yyyy"


def rate_format(rate, target) -> str:
    """One decimal unless rounding would put the rate on the other side of its target."""
    if is_missing(rate) or is_missing(target):
        return RATE
    rate, target = float(rate), float(target)
    places = 1
    while places < 4 and (round(rate, places) < target) != (rate < target):
        places += 1
    return "0." + "0" * places


def _value(cell: Cell):
    if cell.value is not None:
        return cell.value
    return cell.text or None


def _set(target, value, fmt: str | None = None):
    target.value = value
    if isinstance(value, str):
        # openpyxl reads a leading "=" as a formula: force text, marked so Excel shows it as typed.
        target.data_type = "s"
        if value.startswith(FORMULA_START):
            target.quotePrefix = True
    elif fmt and value is not None:
        target.number_format = fmt
    target.border = BORDER
    target.font = Font(name=FONT, size=11)


def write_sheet(wb: Workbook, table: Table, title: str | None = None):
    """One sheet: title row, header row 3 (frozen, repeated on each printed page), data below."""
    columns = table.columns
    ws = wb.create_sheet(title or table.name or f"Bảng {len(wb.worksheets) + 1}")
    ws.cell(row=1, column=1, value=table.caption).font = Font(name=FONT, size=13, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 22
    for j, head in enumerate(table.headers()[-1], 1):
        c = ws.cell(row=3, column=j, value=head.text)
        c.font = Font(name=FONT, size=11, bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.fill = HEAD_FILL
        c.border = BORDER
        width = columns[j - 1].width
        if width:
            ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[3].height = 45
    for i, row in enumerate(table.rows):
        for j, cell in enumerate(row):
            target = ws.cell(row=4 + i, column=j + 1)
            _set(target, _value(cell), cell.number_format or columns[j].number_format)
            if isinstance(target.value, str):
                target.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if len(columns) > 7 else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left, ws.page_margins.right = 0.6, 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.6, 0.6
    ws.oddFooter.center.text = "Trang &P/&N"
    if table.rows:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{3 + len(table.rows)}"
    return ws


def write_xlsx(doc: Document, path: Path) -> Path:
    """Write every table of ``doc`` to the workbook ``path`` (atomically) and return the path."""
    wb = Workbook()
    wb.remove(wb.active)
    for table in doc.tables():
        write_sheet(wb, table)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)

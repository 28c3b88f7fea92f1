"""The Excel appendix of the annual report: the statistical tables as an office pastes them.

Numbers are stored as numbers (unrounded rates on the 0-100 scale, shown with one decimal under a
"(%)" header), headers are Vietnamese, header rows are frozen, pages are set up for A4. A text
cell that Excel could read as a formula (=, +, -, @) is stored as text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from .. import __version__
from ..io import atomic_path
from ..paths import Workspace
from .annual import INTAKE_STATUS, SEVERITY, AnnualData, load, school_rows
from .meta import is_missing

FONT = "Times New Roman"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="F2F2F2")
FORMULA_START = ("=", "+", "-", "@")

INT = "#,##0"
RATE = "0.0"


def _rate_format(rate, target) -> str:
    """One decimal unless rounding would put the rate on the other side of its target."""
    if is_missing(rate) or is_missing(target):
        return RATE
    rate, target = float(rate), float(target)
    places = 1
    while places < 4 and (round(rate, places) < target) != (rate < target):
        places += 1
    return "0." + "0" * places


def _value(v):
    if is_missing(v):
        return None
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    return v


def _set(cell, value, fmt: str | None = None):
    value = _value(value)
    cell.value = value
    if isinstance(value, str):
        # openpyxl reads a leading "=" as a formula; force text and mark it so Excel shows it as typed.
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    elif fmt and value is not None:
        cell.number_format = fmt
    cell.border = BORDER
    cell.font = Font(name=FONT, size=11)


def _sheet(
    wb: Workbook,
    title: str,
    heading: str,
    columns: list[tuple[str, str, int]],
    rows: list[list],
    formats: list[list[str | None]] | None = None,
):
    """A sheet with a title row, a header row (frozen), bordered data and A4 print setup.

    ``columns``: (header, number format or "", width in characters).
    """
    ws = wb.create_sheet(title)
    ws.cell(row=1, column=1, value=heading).font = Font(name=FONT, size=13, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 22
    for j, (head, _fmt, width) in enumerate(columns, 1):
        c = ws.cell(row=3, column=j, value=head)
        c.font = Font(name=FONT, size=11, bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        c.fill = HEAD_FILL
        c.border = BORDER
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.row_dimensions[3].height = 45
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            fmt = (formats[i][j] if formats and formats[i][j] else None) or columns[j][1] or None
            cell = ws.cell(row=4 + i, column=j + 1)
            _set(cell, value, fmt)
            if isinstance(cell.value, str):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
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
    if rows:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{3 + len(rows)}"
    return ws


_IND_COLUMNS = [
    ("Chỉ tiêu", "", 60),
    ("Số đạt", INT, 12),
    ("Tổng số", INT, 12),
    ("Tỷ lệ (%)", RATE, 10),
    ("Chỉ tiêu kế hoạch (%)", "0", 11),
    ("Năm của chỉ tiêu", "0", 10),
    ("Đánh giá", "", 14),
    ("Số trường báo cáo", INT, 10),
    ("Số trường phải báo cáo", INT, 11),
    ("Số thôn báo cáo", INT, 10),
    ("Số thôn đã biết", INT, 10),
]


def _indicator_rows(d: AnnualData, df: pd.DataFrame, lead: list[str] | None = None):
    rows, fmts = [], []
    for _, r in df.iterrows():
        status = r.get("status")
        values = [
            d.label(r["indicator"], r.get("label")),
            r.get("numerator"),
            r.get("denominator"),
            r.get("rate_pct"),
            r.get("target_pct"),
            r.get("target_year"),
            None if is_missing(status) else status,
            r.get("schools_reporting"),
            r.get("schools_expected"),
            r.get("villages_reporting"),
            r.get("villages_known"),
        ]
        f = [None] * len(values)
        f[3] = _rate_format(r.get("rate_pct"), r.get("target_pct"))
        if lead:
            values = [r.get(c) for c in lead] + values
            f = [None] * len(lead) + f
        rows.append(values)
        fmts.append(f)
    return rows, fmts


def write_annual_appendix(ws: Workspace, year: int, path: Path) -> Path:
    """Write the annual appendix workbook to ``path`` (atomically) and return the path."""
    d = load(ws, year)
    wb = Workbook()
    wb.remove(wb.active)
    area_name = d.area_name

    rows, fmts = _indicator_rows(d, d.area)
    _sheet(
        wb,
        "Chỉ tiêu toàn địa bàn",
        f"Kết quả thực hiện các chỉ tiêu năm {year}, toàn {area_name}",
        _IND_COLUMNS,
        rows,
        fmts,
    )

    com = d.communes.copy()
    order = {c: i for i, c in enumerate(d.meta)}
    com = com.assign(_o=com["indicator"].map(order).fillna(99)).sort_values(["geo_name", "_o"])
    rows, fmts = _indicator_rows(d, com, lead=["geo_name"])
    _sheet(
        wb,
        "Chỉ tiêu theo xã",
        f"Kết quả thực hiện các chỉ tiêu theo xã, thị trấn năm {year}",
        [("Xã, thị trấn", "", 18)] + _IND_COLUMNS,
        rows,
        fmts,
    )

    sch = school_rows(d)
    rows = []
    for _, r in sch.iterrows():
        date = pd.to_datetime(r.get("report_date"), errors="coerce")
        rows.append(
            [
                r.get("school_id"),
                r.get("school_name"),
                r.get("commune_name"),
                None if pd.isna(date) else date.to_pydatetime(),
                r.get("state"),
                r.get("title_txt"),
                r.get("staff_total"),
                r.get("staff_citizen"),
            ]
        )
    _sheet(
        wb,
        "Trường báo cáo",
        f"Tình hình báo cáo của các trường năm {year}",
        [
            ("Mã trường", "", 10),
            ("Tên trường", "", 38),
            ("Xã, thị trấn", "", 16),
            ("Ngày báo cáo", "dd/mm/yyyy", 12),
            ("Tình trạng", "", 16),
            ("Đạt Đơn vị học tập", "", 11),
            ("Tổng số CB, GV, NV", INT, 11),
            ("Số đạt Công dân học tập", INT, 12),
        ],
        rows,
    )

    rows = []
    if d.issues is not None:
        for _, r in d.issues.iterrows():
            rows.append(
                [
                    Path(str(r.get("path"))).name if not is_missing(r.get("path")) else None,
                    r.get("school_id"),
                    r.get("sheet"),
                    r.get("row"),
                    r.get("column"),
                    SEVERITY.get(r.get("severity"), r.get("severity")),
                    r.get("message"),
                    None if is_missing(r.get("value")) else str(r.get("value")),
                ]
            )
    _sheet(
        wb,
        "Vấn đề số liệu",
        f"Các vấn đề phát hiện trong số liệu năm {year}",
        [
            ("Tệp", "", 28),
            ("Mã trường", "", 10),
            ("Trang tính", "", 12),
            ("Dòng", "0", 7),
            ("Cột", "", 7),
            ("Mức độ", "", 10),
            ("Nội dung", "", 60),
            ("Giá trị đã nhập", "", 16),
        ],
        rows,
    )

    rows = [
        ["Năm báo cáo", str(year), None],
        ["Thời điểm lập", dt.datetime.now().strftime("%H:%M %d/%m/%Y"), None],
        ["Phần mềm", f"hoctap {__version__}", None],
        ["Thư mục dữ liệu", str(ws.data_dir), None],
        [
            "Ghi chú",
            "Tỷ lệ lưu đủ số lẻ, hiển thị một chữ số thập phân; ô trống: không có số liệu.",
            None,
        ],
    ]
    if d.intake is not None:
        for _, r in d.intake.sort_values("path").iterrows():
            rows.append(
                [
                    r.get("path"),
                    INTAKE_STATUS.get(r.get("status"), r.get("status")),
                    r.get("sha256"),
                ]
            )
    _sheet(
        wb,
        "Nguồn số liệu",
        f"Nguồn số liệu và thông tin lập bảng năm {year}",
        [("Tệp / thông tin", "", 45), ("Tình trạng / giá trị", "", 30), ("Mã băm SHA-256", "", 68)],
        rows,
    )

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)

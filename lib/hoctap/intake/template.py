"""The blank HTSD-01 workbook that schools fill in (``hoctap template``).

Every label comes from :mod:`hoctap.intake.schema`, so the file a school receives is exactly the one
the reader expects. Drop-downs and number checks catch most mistakes in Excel itself, before
the file is ever sent; protection keeps labels intact but has no password, so a school that
needs another row or a wider column can still unprotect the sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.datavalidation import DataValidation

from hoctap.errors import HoctapError
from hoctap.intake import schema
from hoctap.io import write_bytes
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.programme import END_YEAR, PERIOD, START_YEAR
from hoctap.programme import NAME as PROGRAMME_NAME
from hoctap.reference import Reference, deadline, settings_on
from hoctap.text import school_key

# Layout shared with the demo generator (1-based rows/columns).
TITLE_ROW = 1
NOTE_ROW = 2
PAIRS_FIRST_ROW = 4
TABLE_HEADER_ROW = 4
TABLE_FIRST_ROW = 5
TABLE_ROWS = 30
INSTRUCTIONS_SHEET = "HuongDan"
LISTS_SHEET = "DanhMuc"
YES, NO = "Có", "Không"
TOTAL_LABEL = schema.TOTAL_ROW_LABELS[0]

# Fixed document times: the same inputs give byte-identical files.
FIXED_TIME = dt.datetime(START_YEAR, 1, 1, 0, 0, 0)

FONT = "Times New Roman"
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
TOTAL_FILL = PatternFill("solid", fgColor="EDEDED")
TITLE_FONT = Font(name=FONT, size=13, bold=True, color="1F3864")
HEADER_FONT = Font(name=FONT, size=11, bold=True)
BODY_FONT = Font(name=FONT, size=11)
NOTE_FONT = Font(name=FONT, size=10, italic=True, color="7F7F7F")
WRAP = Alignment(wrap_text=True, vertical="center")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
LOCKED = Protection(locked=True)
UNLOCKED = Protection(locked=False)

# Column widths of the table sheets, by field kind.
_TABLE_WIDTH = {"ignore": 6, "text": 30, "count": 14, "yesno": 13, "org_type": 17}
# The instructions column: at 100 % it fits an A4 portrait page between 0.6" margins in both
# Excel (7 px per width unit) and LibreOffice (1.94 mm per unit with a Times New Roman default).
INSTRUCTIONS_WIDTH = 88
TEXT_FORMAT = "@"  # typed digits stay text: a phone number keeps its leading 0
# Pairs-sheet fields typed as text whatever they look like.
_TEXT_FIELDS = ("school_code", "school_name", "preparer", "phone")

# Advance widths of Times New Roman (and metric-compatible Liberation Serif) in 1/1000 em for
# ASCII 32-126; a Vietnamese letter is measured by its base letter. Used to size wrapped rows:
# LibreOffice keeps the row heights stored in the file and does not grow rows to fit the text.
_ADVANCE = tuple(
    int(w)
    for w in """
250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500
500 500 500 500 278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722
611 889 722 722 556 722 667 556 611 722 722 944 722 722 611 333 278 333 469 500 333 444
500 444 500 444 333 500 500 278 278 500 278 778 500 500 500 500 333 389 278 500 500 722
500 500 444 480 200 480 541""".split()
)


def _reference(workspace: Workspace | None) -> Reference:
    """The workspace's reference data when it has any, else the shipped one."""
    if workspace is not None and (workspace.reference_dir / "communes.csv").is_file():
        return Reference(workspace.reference_dir)
    return Reference(SHIPPED_REFERENCE_DIR)


# ---- school lookup ----------------------------------------------------------------------------


def find_school(ref: Reference, query: str) -> pd.Series:
    """The registry row for a school id or name; a Vietnamese error naming close matches."""
    schools = ref.schools
    q = (query or "").strip()
    by_id = schools.loc[schools["school_id"].str.upper() == q.upper()]
    if len(by_id):
        return by_id.iloc[0]
    key = school_key(q)
    hits = []
    for row in schools.itertuples():
        names = [row.name, *[a.strip() for a in (row.aliases or "").split("|") if a.strip()]]
        if key and any(school_key(n) == key for n in names):
            hits.append(row.Index)
    if len(hits) == 1:
        return schools.loc[hits[0]]
    if len(hits) > 1:
        listed = "; ".join(
            f"{schools.loc[i, 'school_id']} ({schools.loc[i, 'name']}, {ref.commune_label(schools.loc[i, 'commune_code'])})"
            for i in hits
        )
        raise HoctapError(
            f"Có nhiều trường tên “{q}”: {listed}. Hãy ghi mã trường, ví dụ --school {schools.loc[hits[0], 'school_id']}."
        )
    from rapidfuzz import fuzz, process

    choices = {row.school_id: school_key(row.name) for row in schools.itertuples()}
    close = process.extract(key, choices, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
    if close:
        names = ", ".join(f"{sid} ({schools.loc[schools['school_id'] == sid, 'name'].iloc[0]})" for _, _, sid in close)
        raise HoctapError(f"Không tìm thấy trường “{q}” trong danh mục trường. Có phải là: {names}?")
    raise HoctapError(f"Không tìm thấy trường “{q}” trong danh mục trường (data/reference/schools.csv).")


def school_commune_on(ref: Reference, registry_commune: str, on: dt.date) -> str:
    """The commune valid on a date that the registry commune became (itself when unchanged)."""
    succ = ref.successors(registry_commune, on)
    if len(succ) == 1:
        return next(iter(succ))
    return registry_commune


# ---- deterministic zip ------------------------------------------------------------------------


def stabilize_zip(
    data: bytes,
    when: dt.datetime = FIXED_TIME,
    cached: dict[str, dict[str, object]] | None = None,
    macro: bool = False,
    edits: dict[str, Callable[[str], str]] | None = None,
) -> bytes:
    """Rewrite an openpyxl/ODF zip with fixed entry times and document dates.

    openpyxl stamps the save time into every zip entry and into ``dcterms:modified``; both are
    replaced so that a rerun gives the same bytes. ``cached`` adds cached results to formula
    cells (``{"xl/worksheets/sheet3.xml": {"C12": 345}}``), which openpyxl cannot write;
    ``macro`` marks the package as ``.xlsm``; ``edits`` rewrites the text of named members
    (e.g. the ODF ``meta.xml``) in the same pass.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rf"\g<1>{stamp}\g<2>",
                    text,
                )
                text = re.sub(
                    r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)",
                    rf"\g<1>{stamp}\g<2>",
                    text,
                )
                body = text.encode("utf-8")
            elif cached and info.filename in cached:
                text = body.decode("utf-8")
                for ref, value in cached[info.filename].items():
                    text = re.sub(
                        rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(?:<v\s*/>|<v></v>)',
                        lambda m, v=value: f"{m.group(1)}{m.group(2)}<v>{v}</v>",
                        text,
                    )
                body = text.encode("utf-8")
            elif edits and info.filename in edits:
                body = edits[info.filename](body.decode("utf-8")).encode("utf-8")
            elif macro and info.filename == "[Content_Types].xml":
                body = body.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                )
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = info.compress_type
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def workbook_bytes(wb: Workbook, **kwargs) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return stabilize_zip(buf.getvalue(), **kwargs)


# ---- building blocks --------------------------------------------------------------------------


def _title(ws, text: str, ncols: int, note: str | None = None) -> None:
    ws.cell(TITLE_ROW, 1, text).font = TITLE_FONT
    ws.cell(TITLE_ROW, 1).alignment = Alignment(vertical="center")
    ws.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=ncols)
    ws.row_dimensions[TITLE_ROW].height = 24
    if note:
        ws.cell(NOTE_ROW, 1, note).font = NOTE_FONT
        ws.cell(NOTE_ROW, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=NOTE_ROW, start_column=1, end_row=NOTE_ROW, end_column=ncols)
        dims = ws.column_dimensions
        width = sum(dims[get_column_letter(j)].width or 13 for j in range(1, ncols + 1))
        _fit_row(ws, NOTE_ROW, note, width, size=10)


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Printed width of ``text`` in points (Times New Roman metrics)."""
    units = 0
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0]
        code = ord(base)
        if 32 <= code <= 126:
            units += _ADVANCE[code - 32]
        else:
            units += 722 if base.isupper() else 500
    return units / 1000 * size * (1.06 if bold else 1.0)


def text_lines(text: str, width: float, size: float = 11, bold: bool = False) -> int:
    """Lines that ``text`` wraps to in a column ``width`` units wide (greedy, by words).

    The usable width is Excel's (7 px per unit + 5 px, less the cell padding), which is the
    narrower of Excel and LibreOffice, less 5 % for rounding: a row is never too short.
    """
    room = ((7 * width + 5) - 8) * 0.75 * 0.95
    space = _text_width(" ", size, bold)
    lines = 0
    for para in str(text).split("\n"):
        used = None
        for word in para.split():
            w = _text_width(word, size, bold)
            if used is not None and used + space + w <= room:
                used += space + w
                continue
            lines += max(1, math.ceil(w / room))
            used = w - (math.ceil(w / room) - 1) * room
        lines += used is None
    return max(lines, 1)


def row_height(text: str, width: float, size: float = 11, bold: bool = False, pad: float = 4) -> float:
    """A row height (points) that shows every wrapped line of ``text``."""
    return text_lines(text, width, size, bold) * round(size * 1.36, 1) + pad


def _fit_row(ws, row: int, text: str, width: float, size: float = 11, bold: bool = False, least: float = 0) -> None:
    """Give ``row`` room for ``text``; only ever grows the row."""
    need = max(row_height(text, width, size, bold), least)
    dim = ws.row_dimensions[row]
    dim.height = max(dim.height or 0, need)


def _default_font(wb: Workbook) -> None:
    """Times New Roman as the workbook default font (the "Normal" style).

    Spreadsheets measure column widths in digits of the default font. openpyxl's default is
    Calibri, which most Linux machines lack: LibreOffice substitutes DejaVu Sans and every
    column comes out a third wider than in Excel, so pages overflow. Times New Roman has a
    metric-compatible twin (Liberation Serif) wherever LibreOffice is installed.
    """
    font = Font(name=FONT, size=11)
    wb._fonts = IndexedList([font])
    wb._named_styles["Normal"].font = font


def _print_setup(ws, landscape: bool, area: str, title_rows: str | None = None) -> None:
    """A4, one page wide (as many pages down as needed), a print area, repeated header rows."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddFooter.center.text = "&A - trang &P"
    ws.oddFooter.center.size = 9
    ws.oddFooter.center.font = FONT
    ws.page_setup.firstPageNumber = 1  # each sheet counts its own pages, as in Excel
    ws.page_setup.useFirstPageNumber = True
    ws.print_area = area
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws) -> None:
    """Labels locked, inputs unlocked; no password, and layout changes stay allowed."""
    p = ws.protection
    p.sheet = True
    p.formatCells = False
    p.formatColumns = False
    p.formatRows = False
    p.insertRows = False
    p.deleteRows = False
    p.sort = False
    p.autoFilter = False


def _list_validation(values: list[str], title: str, range_ref: str | None = None) -> DataValidation:
    """A drop-down: inline when it fits Excel's 255-character limit, else a range of the list sheet."""
    formula = range_ref or '"' + ",".join(values) + '"'
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.error = "Chọn một giá trị trong danh sách."
    dv.errorTitle = "Giá trị không hợp lệ"
    dv.prompt = f"Chọn {title.lower()} trong danh sách."
    dv.showErrorMessage = True
    dv.showInputMessage = True
    return dv


def _fits_inline(values: list[str]) -> bool:
    return len(",".join(values)) <= 250 and not any("," in v or '"' in v for v in values)


def _count_validation() -> DataValidation:
    dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    dv.error = "Ghi số nguyên không âm (ví dụ 125), không ghi tỷ lệ % hay chữ."
    dv.errorTitle = "Số lượng không hợp lệ"
    dv.showErrorMessage = True
    return dv


def _input(cell, number_format: str | None = None) -> None:
    cell.font = BODY_FONT
    cell.fill = INPUT_FILL
    cell.border = BORDER
    cell.protection = UNLOCKED
    cell.alignment = Alignment(vertical="center", wrap_text=True)
    if number_format:
        cell.number_format = number_format


def _label(cell) -> None:
    cell.font = BODY_FONT
    cell.border = BORDER
    cell.alignment = WRAP
    cell.protection = LOCKED


def _instructions(wb: Workbook, year: int, ref: Reference, due: dt.date) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    settings = settings_on(ref.settings, due)  # the body that collects this year's reports
    plan = settings.get("plan", {})
    issuer = settings.get("issuer", {})
    inclusive = settings.get("reporting", {}).get("deadline_inclusive", False)
    due_text = ("chậm nhất ngày " if inclusive else "trước ngày ") + due.strftime("%d/%m/%Y")
    recipient = issuer.get("recipient") or plan.get("recipient") or "đơn vị tổng hợp báo cáo"
    office = " ".join(x for x in (issuer.get("name", ""), issuer.get("place", "")) if x).strip()
    programme = plan.get("programme", PROGRAMME_NAME)
    lines: list[tuple[str, str]] = [
        ("title", f"HƯỚNG DẪN ĐIỀN BIỂU MẪU {schema.TEMPLATE_ID} - NĂM {year}"),
        (
            "text",
            f"Báo cáo kết quả thực hiện Chương trình “{programme}” giai đoạn {PERIOD} của nhà trường, năm {year}.",
        ),
        ("head", "1. Nội dung cần điền"),
        (
            "text",
            f"• Trang {schema.INFO.name}: thông tin chung của trường (tên trường, xã, cấp học, ngày báo cáo, người lập biểu, số điện thoại).",
        ),
        (
            "text",
            f"• Trang {schema.UNIT.name}: nhà trường là “Đơn vị học tập”: danh hiệu, số cán bộ, giáo viên, nhân viên, hội viên khuyến học, cán bộ làm công tác khuyến học.",
        ),
        (
            "text",
            f"• Trang {schema.VILLAGES.name}: mỗi thôn, buôn, tổ dân phố mà trường phối hợp ghi một dòng: số hộ, dòng họ, danh hiệu “Cộng đồng học tập”, người lao động.",
        ),
        (
            "text",
            f"• Trang {schema.ORGS.name} (nếu có): các cơ quan, tổ chức, doanh nghiệp trên địa bàn xã và kết quả “Đơn vị học tập”, “Công dân học tập”.",
        ),
        (
            "text",
            "• Chỉ điền vào các ô nền vàng nhạt. Không đổi tên trang, không sửa các ô tiêu đề, không xóa cột. Dòng “Tổng cộng” tự tính.",
        ),
        ("head", "2. Quy tắc ghi số liệu"),
        (
            "text",
            "• Số lượng: ghi số nguyên không âm, không kèm chữ (ví dụ 125, không ghi “125 hộ”); không ghi tỷ lệ phần trăm.",
        ),
        ("text", "• Không có thì ghi 0; để trống nghĩa là chưa có số liệu."),
        ("text", f"• Câu hỏi Có/Không: chọn “{YES}” hoặc “{NO}” trong danh sách."),
        (
            "text",
            "• Ngày báo cáo: ghi theo dạng ngày/tháng/năm (dd/mm/yyyy), ví dụ 25/11/" + str(year) + ".",
        ),
        (
            "text",
            "• Xã, thị trấn: chọn trong danh sách (theo địa giới hành chính hiện hành); cấp học: chọn trong danh sách.",
        ),
        (
            "text",
            "• Số đạt danh hiệu không lớn hơn tổng số; số hộ đạt “Gia đình học tập” không lớn hơn số hộ đăng ký.",
        ),
        ("head", "3. Thời hạn và nơi gửi"),
        ("text", f"• Gửi báo cáo {due_text}."),
        (
            "text",
            f"• Gửi tệp Excel này (không chuyển sang PDF) qua thư điện tử về {recipient}"
            + (f" và {office}" if office else "")
            + ".",
        ),
        (
            "text",
            f"• Đặt tên tệp gợi ý: {schema.TEMPLATE_ID}_<mã trường>_{year}.xlsx. Nếu gửi lại bản sửa, ghi ngày báo cáo mới.",
        ),
        ("head", "4. Kiểm tra trước khi gửi"),
        (
            "text",
            "• Tệp được kiểm tra tự động bằng lệnh “hoctap check <tệp>”: lỗi (số âm, tỷ lệ %, số đạt lớn hơn tổng số, sai năm, tên xã không có trong danh mục) sẽ được gửi lại để trường sửa.",
        ),
        (
            "text",
            f"• Cần thêm dòng ở trang {schema.VILLAGES.name} hoặc {schema.ORGS.name}:"
            " chọn một dòng nền vàng hoặc dòng “Tổng cộng” rồi chèn dòng phía trên"
            " (Insert > Rows); “Tổng cộng” tự cộng cả các dòng mới.",
        ),
        ("text", "• Số điện thoại, mã trường được ghi dạng chữ nên giữ nguyên số 0 ở đầu."),
        (
            "text",
            "• Trang tính được khóa ô tiêu đề nhưng không đặt mật khẩu: khi cần sửa bố cục,"
            " chọn Review > Unprotect Sheet (Công cụ > Bảo vệ trang tính).",
        ),
    ]
    ws.column_dimensions["A"].width = INSTRUCTIONS_WIDTH
    # An empty narrow column B: LibreOffice shrinks a print area to the page width only when
    # it spans several columns (a single column wider than the page is clipped, not shrunk).
    ws.column_dimensions["B"].width = 2
    for i, (kind, text) in enumerate(lines, start=1):
        c = ws.cell(i, 1, text)
        if kind == "title":
            c.font = TITLE_FONT
            c.alignment = Alignment(wrap_text=True, vertical="center")
            _fit_row(ws, i, text, INSTRUCTIONS_WIDTH, size=13, bold=True, least=24)
        elif kind == "head":
            c.font = Font(name=FONT, size=11, bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="bottom")
            _fit_row(ws, i, text, INSTRUCTIONS_WIDTH, bold=True, least=22)
        else:
            c.font = BODY_FONT
            c.alignment = Alignment(wrap_text=True, vertical="top")
            _fit_row(ws, i, text, INSTRUCTIONS_WIDTH)
    _print_setup(ws, landscape=False, area=f"A1:B{len(lines)}")
    ws.sheet_view.showGridLines = False


def _pairs_sheet(wb, sheet: schema.Sheet, values: dict[str, object], dv_for, note: str | None):
    ws = wb.create_sheet(sheet.name)
    kinds: dict[str, list[str]] = {"commune": []}
    widths = (62, 16) if sheet is schema.UNIT else (34, 40)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = widths
    _title(ws, sheet.title, 2, note)
    for i, f in enumerate(sheet.fields):
        r = PAIRS_FIRST_ROW + i
        _label(ws.cell(r, 1, f.label))
        if f.required:
            ws.cell(r, 1).font = Font(name=FONT, size=11, bold=True)
        cell = ws.cell(r, 2, values.get(f.name))
        fmt = {"count": "#,##0", "date": "DD/MM/YYYY", "year": "0"}.get(f.kind)
        if f.name in _TEXT_FIELDS:
            fmt = TEXT_FORMAT
        _input(cell, fmt)
        if f.name == "template_id":
            cell.protection = LOCKED
            cell.fill = PatternFill(fill_type=None)
        if f.name == "commune":
            kinds["commune"].append(cell.coordinate)
        elif f.kind not in ("text", "ignore"):
            kinds.setdefault(f.kind, []).append(cell.coordinate)
        _fit_row(ws, r, f.label, widths[0], bold=f.required, least=20)
    _add_validations(ws, kinds, dv_for)
    ws.freeze_panes = ws.cell(PAIRS_FIRST_ROW, 1)
    _print_setup(ws, landscape=False, area=f"A1:B{PAIRS_FIRST_ROW + len(sheet.fields) - 1}")
    _protect(ws)
    return ws


def _add_validations(ws, kinds: dict[str, list[str]], dv_for) -> None:
    for kind, refs in kinds.items():
        dv = dv_for(kind) if refs else None
        if dv is not None:
            for ref in refs:
                dv.add(ref)
            ws.add_data_validation(dv)


def total_formula(letter: str) -> str:
    """The "Tổng cộng" formula of a column: from the header cell down to the row above itself.

    Anchored on the header (text, which SUM skips) and ending at ``ROW()-1``, so a row inserted
    anywhere between them, right under the header or right above the total, is summed too; a
    plain ``SUM(C5:C34)`` misses rows inserted at either edge.
    """
    return f"=SUM({letter}{TABLE_HEADER_ROW}:INDEX({letter}:{letter},ROW()-1))"


def _table_sheet(wb, sheet: schema.Sheet, dv_for, note: str | None, rows: int = TABLE_ROWS):
    ws = wb.create_sheet(sheet.name)
    n = len(sheet.fields)
    kinds: dict[str, list[str]] = {}
    last = TABLE_FIRST_ROW + rows - 1
    total = last + 1
    for j, f in enumerate(sheet.fields, start=1):
        c = ws.cell(TABLE_HEADER_ROW, j, f.label)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        c.border = BORDER
        c.alignment = WRAP_CENTER
        c.protection = LOCKED
        letter = get_column_letter(j)
        width = _TABLE_WIDTH.get(f.kind, 14)
        ws.column_dimensions[letter].width = width
        _fit_row(ws, TABLE_HEADER_ROW, f.label, width, bold=True, least=30)
        fmt = "#,##0" if f.kind == "count" else None
        for r in range(TABLE_FIRST_ROW, last + 1):
            _input(ws.cell(r, j), fmt)
        rng = f"{letter}{TABLE_FIRST_ROW}:{letter}{last}"
        if f.kind not in ("text", "ignore"):
            kinds.setdefault(f.kind, []).append(rng)
        t = ws.cell(total, j)
        t.font = HEADER_FONT
        t.fill = TOTAL_FILL
        t.border = BORDER
        t.protection = LOCKED
        if f.kind == "count":
            t.value = total_formula(letter)
            t.number_format = "#,##0"
    name_col = next(j for j, f in enumerate(sheet.fields, start=1) if f.kind == "text")
    ws.cell(total, name_col, TOTAL_LABEL)
    _title(ws, sheet.title, n, note)
    _add_validations(ws, kinds, dv_for)
    ws.freeze_panes = ws.cell(TABLE_FIRST_ROW, name_col + 1)
    area = f"A1:{get_column_letter(n)}{total}"
    _print_setup(ws, True, area, title_rows=f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}")
    _protect(ws)
    return ws


def build_workbook(year: int, ref: Reference, school: pd.Series | None = None) -> Workbook:
    """The HTSD-01 workbook for ``year``, prefilled for ``school`` (a registry row) if given."""
    due = deadline(ref.settings, year)
    lists = {
        "yesno": ("Có/Không", [YES, NO]),
        "commune": ("Xã, thị trấn", [ref.commune_label(c) for c in ref.communes_valid_on(due)]),
        "level": ("Cấp học", list(schema.SCHOOL_LEVELS)),
        "org_type": ("Loại hình", list(schema.ORG_TYPES)),
    }
    # Lists too long to be written inline go to a hidden sheet at the end of the workbook.
    ranges: dict[str, str] = {}
    long_lists = [k for k, (_, vals) in lists.items() if not _fits_inline(vals)]
    for col, k in enumerate(long_lists, start=1):
        letter = get_column_letter(col)
        ranges[k] = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(lists[k][1]) + 1}"

    def dv_for(kind: str) -> DataValidation | None:
        if kind in lists:
            return _list_validation(lists[kind][1], lists[kind][0], ranges.get(kind))
        if kind == "count":
            return _count_validation()
        if kind == "date":
            dv = DataValidation(
                type="date",
                operator="between",
                formula1=f"DATE({START_YEAR},1,1)",
                formula2=f"DATE({END_YEAR + 1},12,31)",
                allow_blank=True,
            )
            dv.error = f"Ghi ngày theo dạng dd/mm/yyyy, ví dụ 25/11/{year}."
            dv.errorTitle = "Ngày không hợp lệ"
            dv.showErrorMessage = True
            return dv
        if kind == "year":
            dv = DataValidation(
                type="whole",
                operator="between",
                formula1=str(START_YEAR),
                formula2=str(END_YEAR),
                allow_blank=True,
            )
            dv.error = f"Năm báo cáo từ {START_YEAR} đến {END_YEAR}."
            dv.errorTitle = "Năm không hợp lệ"
            dv.showErrorMessage = True
            return dv
        return None

    values: dict[str, object] = {"template_id": schema.TEMPLATE_ID, "year": year}
    if school is not None:
        values["school_code"] = school["school_id"]
        values["school_name"] = school["name"]
        values["commune"] = ref.commune_label(school_commune_on(ref, school["commune_code"], due))
        if school.get("level") in schema.SCHOOL_LEVELS:
            values["school_level"] = school["level"]

    wb = Workbook()
    wb.remove(wb.active)
    _default_font(wb)
    _instructions(wb, year, ref, due)
    note = f"Mẫu {schema.TEMPLATE_ID} - năm {year}. Điền vào các ô nền vàng nhạt; xem hướng dẫn ở trang {INSTRUCTIONS_SHEET}."
    _pairs_sheet(wb, schema.INFO, values, dv_for, note)
    _pairs_sheet(wb, schema.UNIT, {}, dv_for, note)
    _table_sheet(wb, schema.VILLAGES, dv_for, note)
    _table_sheet(wb, schema.ORGS, dv_for, note)
    if long_lists:
        lw = wb.create_sheet(LISTS_SHEET)
        for col, k in enumerate(long_lists, start=1):
            lw.cell(1, col, lists[k][0]).font = HEADER_FONT
            for i, v in enumerate(lists[k][1], start=2):
                lw.cell(i, col, v)
        lw.sheet_state = "hidden"
        lw.protection.sheet = True
    wb.active = 1
    props = wb.properties
    props.title = f"Biểu mẫu {schema.TEMPLATE_ID} - báo cáo học tập suốt đời năm {year}"
    props.subject = f"Chương trình học tập suốt đời {PERIOD} (QĐ 387/QĐ-TTg)"
    props.creator = "hoctap"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    props.language = "vi-VN"
    return wb


def write_template(path: Path, year: int, school: str | None = None, workspace: Workspace | None = None) -> Path:
    """Write the HTSD-01 workbook for ``year`` (optionally prefilled for one school) to ``path``."""
    ref = _reference(workspace)
    row = find_school(ref, school) if school else None
    wb = build_workbook(year, ref, row)
    path = Path(path)
    if path.suffix.lower() not in (".xlsx",):
        path = path.with_suffix(".xlsx")
    write_bytes(path, workbook_bytes(wb))
    return path

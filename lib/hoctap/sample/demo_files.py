"""Workbook rendering for the demo: one plan of a submission -> sheets -> .xlsx/.xlsm/.xls/.ods bytes.

A sheet is first laid out as a plain grid (cells, merges, bold cells, formulas with their cached
values), then written by one of three writers, so that each layout variation is written once
and works in every file format.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from hoctap.intake import schema
from hoctap.intake.template import (
    FIXED_TIME,
    PAIRS_FIRST_ROW,
    TABLE_HEADER_ROW,
    TOTAL_LABEL,
    stabilize_zip,
)
from hoctap.text import strip_diacritics

SYNTHETIC_NOTE = "DỮ LIỆU GIẢ LẬP - chỉ dùng để thử nghiệm"
DOC_TITLE = "Báo cáo học tập suốt đời HTSD-01 - DỮ LIỆU GIẢ LẬP"


@dataclass
class Grid:
    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # cached value in cells
    widths: dict[int, float] = field(default_factory=dict)

    def put(self, r: int, c: int, value: object, bold: bool = False) -> None:
        if value is None or value == "":
            return
        self.cells[(r, c)] = value
        if bold:
            self.bold.add((r, c))


# ---- the content of one submission ---------------------------------------------------------------


@dataclass
class Content:
    """What a school writes, already as cell values (strings where the school typed text)."""

    info: dict[str, object]  # field -> value (missing key: row absent)
    unit: dict[str, object]
    villages: list[dict[str, object]]
    orgs: list[dict[str, object]] | None  # None: old template without CoQuan sheet
    variations: set[str] = field(default_factory=set)
    total_wrong: str | None = None  # column field whose total row value is off


HEADER_ABBREV = {
    "households_registered": 'Số hộ đăng ký "GĐHT"',
    "households_family_title": 'Số hộ đạt "GĐHT"',
    "clans_title": 'Số dòng họ đạt "DHHT"',
    "community_title": 'Thôn đạt "CĐHT"',
    "workers_citizen": 'Số người lao động đạt "CDHT"',
    "org_unit_title": 'Đạt "ĐVHT"',
    "org_staff_citizen": 'Số đạt "CDHT"',
    "staff_total": "Tổng số CB,GV,NV",
    "staff_citizen": 'Số CB,GV,NV đạt danh hiệu "CDHT"',
    "school_unit_title": 'Trường được công nhận danh hiệu "ĐVHT" trong năm',
}

SHEET_VARIANTS = {
    "ThongTin": ("Thông tin chung", "1. Thong tin", "THONGTIN", "Thông tin"),
    "DonVi": ("Đơn vị học tập", "2. Don vi", "DONVI", "Đơn vị"),
    "DiaBan": ("Địa bàn", "3. Dia ban", "DIABAN", "Dia ban"),
    "CoQuan": ("Cơ quan", "4. Co quan", "COQUAN", "Co quan"),
}


def _label_variant(label: str, name: str, v: set[str], r: random.Random) -> str:
    text = label
    if "header_abbrev" in v and name in HEADER_ABBREV:
        text = HEADER_ABBREV[name]
    if "header_no_diacritics" in v:
        text = strip_diacritics(text)
    if "header_case" in v:
        text = text.upper()
    if "header_linebreak" in v and " " in text:
        words = text.split(" ")
        cut = max(1, len(words) // 2)
        text = " ".join(words[:cut]) + "\n" + "  ".join(words[cut:])
    return text


def _pairs(sheet: schema.Sheet, values: dict[str, object], c: Content, r: random.Random, old: bool) -> Grid:
    g = Grid(sheet.name)
    g.put(1, 1, sheet.title, bold=True)
    if sheet is schema.INFO:
        g.put(2, 1, SYNTHETIC_NOTE)
    numbered = "numbered_labels" in c.variations
    col = 2 if numbered else 1
    row = PAIRS_FIRST_ROW - (1 if old else 0)
    i = 0
    for f in sheet.fields:
        if f.name not in values:
            continue
        i += 1
        if numbered:
            g.put(row, 1, f"{i}.")
        g.put(row, col, _label_variant(f.label, f.name, c.variations, r), bold=f.required)
        g.put(row, col + 1, values[f.name])
        row += 1
    g.widths = {col: 60 if sheet is schema.UNIT else 32, col + 1: 30}
    if numbered:
        g.widths[1] = 5
    return g


EXTRA_COLUMNS = (("Ghi chú", "text"), ("Số nhân khẩu", "count"))
NOTES = ("", "", "", "Thôn đặc biệt khó khăn", "", "Mới sáp nhập", "")


def _table(
    sheet: schema.Sheet,
    rows: list[dict[str, object]],
    c: Content,
    r: random.Random,
    school: str,
    year: object,
) -> Grid:
    g = Grid(sheet.name)
    v = c.variations
    fields = list(sheet.fields)
    if "column_order" in v and sheet is schema.VILLAGES:
        head, rest = fields[:2], fields[2:]
        r.shuffle(rest)
        fields = head + rest
    extras = list(EXTRA_COLUMNS) if "extra_columns" in v and sheet is schema.VILLAGES else []
    top = 1
    g.put(top, 1, sheet.title, bold=True)
    g.put(top + 1, 1, SYNTHETIC_NOTE)
    header = TABLE_HEADER_ROW
    if "title_block" in v:
        g.put(2, 1, "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO KRÔNG PA")
        g.put(3, 1, str(school).upper(), bold=True)
        g.put(5, 1, f"BÁO CÁO KẾT QUẢ XÂY DỰNG CÁC MÔ HÌNH HỌC TẬP NĂM {year}", bold=True)
        g.put(6, 1, SYNTHETIC_NOTE)
        header = 8 + r.randint(0, 3)
    ncols = len(fields) + len(extras)
    two = "two_row_header" in v and sheet is schema.VILLAGES
    data_row = header + (2 if two else 1)
    if two:
        # Group headings over the family/clan/worker columns; single columns merged vertically.
        groups = {
            "households_total": "Hộ gia đình",
            "households_registered": "Hộ gia đình",
            "households_family_title": "Hộ gia đình",
            "clans_total": "Dòng họ",
            "clans_title": "Dòng họ",
            "workers_total": "Người lao động",
            "workers_citizen": "Người lao động",
        }
        j = 1
        while j <= len(fields):
            f = fields[j - 1]
            grp = groups.get(f.name)
            span = 1
            while grp and j - 1 + span < len(fields) and groups.get(fields[j - 1 + span].name) == grp:
                span += 1
            if grp and span > 1:
                g.put(header, j, grp, bold=True)
                g.merges.append((header, j, header, j + span - 1))
                for k in range(span):
                    ff = fields[j - 1 + k]
                    g.put(header + 1, j + k, _label_variant(ff.label, ff.name, v, r), bold=True)
                j += span
            else:
                g.put(header, j, _label_variant(f.label, f.name, v, r), bold=True)
                g.merges.append((header, j, header + 1, j))
                j += 1
    else:
        for j, f in enumerate(fields, start=1):
            g.put(header, j, _label_variant(f.label, f.name, v, r), bold=True)
    for k, (label, _) in enumerate(extras):
        g.put(header, len(fields) + 1 + k, label, bold=True)
        if two:
            g.merges.append((header, len(fields) + 1 + k, header + 1, len(fields) + 1 + k))
    rr = data_row
    first = rr
    for i, row in enumerate(rows, start=1):
        for j, f in enumerate(fields, start=1):
            g.put(rr, j, i if f.name == "row_number" else row.get(f.name))
        for k, (_label, kind) in enumerate(extras):
            val = NOTES[i % len(NOTES)] if kind == "text" else int(row.get("_people", 0) or 0)
            g.put(rr, len(fields) + 1 + k, val or None)
        rr += 1
        if "blank_rows" in v and i % 3 == 0 and i < len(rows):
            rr += 1
    last = rr - 1
    if ("total_row" in v or "total_formula" in v) and rows:
        name_col = next(j for j, f in enumerate(fields, start=1) if f.kind == "text")
        g.put(rr, name_col, TOTAL_LABEL, bold=True)
        for j, f in enumerate(fields, start=1):
            if f.kind != "count":
                continue
            total = sum(_as_int(row.get(f.name)) for row in rows)
            if c.total_wrong == f.name:
                total += 10 + (total // 10)
            g.put(rr, j, total, bold=True)
            if "total_formula" in v:
                letter = get_column_letter(j)
                g.formulas[(rr, j)] = f"SUM({letter}{first}:{letter}{last})"
    widths = {"ignore": 6, "text": 26, "count": 13, "yesno": 12, "org_type": 15}
    g.widths = {j: widths.get(f.kind, 13) for j, f in enumerate(fields, start=1)}
    for k in range(len(extras)):
        g.widths[len(fields) + 1 + k] = 14
    _ = ncols
    return g


def _as_int(value: object) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    return 0


def render(c: Content, r: random.Random, old_template: bool) -> list[Grid]:
    """The sheets of one submission, in workbook order."""
    school = c.info.get("school_name", "")
    year = c.info.get("year", "")
    sheets = [
        _pairs(schema.INFO, c.info, c, r, old_template),
        _pairs(schema.UNIT, c.unit, c, r, old_template),
        _table(schema.VILLAGES, c.villages, c, r, school, year),
    ]
    if c.orgs is not None:
        sheets.append(_table(schema.ORGS, c.orgs, c, r, school, year))
    if "sheet_names" in c.variations:
        style = r.randrange(4)
        for g in sheets:
            g.name = SHEET_VARIANTS[g.name][style]
    if "sheet_order" in c.variations:
        while True:
            order = sheets[:]
            r.shuffle(order)
            if order != sheets:
                sheets = order
                break
    if "extra_sheet" in c.variations:
        extra = Grid(r.choice(("Ghi chú", "Sheet2", "Tong hop")))
        extra.put(1, 1, "Ghi chú của trường")
        extra.put(2, 1, "Số liệu đã được Ban giám hiệu kiểm tra. " + SYNTHETIC_NOTE)
        sheets.insert(r.randint(0, len(sheets)), extra)
    return sheets


# ---- writers ---------------------------------------------------------------------------------------

_FONT = Font(name="Times New Roman", size=11)
_BOLD = Font(name="Times New Roman", size=11, bold=True)
_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="center")


def to_xlsx(sheets: list[Grid], macro: bool = False, description: str = "") -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    cached: dict[str, dict[str, object]] = {}
    for idx, g in enumerate(sheets, start=1):
        ws = wb.create_sheet(g.name)
        for (r, c), value in g.cells.items():
            cell = ws.cell(r, c)
            if (r, c) in g.formulas:
                cell.value = "=" + g.formulas[(r, c)]
                cached.setdefault(f"xl/worksheets/sheet{idx}.xml", {})[cell.coordinate] = value
            else:
                cell.value = value
            if isinstance(value, (dt.date, dt.datetime)):
                cell.number_format = "DD/MM/YYYY"
            if (r, c) in g.bold:
                cell.font = _BOLD
                if r > 2:
                    cell.fill = _FILL
                    cell.alignment = _WRAP
        for r1, c1, r2, c2 in g.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        for c, w in g.widths.items():
            ws.column_dimensions[get_column_letter(c)].width = w
    props = wb.properties
    props.title = DOC_TITLE
    props.subject = "Chương trình học tập suốt đời 2021-2030"
    props.description = description or SYNTHETIC_NOTE
    props.keywords = "synthetic; giả lập; HTSD-01"
    props.creator = "hoctap demo (dữ liệu giả lập)"
    props.created = FIXED_TIME
    props.modified = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return stabilize_zip(buf.getvalue(), cached=cached, macro=macro)


def to_xls(sheets: list[Grid]) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    bold_style = xlwt.easyxf("font: bold on")
    for g in sheets:
        ws = wb.add_sheet(g.name[:31])
        merged_tail = set()
        for r1, c1, r2, c2 in g.merges:
            value = g.cells.get((r1, c1), "")
            ws.write_merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1, value, bold_style)
            merged_tail |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for (r, c), value in g.cells.items():
            if (r, c) in merged_tail:
                continue
            if isinstance(value, (dt.date, dt.datetime)):
                ws.write(r - 1, c - 1, value, date_style)
            elif (r, c) in g.bold:
                ws.write(r - 1, c - 1, value, bold_style)
            else:
                ws.write(r - 1, c - 1, value)
        for c, w in g.widths.items():
            ws.col(c - 1).width = int(w * 256)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_ODF_WARM = []


def to_ods(sheets: list[Grid]) -> bytes:
    # odfpy adds namespace declarations to its global state on first use: write one throwaway
    # document first, so that every real file of the process (and of any rerun) is the same.
    if not _ODF_WARM:
        _ODF_WARM.append(True)
        to_ods([Grid("x", {(1, 1): "x"})])
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as writer:
        for g in sheets:
            nrow = max((r for r, _ in g.cells), default=1)
            ncol = max((c for _, c in g.cells), default=1)
            data = [[None] * ncol for _ in range(nrow)]
            for (r, c), value in g.cells.items():
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    value = dt.datetime(value.year, value.month, value.day)
                data[r - 1][c - 1] = value
            pd.DataFrame(data, dtype=object).to_excel(writer, sheet_name=g.name, header=False, index=False)
    return stabilize_zip(buf.getvalue(), edits={"meta.xml": _label_odf_meta})


def _label_odf_meta(text: str) -> str:
    """Label the document itself as synthetic (ODF meta title and description)."""
    return text.replace(
        "<office:document-meta ",
        '<office:document-meta xmlns:dc="http://purl.org/dc/elements/1.1/" ',
        1,
    ).replace(
        "<office:meta>",
        f"<office:meta><dc:title>{DOC_TITLE}</dc:title><dc:description>{SYNTHETIC_NOTE}</dc:description>",
        1,
    )


def empty_xlsx() -> bytes:
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.properties.title = DOC_TITLE
    wb.properties.description = SYNTHETIC_NOTE
    buf = io.BytesIO()
    wb.save(buf)
    return stabilize_zip(buf.getvalue())


def minimal_pdf(text: str) -> bytes:
    """A tiny one-page PDF (a scanned report sent by mistake)."""
    body = f"BT /F1 12 Tf 72 760 Td ({text}) Tj ET".encode("latin-1", "replace")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info << /Title ({DOC_TITLE.encode('ascii', 'replace').decode()}) >> >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def minimal_docx(text: str) -> bytes:
    """A tiny Word document (a covering letter dropped into the folder by mistake)."""
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
        + "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in text.split("\n"))
        + "</w:body></w:document>",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6]), body.encode("utf-8"))
    return out.getvalue()


def lock_file_bytes(owner: str) -> bytes:
    """What Excel leaves as ``~$name.xlsx`` while a file is open: the owner's name, padded."""
    name = owner.encode("utf-8")[:53]
    return bytes([len(name)]) + name + b" " * (54 - len(name)) + b"\x00" * 110


def apple_double_bytes() -> bytes:
    """A macOS ``._name`` resource-fork file copied along from a Mac."""
    return b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 58

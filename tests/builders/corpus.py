"""Crafted HTSD-01 workbooks: one per variation and bad case of submission-template.md.

A workbook is first described as grids (sheet name -> rows), then written by openpyxl (.xlsx,
.xlsm), xlwt (.xls) or pandas/odfpy (.ods). Each ``Case`` carries the outcome it must produce.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from hoctap.intake import schema

YEAR = 2024

VILLAGE_FIELDS = [f for f in schema.VILLAGES.fields]
ORG_FIELDS = [f for f in schema.ORGS.fields]


def default_info(**over) -> dict:
    info = {
        "template_id": "HTSD-01",
        "school_code": "KP001",
        "school_name": "Trường Mầm non Hoa Sen",
        "commune": "Thị trấn Phú Túc",
        "school_level": "Mầm non",
        "year": YEAR,
        "report_date": "05/12/2024",
        "preparer": "Nguyễn Văn A",
        "phone": "0912345678",
    }
    info.update(over)
    return info


def default_unit(**over) -> dict:
    unit = {
        "school_unit_title": "Có",
        "staff_total": 40,
        "staff_citizen": 30,
        "members_total": 35,
        "members_policy": 30,
        "cadres_total": 5,
        "cadres_clc_it": 3,
    }
    unit.update(over)
    return unit


def village(name: str, base: int = 100, **over) -> dict:
    row = {
        "row_number": None,
        "village": name,
        "households_total": base,
        "households_registered": base // 2,
        "households_family_title": base // 4,
        "clans_total": 10,
        "clans_title": 4,
        "community_title": "Có",
        "workers_total": base * 2,
        "workers_citizen": base,
    }
    row.update(over)
    return row


def default_villages() -> list[dict]:
    return [village("Thôn 1", 100), village("Thôn 2", 120), village("Buôn Ma Giai", 80)]


def default_orgs() -> list[dict]:
    return [
        {
            "row_number": 1,
            "org_name": "UBND thị trấn Phú Túc",
            "org_type": "Cơ quan",
            "org_unit_title": "Có",
            "org_staff_total": 25,
            "org_staff_citizen": 20,
        },
        {
            "row_number": 2,
            "org_name": "Công ty TNHH Hòa Bình",
            "org_type": "Doanh nghiệp",
            "org_unit_title": "Không",
            "org_staff_total": 12,
            "org_staff_citizen": 5,
        },
    ]


@dataclass
class Grid:
    rows: list[list] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)

    def put(self, r: int, c: int, value) -> None:  # 1-based
        while len(self.rows) < r:
            self.rows.append([])
        row = self.rows[r - 1]
        while len(row) < c:
            row.append(None)
        row[c - 1] = value


@dataclass
class Book:
    info: dict = field(default_factory=default_info)
    unit: dict | None = field(default_factory=default_unit)
    villages: list[dict] = field(default_factory=default_villages)
    orgs: list[dict] | None = field(default_factory=default_orgs)
    sheet_names: dict = field(
        default_factory=lambda: {
            "info": "ThongTin",
            "unit": "DonVi",
            "villages": "DiaBan",
            "orgs": "CoQuan",
        }
    )
    label_col: int = 1  # labels in column A; 2 = numbering in column A, labels in B
    header_row: int = 3
    two_row_header: bool = False
    column_order: list[str] | None = None
    extra_column: str | None = None
    extra_sheet: bool = False
    total_row: dict | None = None  # field -> value; "auto" for correct sums
    labels: dict = field(default_factory=dict)  # field -> replacement label
    blank_between: bool = False

    def grids(self) -> dict[str, Grid]:
        out = {}
        out[self.sheet_names["info"]] = self._pairs(schema.INFO, self.info)
        if self.unit is not None:
            out[self.sheet_names["unit"]] = self._pairs(schema.UNIT, self.unit)
        out[self.sheet_names["villages"]] = self._table(schema.VILLAGES, self.villages, total=self.total_row)
        if self.orgs is not None:
            out[self.sheet_names["orgs"]] = self._table(schema.ORGS, self.orgs)
        if self.extra_sheet:
            g = Grid()
            g.put(1, 1, "Ghi chú")
            g.put(2, 1, "Số liệu giả lập")
            out["Ghi chu"] = g
        return out

    def _pairs(self, sheet: schema.Sheet, values: dict) -> Grid:
        g = Grid()
        g.put(1, self.label_col, sheet.title)
        r = 3
        for i, f in enumerate(sheet.fields, 1):
            if f.name not in values:
                continue
            if self.label_col == 2:
                g.put(r, 1, f"{i}.")
            g.put(r, self.label_col, self.labels.get(f.name, f.label))
            if values[f.name] is not None:
                g.put(r, self.label_col + 1, values[f.name])
            r += 1
        return g

    def _table(self, sheet: schema.Sheet, rows: list[dict], total=None) -> Grid:
        g = Grid()
        g.put(1, 1, sheet.title)
        g.put(2, 1, "(Dữ liệu giả lập)")
        fields = [f.name for f in sheet.fields]
        if self.column_order and sheet.key == "villages":
            fields = list(self.column_order)
        labels = {f.name: self.labels.get(f.name, f.label) for f in sheet.fields}
        h = self.header_row
        extra = self.extra_column if sheet.key == "villages" else None
        if self.two_row_header and sheet.key == "villages":
            # parent "Gia đình học tập" merged over registered/title, children below
            c = 1
            for name in fields:
                if name == "households_registered":
                    g.put(h, c, '"Gia đình học tập"')
                    g.put(h + 1, c, "Số hộ đăng ký")
                elif name == "households_family_title":
                    g.put(h + 1, c, "Số hộ đạt")
                    g.merges.append(f"{_letter(c - 2)}{h}:{_letter(c - 1)}{h}")
                else:
                    g.put(h, c, labels[name])
                    g.merges.append(f"{_letter(c - 1)}{h}:{_letter(c - 1)}{h + 1}")
                c += 1
            first = h + 2
        else:
            for c, name in enumerate(fields, 1):
                g.put(h, c, labels[name])
            first = h + 1
        if extra:
            g.put(h, len(fields) + 1, extra)
        r = first
        for i, row in enumerate(rows, 1):
            for c, name in enumerate(fields, 1):
                value = row.get(name)
                if name == "row_number" and value is None:
                    value = i
                if value is not None:
                    g.put(r, c, value)
            if extra:
                g.put(r, len(fields) + 1, "ghi chú")
            r += 2 if self.blank_between else 1
        if total is not None:
            for c, name in enumerate(fields, 1):
                if name == "village":
                    g.put(r, c, "Tổng cộng")
                elif total == "auto" and name.startswith(("households", "clans_t", "workers")):
                    g.put(r, c, sum(x.get(name) or 0 for x in rows))
                elif isinstance(total, dict) and name in total:
                    g.put(r, c, total[name])
        return g


def _letter(i0: int) -> str:
    return openpyxl.utils.get_column_letter(i0 + 1)


def _date_cell(value):
    return value


def write_xlsx(book: Book, path: Path, cached: dict | None = None) -> Path:
    """openpyxl writer; ``cached`` = {sheet: {cell: value}} adds cached values to formulas."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, g in book.grids().items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(g.rows, 1):
            for c, v in enumerate(row, 1):
                if v is not None:
                    ws.cell(r, c, v)
        for m in g.merges:
            ws.merge_cells(m)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    if cached:
        _add_cached_values(path, cached)
    return path


def _add_cached_values(path: Path, cached: dict) -> None:
    src = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(src)) as zin:
        names = zin.namelist()
        wbx = zin.read("xl/workbook.xml").decode()
        order = re.findall(r'<sheet[^>]*name="([^"]+)"', wbx)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for n in names:
                data = zin.read(n)
                m = re.match(r"xl/worksheets/sheet(\d+)\.xml", n)
                if m and order[int(m.group(1)) - 1] in cached:
                    xml = data.decode()
                    for cell, value in cached[order[int(m.group(1)) - 1]].items():
                        xml = re.sub(
                            rf'(<c r="{cell}"[^>]*>)(<f>.*?</f>)(<v>\s*</v>|<v\s*/>)?',
                            rf"\1\2<v>{value}</v>",
                            xml,
                        )
                    data = xml.encode()
                zout.writestr(n, data)
    path.write_bytes(out.getvalue())


def write_xls(book: Book, path: Path) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for name, g in book.grids().items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dt.date, dt.datetime)):
                    ws.write(r, c, v, date_style)
                else:
                    ws.write(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def write_ods(book: Book, path: Path) -> Path:
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path, engine="odf") as xw:
        for name, g in book.grids().items():
            width = max((len(r) for r in g.rows), default=1)
            rows = [list(r) + [None] * (width - len(r)) for r in g.rows]
            pd.DataFrame(rows, dtype=object).to_excel(xw, sheet_name=name, header=False, index=False)
    return path


def write_encrypted(book: Book, path: Path, password: str = "matkhau") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = path.with_name(path.stem + "-plain.tmpx")
    write_xlsx(book, plain)
    with plain.open("rb") as fin, path.open("wb") as fout:
        OOXMLFile(fin).encrypt(password, fout)
    plain.unlink()
    return path


# ---- the cases ------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    filename: str
    build: object  # callable(path) -> None
    status: str  # intake status
    rows_used: int = 0
    codes: tuple[str, ...] = ()  # problem codes that must appear for this file


def _x(book: Book, **kw):
    return lambda p: write_xlsx(book, p, **kw)


def cases() -> list[Case]:
    """One workbook per variation; every school differs so versions do not interact."""
    out: list[Case] = []

    def add(name, filename, build, status, rows_used=0, codes=()):
        out.append(Case(name, filename, build, status, rows_used, tuple(codes)))

    def info(code, name, commune, **kw):
        return default_info(school_code=code, school_name=name, commune=commune, **kw)

    add("clean", "clean.xlsx", _x(Book()), "accepted", 3)
    add(
        "xlsm",
        "macro.xlsm",
        _x(Book(info=info("KP008", "MN Hoa Mai", "xã Chư Drăng"), villages=[village("Thôn Hòa Mỹ")])),
        "accepted",
        1,
    )
    add(
        "xls",
        "cu/old.xls",
        lambda p: write_xls(
            Book(
                info=info("KP012", "Mầm non Hoa Hồng", "Chư Gu", report_date="01/12/2024"),
                villages=[village("Buôn Chư Gu", 50)],
            ),
            p,
        ),
        "accepted",
        1,
    )
    add(
        "ods",
        "libre.ods",
        lambda p: write_ods(
            Book(info=info("KP016", "MN Sơn Ca", "Chu Ngoc"), villages=[village("Thôn Sơn Ca", 60)]),
            p,
        ),
        "accepted",
        1,
    )
    add(
        "variants",
        "sub/variants.xlsx",
        _x(
            Book(
                info=info("", "mam non hoa phuong", "Đất Bằng", report_date=dt.datetime(2024, 12, 3)),
                sheet_names={
                    "info": "1. Thông tin",
                    "unit": "Don vi",
                    "villages": "DIABAN",
                    "orgs": "4. Cơ quan",
                },
                label_col=2,
                header_row=9,
                column_order=[
                    "village",
                    "row_number",
                    "workers_citizen",
                    "workers_total",
                    "households_total",
                    "households_registered",
                    "households_family_title",
                    "clans_total",
                    "clans_title",
                    "community_title",
                ],
                labels={
                    "workers_total": "Số người lao động trong\nGĐHT, DHHT, CĐHT",
                    "staff_total": "Tổng số CB,GV,NV",
                    "village": "THON, BUON,  TO DAN PHO",
                },
                extra_column="Ghi chú",
                extra_sheet=True,
                blank_between=True,
                villages=[
                    village(
                        "Thôn A",
                        90,
                        households_total="1.234",
                        households_registered="12 hộ",
                        clans_total="-",
                        clans_title="không",
                    ),
                    village("Thôn B", 70, community_title="x"),
                ],
            )
        ),
        "accepted",
        2,
        ("extra_column", "extra_sheet"),
    )
    add(
        "two_row_header",
        "two-row.xlsx",
        _x(
            Book(
                info=info("KP019", "MN Họa Mi", "Chư Rcăm"),
                two_row_header=True,
                total_row="auto",
                villages=[village("Thôn Một", 40), village("Thôn Hai", 44)],
            )
        ),
        "accepted",
        2,
    )
    old = Book(
        info={k: v for k, v in info("KP022", "Trường Mầm non Hoa Phượng", "Ia R'sươm").items() if k != "template_id"},
        orgs=None,
    )
    old.info["school_code"] = "KP040"
    old.info["school_name"] = "MN Hoa Lan"
    add("old_template", "2021-template.xlsx", _x(old), "accepted", 3)
    add(
        "bad_values",
        "bad-values.xlsx",
        _x(
            Book(
                info=info("KP025", "MN Hoa Ban", "Ia Hdreh"),
                villages=[
                    village("Thôn X", 100, households_total="70%"),
                    village("Thôn Y", 100, clans_total=0.5),
                    village("Thôn Z", 100, community_title="có lẽ"),
                    village("Thôn W", 100, households_family_title=150),
                    village("Thôn V", 100, households_registered=10, households_family_title=20),
                    village(None, 100),
                ],
            )
        ),
        "accepted",
        1,
        ("percent_in_count", "bad_yesno", "part_whole", "awarded_unregistered", "missing_village"),
    )
    add(
        "total_mismatch",
        "total.xlsx",
        _x(Book(info=info("KP029", "MN Hướng Dương", "Ia Mlah"), total_row={"households_total": 999})),
        "accepted",
        3,
        ("total_mismatch",),
    )
    f_book = Book(
        info=info("KP032", "MN Tuổi Thơ", "Ia Rmok"),
        villages=[
            village("Thôn F", 100, workers_total="=100*2"),
            village("Thôn G", 100, workers_total="=100*2"),
        ],
    )
    add(
        "formula",
        "formula.xlsx",
        _x(f_book, cached={"DiaBan": {"I5": 200}}),
        "accepted",
        1,
        ("formula_no_cache",),
    )
    add(
        "unregistered",
        "unreg.xlsx",
        _x(
            Book(
                info=info("", "Trường Mầm non Chưa Có Tên", "Uar"),
                villages=[village("Buôn Uar Mới", 30)],
            )
        ),
        "accepted",
        1,
        ("unregistered_school",),
    )
    add(
        "commune_unknown",
        "unknown-commune.xlsx",
        _x(Book(info=info("KP035", "MN Bình Minh", "Ia Rsaii Mới"))),
        "rejected",
        0,
        ("commune_unknown",),
    )
    add(
        "wrong_year",
        "wrong-year.xlsx",
        _x(Book(info=info("KP036", "TH Anh Hùng Núp", "Ia Rsai", year=2023, report_date="01/12/2023"))),
        "rejected",
        0,
        ("wrong_year",),
    )
    add(
        "missing_name",
        "no-name.xlsx",
        _x(Book(info=info("KP037", None, "Ia Rsai"))),
        "rejected",
        0,
        ("missing_field",),
    )
    add(
        "bad_date",
        "bad-date.xlsx",
        _x(Book(info=info("KP038", "TH&THCS Ia Rsai", "Ia Rsai", report_date="32/13/2024"))),
        "rejected",
        0,
        ("bad_date",),
    )
    add(
        "encrypted",
        "secret.xlsx",
        lambda p: write_encrypted(Book(info=info("KP039", "THPT Ia Rsai", "Ia Rsai")), p),
        "rejected",
        0,
        ("file_encrypted",),
    )
    add(
        "corrupt",
        "broken.xlsx",
        lambda p: p.write_bytes(b"PK\x03\x04 not really a zip file" * 10),
        "rejected",
        0,
        ("file_corrupt",),
    )
    add("empty", "empty.xlsx", lambda p: p.write_bytes(b""), "rejected", 0, ("file_empty",))
    add("lock", "~$clean.xlsx", lambda p: p.write_bytes(b"lock"), "ignored")
    add("hidden", ".hidden.xlsx", lambda p: p.write_bytes(b"x"), "ignored")
    add("other", "notes.txt", lambda p: p.write_text("ghi chú", encoding="utf-8"), "ignored")
    add("zip_bomb", "bomb.xlsx", _zip_bomb, "rejected", 0, ("zip_too_large",))
    return out


def _zip_bomb(path: Path) -> None:
    """A tiny zip whose declared member size passes 200 MB (zeros compress ~1000:1)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/big.bin", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(201):
                fh.write(chunk)


def build_corpus(raw_year_dir: Path) -> list[Case]:
    out = cases()
    for case in out:
        path = raw_year_dir / case.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        case.build(path)
    return out

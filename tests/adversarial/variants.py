"""Equivalent HTSD-01 workbooks: one school's figures under the retypings real files show.

``Figures`` holds the canonical content of one submission (a registered school of the shipped
registry, its villages and organizations). ``Variant`` names a set of ``FEATURES`` and a file
format; ``write_variant`` lays the figures out as sheet grids with those features and writes
them with a real writer (openpyxl, xlwt, odfpy; LibreOffice round trips through
``libreoffice_convert``). Every variant must read to the same figures as the canonical file.
Everything is deterministic from the seed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import random
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from hoctap.intake import schema
from hoctap.paths import SHIPPED_REFERENCE_DIR
from hoctap.text import fold, strip_diacritics

YEAR = 2024
FIXED = (2021, 1, 1, 0, 0, 0)

# Each feature is one kind of retyping; a variant combines several.
FEATURES = (
    "case",  # headers and labels in upper, lower or title case
    "spaces",  # double, leading, trailing and non-breaking spaces in labels
    "breaks",  # line breaks inside labels
    "nfd",  # labels, sheet names and names in decomposed Unicode (NFD)
    "no_diacritics",  # labels and sheet names typed without diacritics
    "abbrev",  # GĐHT/GDHT, DHHT, CĐHT, ĐVHT, CDHT, CB,GV,NV for the long names
    "short_words",  # "SL", "Số lượng" for "Số", "Tổng số"
    "reorder",  # columns (and label rows) in another order
    "two_row",  # two-row header with merged group cells
    "extra_cols",  # extra columns, one of them a rate that resembles a count header
    "title_block",  # title lines above the header (header row up to 13)
    "blank_rows",  # blank rows between the header and data and between data rows
    "numbering",  # label sheets: numbering in column A, labels in column B
    "colon",  # label-sheet labels ending with ":" or "(*)"
    "gap_column",  # label-sheet value one empty column to the right
    "sheet_names",  # "Địa bàn", "2. Dia ban", "DIABAN", trailing space
    "sheet_order",  # sheets in another order
    "extra_sheet",  # an extra sheet of notes
    "total_row",  # a correct "Tổng cộng" row and signature lines below the table
    "marker_row",  # a "(1) (2) (3)" column-numbering row under the header
    "values",  # equivalent value spellings: "1.234", "12 hộ", "-", "x", booleans, date cells
    "names",  # school code left empty, school and commune names spelled another way
    "old_template",  # no "Mẫu biểu" row (2021-2022 template)
    "decoys",  # extra columns and label rows that resemble a field but count something else
    "paraphrase",  # labels reworded ("Tên thôn, buôn", "Số hộ ĐK GĐHT"): beyond the contract's list
)
# Beyond the contract's list of tolerated variations: drawn only when asked for, and reported apart.
BEYOND = ("paraphrase",)
# Only through a LibreOffice round trip, which computes and caches the results.
LO_FEATURES = ("formulas",)  # counts typed as formulas "=60+60"
FORMATS = ("xlsx", "xlsm", "xls", "ods")
LO_TARGETS = ("ods", "xls", "xlsx")

ABBREV = {
    "households_registered": ('Số hộ đăng ký "GĐHT"', "Số hộ đăng ký GĐHT"),
    "households_family_title": ('Số hộ đạt "GĐHT"', "Số hộ đạt GDHT"),
    "clans_title": ('Số dòng họ đạt "DHHT"',),
    "community_title": ('Thôn đạt "CĐHT"',),
    "workers_total": (
        "Số người lao động trong GĐHT,DHHT,CĐHT",
        "Số người lao động trong GDHT, DHHT, CĐHT",
    ),
    "workers_citizen": ('Số người lao động đạt "CDHT"',),
    "org_unit_title": ('Đạt "ĐVHT"',),
    "org_staff_citizen": ('Số đạt "CDHT"',),
    "staff_total": ("Tổng số CB,GV,NV", "Tổng số CB, GV, NV"),
    "staff_citizen": ('Số CB,GV,NV đạt danh hiệu "CDHT"',),
    "school_unit_title": ('Trường được công nhận danh hiệu "ĐVHT" trong năm',),
}
SHORT_WORDS = {
    "households_total": ("Số lượng hộ", "SL hộ"),
    "households_registered": ('SL hộ đăng ký "Gia đình học tập"', 'Số lượng hộ đăng ký "GĐHT"'),
    "households_family_title": ('SL hộ đạt "GĐHT"', 'Số lượng hộ đạt "Gia đình học tập"'),
    "clans_total": ("Số lượng dòng họ", "SL dòng họ"),
    "clans_title": ('SL dòng họ đạt "DHHT"',),
    "workers_total": ("SL người lao động trong GĐHT, DHHT, CĐHT",),
    "workers_citizen": ('SL người lao động đạt "CDHT"',),
    "org_staff_total": ("Tổng SL CB, CC, VC, người lao động",),
    "org_staff_citizen": ('SL đạt "Công dân học tập"',),
}
PARAPHRASE = {
    "row_number": ("Số TT", "S.T.T"),
    "village": ("Tên thôn, buôn", "Thôn/buôn/TDP", "Thôn, buôn, TDP"),
    "households_total": ("Tổng số hộ gia đình",),
    "households_registered": ("Số hộ ĐK GĐHT", 'Số hộ gia đình đăng ký "GĐHT"'),
    "households_family_title": ("Số hộ gia đình đạt GĐHT", "Số hộ được công nhận GĐHT"),
    "community_title": ("Thôn được công nhận CĐHT",),
    "workers_total": ("Tổng số người lao động trong GĐHT, DHHT, CĐHT",),
    "workers_citizen": ('Số lao động đạt "CDHT"', "Số người LĐ đạt CDHT"),
    "staff_total": ("Tổng số CB-GV-NV", "Tổng số CBGVNV"),
    "staff_citizen": ("Số CB-GV-NV đạt danh hiệu CDHT",),
    "members_total": ("Tổng số hội viên Hội Khuyến học tại trường",),
    "school_name": ("Tên trường học",),
    "commune": ("Xã/Thị trấn",),
    "report_date": ("Ngày báo cáo (dd/mm/yyyy)", "Ngày lập báo cáo"),
    "org_name": ("Tên cơ quan, đơn vị, doanh nghiệp",),
    "org_type": ("Loại hình (Cơ quan/Tổ chức/Doanh nghiệp)",),
    "org_staff_total": ("Tổng số cán bộ, công chức, viên chức, người lao động",),
}
# Other quantities that real files add; a reader must never take them for a field.
DECOY_COLUMNS = {
    "villages": (
        ('Số dòng họ đăng ký "DHHT"', "count"),
        ('Số người lao động đăng ký "CDHT"', "count"),
        ('Thôn đăng ký "CĐHT"', "yesno"),
        ("Số hộ đạt GĐHT năm 2023", "count"),
        ("Số hộ nghèo", "count"),
    ),
    "orgs": (("Số CB, CC, VC nữ", "count"), ("Địa chỉ", "text")),
}
DECOY_LABELS = {
    "info": (
        ("Năm học", "2024-2025"),
        ("Hiệu trưởng", "Trần Văn B"),
        ("Email", "truong@example.edu.vn"),
    ),
    "unit": (("Số CB,GV,NV nữ", 17), ("Tổng số học sinh", 412), ("Số hội viên mới kết nạp", 6)),
}
SHEET_NAMES = {  # style index -> per role
    "info": ("ThongTin", "Thông tin", "1. Thong tin", "THONGTIN", "Thông tin chung", "thong tin "),
    "unit": ("DonVi", "Đơn vị", "2. Don vi", "DONVI", "Đơn vị học tập", "don vi "),
    "villages": ("DiaBan", "Địa bàn", "2. Dia ban", "DIABAN", "3. Địa bàn", "dia BAN "),
    "orgs": ("CoQuan", "Cơ quan", "4. Co quan", "COQUAN", "Cơ quan, tổ chức", "co quan "),
}
VILLAGE_WORDS = (
    "Hòa Bình",
    "Quỳnh Phụ",
    "Ma Giai",
    "Đoàn Kết",
    "Thắng Lợi",
    "Ơi Nu",
    "Chư Ngọc",
    "Tân Lập",
    "Phú Lợi",
    "Ia Dăk",
    "Thanh Xuân",
    "Bình Minh",
    "Mlah",
    "Kiến Xương",
)
ORG_WORDS = ("Hòa Phát", "Minh Tâm", "Ánh Dương", "Tây Nguyên", "Đồng Tiến", "Phú Thịnh")


@dataclass
class Figures:
    """The canonical content of one school's submission, as the reader must return it."""

    school_id: str
    school_name: str
    school_aliases: tuple[str, ...]
    commune_code: str
    commune: str  # canonical spelling, with its kind ("Thị trấn Phú Túc")
    commune_spellings: tuple[str, ...]
    level: str
    year: int
    report_date: dt.date
    unit: dict
    villages: list[dict]
    orgs: list[dict] | None
    preparer: str = "Nguyễn Thị Lan"
    phone: str = "0912 345 678"

    def info(self) -> dict:
        return {
            "template_id": schema.TEMPLATE_ID,
            "school_code": self.school_id,
            "school_name": self.school_name,
            "commune": self.commune,
            "school_level": self.level,
            "year": self.year,
            "report_date": self.report_date,
            "preparer": self.preparer,
            "phone": self.phone,
        }


def registry(year: int = YEAR) -> list[dict]:
    """Registered schools active in ``year`` whose commune existed on 1 December of it."""
    ref = Path(SHIPPED_REFERENCE_DIR)
    with (ref / "communes.csv").open(encoding="utf-8") as fh:
        communes = {r["code"]: r for r in csv.DictReader(fh)}
    on = dt.date(year, 12, 1).isoformat()
    out = []
    with (ref / "schools.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            c = communes.get(r["commune_code"])
            if c is None or not (c["valid_from"] <= on and (not c["valid_to"] or on <= c["valid_to"])):
                continue
            if int(r["active_from"]) > year or (r["active_to"] and int(r["active_to"]) < year):
                continue
            out.append({**r, "commune": c})
    return out


def make_figures(school: dict, seed: int, year: int = YEAR) -> Figures:
    """Plausible, internally consistent figures for one registered school."""
    rng = random.Random(f"figures|{seed}|{school['school_id']}")
    c = school["commune"]
    kind = c["kind"]
    commune = f"{kind[:1].upper()}{kind[1:]} {c['name']}"
    spellings = [
        commune,
        c["name"],
        strip_diacritics(c["name"]).lower(),
        f"{kind} {strip_diacritics(c['name'])}",
    ]
    spellings += [a for a in c["aliases"].split("|") if a]
    if kind == "thị trấn":
        spellings.append(f"TT. {c['name']}")
    aliases = [a for a in school["aliases"].split("|") if a]
    name = school["name"]
    aliases += [strip_diacritics(name).lower(), re.sub(r"^Trường\s+", "", name)]
    number = int(re.sub(r"\D", "", school["school_id"]) or 0)

    def part(total: int) -> int:
        return rng.choice((0, total, rng.randint(0, total)))

    villages = []
    for k in range(rng.randint(1, 5)):
        prefix = rng.choice(("Thôn", "Buôn", "Tổ dân phố"))
        households = rng.choice((rng.randint(20, 400), rng.randint(1000, 2500)))
        registered = part(households)
        clans = rng.randint(0, 15)
        workers = rng.choice((0, rng.randint(40, 900), rng.randint(1000, 4000)))
        villages.append(
            {
                "village": f"{prefix} {rng.choice(VILLAGE_WORDS)} {number * 10 + k}",
                "households_total": households,
                "households_registered": registered,
                "households_family_title": part(registered),
                "clans_total": clans,
                "clans_title": part(clans),
                "community_title": rng.random() < 0.5,
                "workers_total": workers,
                "workers_citizen": part(workers),
            }
        )
    orgs = None
    if rng.random() < 0.75:
        orgs = []
        for k in range(rng.randint(0, 3)):
            kind_o = rng.choice(schema.ORG_TYPES)
            staff = rng.randint(0, 60)
            orgs.append(
                {
                    "org_name": f"{kind_o} {rng.choice(ORG_WORDS)} {number * 10 + k}",
                    "org_type": kind_o,
                    "org_unit_title": rng.random() < 0.5,
                    "org_staff_total": staff,
                    "org_staff_citizen": part(staff),
                }
            )
    staff = rng.randint(5, 90)
    members = rng.randint(0, 60)
    cadres = rng.randint(0, 8)
    unit = {
        "school_unit_title": rng.random() < 0.6,
        "staff_total": staff,
        "staff_citizen": part(staff),
        "members_total": members,
        "members_policy": part(members),
        "cadres_total": cadres,
        "cadres_clc_it": part(cadres),
    }
    return Figures(
        school_id=school["school_id"],
        school_name=name,
        school_aliases=tuple(dict.fromkeys(aliases)),
        commune_code=c["code"],
        commune=commune,
        commune_spellings=tuple(dict.fromkeys(spellings)),
        level=school["level"],
        year=year,
        report_date=dt.date(year, 11, rng.randint(1, 30)),
        unit=unit,
        villages=villages,
        orgs=orgs,
    )


def all_figures(seed: int, n: int | None = None, year: int = YEAR) -> list[Figures]:
    schools = registry(year)
    rng = random.Random(f"pick|{seed}")
    if n is not None and n < len(schools):
        schools = sorted(rng.sample(schools, n), key=lambda s: s["school_id"])
    return [make_figures(s, seed, year) for s in schools]


# ---- layout ------------------------------------------------------------------------------------


@dataclass
class Grid:
    """Cells of one sheet (1-based) and merged ranges (r1, c1, r2, c2)."""

    cells: dict = field(default_factory=dict)
    merges: list = field(default_factory=list)

    def put(self, r: int, c: int, value) -> None:
        if value is not None and value != "":
            self.cells[(r, c)] = value


@dataclass(frozen=True)
class Variant:
    features: frozenset
    fmt: str = "xlsx"
    seed: int = 0

    @property
    def tag(self) -> str:
        text = ",".join(sorted(self.features)) + f"|{self.fmt}|{self.seed}"
        return hashlib.sha1(text.encode()).hexdigest()[:8]

    def describe(self) -> str:
        return f"{self.fmt}[{'+'.join(sorted(self.features)) or 'canonical'}] seed={self.seed}"


def random_variant(
    rng: random.Random,
    fmt: str | None = None,
    p: float = 0.45,
    lo: bool = False,
    beyond: bool = False,
) -> Variant:
    """Each feature with probability ``p``; ``lo``: the file goes through LibreOffice, so
    features that need its recalculation may be drawn too; ``beyond``: also BEYOND features."""
    pool = [f for f in FEATURES if beyond or f not in BEYOND] + list(LO_FEATURES if lo else ())
    feats = frozenset(f for f in pool if rng.random() < p)
    if "nfd" in feats and "no_diacritics" in feats:
        feats = feats - {rng.choice(("nfd", "no_diacritics"))}
    return Variant(feats, fmt or rng.choice(FORMATS), rng.randrange(1 << 30))


def _label(text: str, name: str, feats: frozenset, rng: random.Random) -> str:
    if "abbrev" in feats and name in ABBREV and rng.random() < 0.8:
        text = rng.choice(ABBREV[name])
    if "short_words" in feats and name in SHORT_WORDS and rng.random() < 0.8:
        text = rng.choice(SHORT_WORDS[name])
    if "paraphrase" in feats and name in PARAPHRASE and rng.random() < 0.8:
        text = rng.choice(PARAPHRASE[name])
    return _retype(text, feats, rng)


def _retype(text: str, feats: frozenset, rng: random.Random) -> str:
    if "no_diacritics" in feats:
        text = strip_diacritics(text)
    if "case" in feats:
        text = rng.choice((str.upper, str.lower, str.title, str.swapcase))(text)
    if "spaces" in feats:
        words = text.split(" ")
        text = "".join(w + rng.choice((" ", "  ", " ", "\u00a0")) for w in words[:-1]) + words[-1]
        text = rng.choice(("", " ", "  ")) + text + rng.choice(("", " ", "   "))
    if "breaks" in feats and " " in text.strip():
        words = text.split(" ")
        cut = rng.randint(1, len(words) - 1)
        text = " ".join(words[:cut]) + rng.choice(("\n", " \n", "\n\n")) + " ".join(words[cut:])
    if "nfd" in feats:
        text = unicodedata.normalize("NFD", text)
    return text


def _name_text(text: str, feats: frozenset, rng: random.Random) -> str:
    """A name retyped in ways that must store the same NFC, collapsed text."""
    if "nfd" in feats:
        text = unicodedata.normalize("NFD", text)
    if "spaces" in feats:
        text = "  " + text.replace(" ", "  ") + " "
    return text


def _count(n: int, name: str, feats: frozenset, rng: random.Random):
    if "formulas" in feats and isinstance(n, int) and rng.random() < 0.7:
        a = rng.randint(0, n)
        return rng.choice((f"={n}", f"={a}+{n - a}", f"=SUM({a},{n - a})"))
    if "values" not in feats:
        return n
    options = [n, float(n), str(n), f" {n} "]
    if n >= 1000:
        options += [f"{n:,}".replace(",", "."), f"{n:,}"]
    if n == 0:
        options += ["-", "–", "không", "Không có", "0"]
    if name.startswith("households"):
        options.append(f"{n} hộ")
    if name.startswith(("workers", "staff", "org_staff")):
        options.append(f"{n} người")
    return rng.choice(options)


def _yesno(b: bool, feats: frozenset, rng: random.Random):
    if "values" not in feats:
        return "Có" if b else "Không"
    if b:
        return rng.choice(("Có", "có", "x", "X", "Đạt", "1", 1, "✓", True, "yes"))
    return rng.choice(("Không", "không", "Chưa đạt", "Chưa", "0", 0, False, "no"))


def _date(d: dt.date, feats: frozenset, rng: random.Random):
    if "date_cell" in feats:  # not a FEATURE: the mutants' bases that need a real date cell
        return d
    if "values" not in feats:
        return d.strftime("%d/%m/%Y")
    return rng.choice(
        (
            d,
            dt.datetime(d.year, d.month, d.day),
            f"{d.day}/{d.month}/{d.year}",
            d.strftime("%d-%m-%Y"),
            d.isoformat(),
            f"ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
        )
    )


def _value(kind: str, name: str, v, feats: frozenset, rng: random.Random):
    if v is None:
        return None
    if kind == "count":
        return _count(v, name, feats, rng)
    if kind == "yesno":
        return _yesno(v, feats, rng)
    if kind == "date":
        return _date(v, feats, rng)
    if kind == "year":
        return rng.choice((v, str(v), float(v), f"Năm {v}")) if "values" in feats else v
    if isinstance(v, str) and name in ("village", "org_name"):
        return _name_text(v, feats, rng)
    return v


def _pairs(sheet: schema.Sheet, values: dict, feats: frozenset, rng: random.Random, top: int) -> Grid:
    g = Grid()
    numbered = "numbering" in feats
    col = 2 if numbered else 1
    g.put(1, col, _retype(sheet.title, feats, rng))
    for r in range(2, top - 1):  # a title block: lines that must not be read as labels
        g.put(
            r,
            col + r % 2,
            rng.choice(
                (
                    "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO KRÔNG PA",
                    "Độc lập - Tự do - Hạnh phúc",
                    f"BÁO CÁO NĂM {values.get('year') or YEAR}",
                    "(Số liệu tính đến 30/11)",
                )
            ),
        )
    fields = [f for f in sheet.fields if f.name in values]
    if "reorder" in feats:
        rng.shuffle(fields)
    if "decoys" in feats and sheet.key in DECOY_LABELS:
        for label, value in DECOY_LABELS[sheet.key]:
            fields.insert(rng.randint(0, len(fields)), schema.Field("decoy", label, "decoy"))
            values = {**values, f"decoy:{label}": value}
    r = top
    marks = rng.choice(
        (
            lambda i: f"{i}.",
            lambda i: f"{i})",
            lambda i: "IVX"[i % 3] + ".",
            lambda i: f"{chr(96 + i)})",
        )
    )
    for i, f in enumerate(fields, 1):
        if numbered:
            g.put(r, 1, marks(i))
        label = _label(f.label, f.name, feats, rng) if f.kind != "decoy" else _retype(f.label, feats, rng)
        if "colon" in feats:
            label += rng.choice((":", " :", " (*)", ":"))
        g.put(r, col, label)
        vc = col + (2 if "gap_column" in feats else 1)
        value = values[f"decoy:{f.label}"] if f.kind == "decoy" else values[f.name]
        g.put(r, vc, _value(f.kind, f.name, value, feats, rng))
        r += 1 + (1 if "blank_rows" in feats and rng.random() < 0.3 else 0)
    return g


_GROUPS_FULL = (
    ("Hộ gia đình", ("households_total", "households_registered", "households_family_title")),
    ("Dòng họ", ("clans_total", "clans_title")),
    ("Người lao động", ("workers_total", "workers_citizen")),
)
_GROUPS_SHORT = (
    (
        '"Gia đình học tập"',
        ("households_registered", "households_family_title"),
        {"households_registered": "Số hộ đăng ký", "households_family_title": "Số hộ đạt"},
    ),
    ("Dòng họ học tập", ("clans_title",), {"clans_title": "Số dòng họ đạt"}),
)


def _table(sheet: schema.Sheet, rows: list[dict], f: Figures, feats: frozenset, rng: random.Random) -> Grid:
    g = Grid()
    is_v = sheet.key == "villages"
    fields = {x.name: x for x in sheet.fields}
    two = "two_row" in feats and is_v
    short = two and rng.random() < 0.5
    # blocks of columns that stay side by side (a two-row header's groups)
    blocks: list[tuple[str | None, list[str]]] = []
    if two:
        grouped = {n: (p, ns) for p, ns, *_ in (_GROUPS_SHORT if short else _GROUPS_FULL) for n in ns}
        seen = set()
        for name in fields:
            if name in grouped and name not in seen:
                p, ns = grouped[name]
                blocks.append((p, list(ns)))
                seen |= set(ns)
            elif name not in seen:
                blocks.append((None, [name]))
    else:
        blocks = [(None, [n]) for n in fields]
    if "reorder" in feats:
        head = [b for b in blocks if b[1][0] == "row_number"]
        rest = [b for b in blocks if b[1][0] != "row_number"]
        rng.shuffle(rest)
        blocks = head + rest
    columns: list[tuple[str | None, str, str]] = []  # (parent, field or extra marker, child label)
    short_labels = {k: v for _, _, m in _GROUPS_SHORT for k, v in m.items()} if short else {}
    for parent, names in blocks:
        for n in names:
            label = short_labels.get(n) or _label(fields[n].label, n, feats, rng)
            columns.append((parent, n, label))
    if "extra_cols" in feats:
        extras = [("Ghi chú", "extra:text"), ("Số nhân khẩu", "extra:count")]
        if is_v:
            extras.append(("Tỷ lệ hộ đạt GĐHT (%)", "extra:rate"))
        else:
            extras.append(("Địa chỉ", "extra:text"))
        for label, marker in extras:
            pos = rng.randint(1, len(columns))
            columns.insert(pos, (None, marker, _retype(label, feats, rng)))
    if "decoys" in feats and sheet.key in DECOY_COLUMNS:
        for label, kind in rng.sample(DECOY_COLUMNS[sheet.key], k=min(3, len(DECOY_COLUMNS[sheet.key]))):
            pos = rng.randint(1, len(columns))
            columns.insert(pos, (None, f"decoy:{kind}", _retype(label, feats, rng)))
    title = _retype(sheet.title, feats, rng)
    g.put(1, 1, title)
    h = 3
    if "title_block" in feats:
        h = rng.randint(5, 13)
        lines = [
            "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO KRÔNG PA",
            f.school_name.upper(),
            f"BÁO CÁO KẾT QUẢ XÂY DỰNG CÁC MÔ HÌNH HỌC TẬP NĂM {f.year}",
            "(Kèm theo công văn số 123/PGDĐT)",
        ]
        for i in range(2, h - 1):
            g.put(i, 1 + (i % 2) * 3, lines[i % len(lines)])
        g.merges.append((1, 1, 1, 6))
        g.cells.pop((1, 1), None)
        g.put(1, 1, title)
    ncol = len(columns)
    if two:
        c = 1
        i = 0
        while i < ncol:
            parent, name, label = columns[i]
            span = 1
            while parent and i + span < ncol and columns[i + span][0] == parent:
                span += 1
            if parent:
                g.put(h, c, _retype(parent, feats, rng))
                if span > 1:
                    g.merges.append((h, c, h, c + span - 1))
                for k in range(span):
                    g.put(h + 1, c + k, columns[i + k][2])
            else:
                g.put(h, c, label)
                g.merges.append((h, c, h + 1, c))
            c += span
            i += span
        r = h + 2
    else:
        for c, (_, _, label) in enumerate(columns, 1):
            g.put(h, c, label)
        r = h + 1
    if "marker_row" in feats:
        for c in range(1, ncol + 1):
            g.put(r, c, f"({c})")
        r += 1
    if "blank_rows" in feats:
        r += rng.randint(0, 2)
    sums: dict[str, int] = {}
    for i, row in enumerate(rows, 1):
        for c, (_, name, _) in enumerate(columns, 1):
            if name == "row_number":
                g.put(r, c, i if "values" not in feats or rng.random() < 0.5 else f"{i}.")
            elif name == "extra:text":
                g.put(r, c, rng.choice(("", "Thôn đặc biệt khó khăn", "Mới sáp nhập", "")))
            elif name == "extra:count":
                g.put(r, c, rng.randint(100, 3000))
            elif name.startswith("decoy:"):
                kind = name.split(":")[1]
                g.put(
                    r,
                    c,
                    rng.randint(0, 40)
                    if kind == "count"
                    else rng.choice(("Có", "Không"))
                    if kind == "yesno"
                    else "Thôn 3, xã bên",
                )
            elif name == "extra:rate":
                tot = row.get("households_total") or 0
                pct = round(100 * (row.get("households_family_title") or 0) / tot, 1) if tot else 0
                g.put(r, c, rng.choice((pct, f"{pct}%", pct / 100)))
            else:
                fd = fields[name]
                g.put(r, c, _value(fd.kind, name, row.get(name), feats, rng))
                if fd.kind == "count" and isinstance(row.get(name), int):
                    sums[name] = sums.get(name, 0) + row[name]
        r += 1
        if "blank_rows" in feats and i < len(rows) and rng.random() < 0.6:
            r += rng.randint(1, 2)
    if "total_row" in feats and rows:
        name_field = next(x.name for x in sheet.fields if x.required)
        for c, (_, name, _) in enumerate(columns, 1):
            if name == name_field:
                g.put(
                    r,
                    c,
                    _retype(
                        rng.choice(("Tổng cộng", "Tổng", "Cộng", "TỔNG CỘNG")),
                        feats - {"breaks"},
                        rng,
                    ),
                )
            elif name in sums:
                g.put(r, c, sums[name])
        name_col = next(c for c, (_, n, _) in enumerate(columns, 1) if n == name_field)
        g.put(r + 2, name_col, "Người lập biểu")
        g.put(r + 2, ncol + 1, "HIỆU TRƯỞNG")
        g.put(r + 5, name_col, f.preparer)
    return g


def layout(f: Figures, v: Variant) -> list[tuple[str, Grid]]:
    """The sheets of one variant of ``f``, in workbook order."""
    feats = v.features
    rng = random.Random(f"layout|{v.seed}|{f.school_id}|{','.join(sorted(feats))}|{v.fmt}")
    info = f.info()
    if "old_template" in feats:
        info.pop("template_id")
    if "names" in feats:
        info["school_code"] = rng.choice(("", None))
        info["school_name"] = _name_text(rng.choice(f.school_aliases + (f.school_name,)), feats, rng)
        info["commune"] = rng.choice(f.commune_spellings)
    top = 3 + (rng.randint(1, 6) if "title_block" in feats else 0)
    style = rng.randrange(1, len(SHEET_NAMES["info"])) if "sheet_names" in feats else 0

    def sheet_name(role: str) -> str:
        name = SHEET_NAMES[role][style]
        if "nfd" in feats:
            name = unicodedata.normalize("NFD", name)
        return name

    sheets = [
        (sheet_name("info"), _pairs(schema.INFO, info, feats, rng, top)),
        (sheet_name("unit"), _pairs(schema.UNIT, f.unit, feats, rng, top)),
        (sheet_name("villages"), _table(schema.VILLAGES, f.villages, f, feats, rng)),
    ]
    if f.orgs is not None:
        sheets.append((sheet_name("orgs"), _table(schema.ORGS, f.orgs, f, feats, rng)))
    if "sheet_order" in feats:
        rng.shuffle(sheets)
    if "extra_sheet" in feats:
        extra = Grid()
        extra.put(1, 1, "Ghi chú của trường")
        extra.put(2, 1, "Số liệu đã được Ban giám hiệu kiểm tra.")
        sheets.insert(rng.randint(0, len(sheets)), (rng.choice(("Ghi chú", "Sheet2", "Tong hop")), extra))
    return sheets


# ---- writers -----------------------------------------------------------------------------------


def _stable_zip(data: bytes) -> bytes:
    """Fixed entry times and document dates, so one seed gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename in ("docProps/core.xml", "meta.xml"):
                body = re.sub(
                    rb"(<(dcterms:(?:created|modified)|meta:creation-date|dc:date)[^>]*>)[^<]*",
                    rb"\g<1>2021-01-01T00:00:00Z",
                    body,
                )
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED)
            zi.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def write_xlsx(sheets: list[tuple[str, Grid]], path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, g in sheets:
        ws = wb.create_sheet(name)
        for (r, c), v in g.cells.items():
            cell = ws.cell(r, c, v)
            if isinstance(v, (dt.date, dt.datetime)):
                cell.number_format = "DD/MM/YYYY"
        for r1, c1, r2, c2 in g.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    wb.properties.created = wb.properties.modified = dt.datetime(*FIXED)
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_stable_zip(buf.getvalue()))
    return path


def write_xls(sheets: list[tuple[str, Grid]], path: Path) -> Path:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    wrap = xlwt.easyxf("align: wrap on")
    for name, g in sheets:
        ws = wb.add_sheet(name[:31], cell_overwrite_ok=True)
        covered = set()
        for r1, c1, r2, c2 in g.merges:
            ws.write_merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1, g.cells.get((r1, c1), ""), wrap)
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for (r, c), v in g.cells.items():
            if (r, c) in covered:
                continue
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write(r - 1, c - 1, v, date_style)
            else:
                ws.write(r - 1, c - 1, v)
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return path


def write_ods(sheets: list[tuple[str, Grid]], path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, g in sheets:
        table = Table(name=name)
        nrow = max((r for r, _ in g.cells), default=1)
        ncol = max((c for _, c in g.cells), default=1)
        for _r1, _c1, r2, c2 in g.merges:
            nrow, ncol = max(nrow, r2), max(ncol, c2)
        starts = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in g.merges}
        covered = {(r, c) for r1, c1, r2, c2 in g.merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        covered -= set(starts)
        for r in range(1, nrow + 1):
            tr = TableRow()
            for c in range(1, ncol + 1):
                if (r, c) in covered:
                    tr.addElement(CoveredTableCell())
                    continue
                attrs = {}
                if (r, c) in starts:
                    rows, cols = starts[(r, c)]
                    attrs = {"numberrowsspanned": rows, "numbercolumnsspanned": cols}
                v = g.cells.get((r, c))
                if v is None:
                    cell = TableCell(**attrs)
                elif isinstance(v, bool):
                    cell = TableCell(valuetype="boolean", booleanvalue="true" if v else "false", **attrs)
                    cell.addElement(P(text="TRUE" if v else "FALSE"))
                elif isinstance(v, (int, float)):
                    cell = TableCell(valuetype="float", value=repr(v), **attrs)
                    cell.addElement(P(text=str(v)))
                elif isinstance(v, (dt.date, dt.datetime)):
                    d = v.date() if isinstance(v, dt.datetime) else v
                    cell = TableCell(valuetype="date", datevalue=d.isoformat(), **attrs)
                    cell.addElement(P(text=d.strftime("%d/%m/%Y")))
                else:
                    cell = TableCell(valuetype="string", **attrs)
                    for line in str(v).split("\n"):
                        cell.addElement(P(text=line))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_stable_zip(buf.getvalue()))
    return path


WRITERS = {"xlsx": write_xlsx, "xlsm": write_xlsx, "xls": write_xls, "ods": write_ods}


def write_variant(f: Figures, v: Variant, path: Path) -> Path:
    """Write variant ``v`` of ``f`` to ``path`` (its suffix should be ``v.fmt``)."""
    return WRITERS[v.fmt](layout(f, v), path)


def write_canonical(f: Figures, path: Path, fmt: str = "xlsx") -> Path:
    return write_variant(f, Variant(frozenset(), fmt, 0), path)


# ---- LibreOffice round trips -------------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_LO_FILTERS = {"ods": "ods", "xls": "xls:MS Excel 97", "xlsx": "xlsx:Calc MS Excel 2007 XML"}


def libreoffice_convert(paths: list[Path], target: str, outdir: Path, timeout: float = 120) -> list[Path]:
    """Convert files with headless LibreOffice in one call; returns the files written.

    A private profile keeps this run apart from any other LibreOffice on the machine.
    """
    exe = soffice()
    if not exe or not paths:
        return []
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir="/tmp"))
    try:
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            _LO_FILTERS[target],
            "--outdir",
            str(outdir),
            *map(str, paths),
        ]
        subprocess.run(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            env={**os.environ, "HOME": str(profile)},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pass
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return [outdir / (p.stem + "." + target) for p in paths if (outdir / (p.stem + "." + target)).is_file()]


# ---- what the reader must return ---------------------------------------------------------------


def expected(f: Figures) -> dict:
    """The figures clean must store for ``f``: unit counts, and rows keyed by folded name."""
    return {
        "school_id": f.school_id,
        "commune_code": f.commune_code,
        "unit": dict(f.unit),
        "villages": {fold(v["village"]): {k: x for k, x in v.items() if k != "village"} for v in f.villages},
        "orgs": {fold(o["org_name"]): {k: x for k, x in o.items() if k != "org_name"} for o in (f.orgs or [])},
    }


def diff_assessed(a, f: Figures) -> list[str]:
    """What an assessed submission (clean.assess) got wrong about ``f``; empty when equivalent."""
    out = []
    if a.status != "accepted":
        out.append(f"status {a.status} ({a.reason_code})")
    errors = sorted({i["code"] for i in a.issues if i["severity"] == "error"})
    if errors:
        out.append(f"errors {','.join(errors)}")
    if a.school_id != f.school_id:
        out.append(f"school_id {a.school_id!r} != {f.school_id!r}")
    if a.commune_code != f.commune_code:
        out.append(f"commune_code {a.commune_code!r} != {f.commune_code!r}")
    sub = a.sub
    if sub.info.get("year") != f.year:
        out.append(f"year {sub.info.get('year')!r}")
    if sub.info.get("report_date") != f.report_date:
        out.append(f"report_date {sub.info.get('report_date')!r}")
    for k, v in f.unit.items():
        if sub.unit.get(k) != v:
            out.append(f"unit.{k} {sub.unit.get(k)!r} != {v!r}")
    exp = expected(f)
    for role, name_field in (("villages", "village"), ("orgs", "org_name")):
        got = {fold(r.values.get(name_field) or ""): r.values for r in getattr(sub, role)}
        want = exp[role]
        if set(got) != set(want):
            out.append(f"{role} keys {sorted(got)} != {sorted(want)}")
        for key, fig in want.items():
            row = got.get(key)
            if row is None:
                continue
            for k, v in fig.items():
                if row.get(k) != v:
                    out.append(f"{role}[{key}].{k} {row.get(k)!r} != {v!r}")
    return out

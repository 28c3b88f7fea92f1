"""What the synthetic sample holds: the variations and bad cases of each year, and the spellings a school uses."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from hoctap.intake.template import school_commune_on
from hoctap.reference import Reference
from hoctap.sample.demo_files import (
    Content,
)
from hoctap.sample.demo_world import School
from hoctap.text import strip_diacritics

# Tolerated variations dealt out to about one file in six each year.


VARIATION_KINDS = (
    "sheet_names",
    "sheet_order",
    "extra_sheet",
    "header_case",
    "header_no_diacritics",
    "header_linebreak",
    "header_abbrev",
    "column_order",
    "extra_columns",
    "title_block",
    "two_row_header",
    "blank_rows",
    "numbered_labels",
    "count_text",
    "yesno_symbols",
    "total_row",
    "total_formula",
    "total_mismatch",
    "school_name_variant",
    "empty_code",
    "commune_variant",
    "text_date",
)


N_VARIATION_FILES = 10


ALL_BAD = (
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "unit_part_whole",
    "wrong_year",
    "unknown_commune",
    "unregistered_school",
    "corrupt",
    "empty",
    "duplicate_same_date",
    "outlier",
    "lock_file",
    "hidden_file",
    "other_format",
)


BAD_SCHEDULE = {
    2021: (
        "part_whole",
        "awarded_without_registering",
        "negative_count",
        "unregistered_school",
        "empty",
        "lock_file",
        "other_format",
    ),
    2022: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "unknown_commune",
        "corrupt",
        "outlier",
        "lock_file",
        "hidden_file",
    ),
    2023: (
        "part_whole",
        "awarded_without_registering",
        "negative_count",
        "unit_part_whole",
        "wrong_year",
        "unregistered_school",
        "outlier",
        "lock_file",
        "other_format",
    ),
    2024: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "unknown_commune",
        "corrupt",
        "empty",
        "duplicate_same_date",
        "outlier",
        "lock_file",
        "other_format",
    ),
    2025: ALL_BAD,
    2026: (
        "part_whole",
        "awarded_without_registering",
        "percent_in_count",
        "wrong_year",
        "unregistered_school",
        "empty",
        "outlier",
        "lock_file",
        "hidden_file",
    ),
}


SCHOOL_BAD = {
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "unit_part_whole",
    "wrong_year",
    "unknown_commune",
    "corrupt",
    "empty",
    "duplicate_same_date",
    "outlier",
}


ROW_BAD = {
    "part_whole",
    "awarded_without_registering",
    "percent_in_count",
    "negative_count",
    "outlier",
}


REJECTING = {"wrong_year", "unknown_commune", "corrupt", "empty", "duplicate_same_date"}


UNKNOWN_COMMUNE = "xã Ia Ma Rơn"


UNREGISTERED = {
    "name": "Trường Mầm non tư thục Hoa Sữa",
    "commune": "X-UAR",
    "level": "Mầm non",
    "staff": 14,
}


FOLDERS = ("email", "Thu dien tu 12-2", "bo sung", "Tai ve tu Zalo")


OLD_TEMPLATE_YEARS = (2021, 2022)


@dataclass
class FilePlan:
    rel: str
    school_id: str | None
    status: str  # accepted | rejected | superseded | ignored
    fmt: str  # xlsx | xlsm | xls | ods | pdf | docx | lock | hidden
    problems: list[str] = field(default_factory=list)
    variations: list[str] = field(default_factory=list)
    report_date: dt.date | None = None
    content: Content | None = None
    raw: bytes | None = None
    truncate: bool = False
    school: dict | None = None
    villages: list[dict] = field(default_factory=list)
    orgs: list[dict] = field(default_factory=list)


def _rng(*parts: object) -> random.Random:
    return random.Random("|".join(str(p) for p in parts))


def _count_text(value: int, name: str, r: random.Random) -> object:
    if value == 0:
        return r.choice(("-", "không"))
    if value >= 1000:
        return f"{value:,}".replace(",", ".")
    if name.startswith("households"):
        return f"{value} hộ"
    if name.startswith("workers"):
        return f"{value} người"
    return str(value)


def _yesno(value: bool, symbols: bool, r: random.Random) -> object:
    if not symbols:
        return "Có" if value else "Không"
    return r.choice(("x", "X", "Đạt", 1, "✓")) if value else r.choice(("Chưa đạt", 0, "Chưa", "Không"))


def _commune_variants(ref: Reference, code: str, on: dt.date) -> list[str]:
    """Spellings of a commune that still resolve to ``code`` on ``on`` (checked, not assumed)."""
    row = ref.communes.loc[ref.communes["code"] == code].iloc[0]
    name, kind = row["name"], row["kind"]
    cands = [
        name,
        f"{kind.capitalize()} {name}",
        strip_diacritics(name).lower(),
        name.replace(" ", ""),
    ]
    if " " in name:
        first, rest = name.split(" ", 1)
        cands.append(f"{first} {rest[0]}'{rest[1:]}")
    if kind == "thị trấn":
        cands += [f"TT. {name}", f"TT {name}"]
    cands += [a.strip() for a in (row["aliases"] or "").split("|") if a.strip()]
    out = []
    for c in cands:
        if c not in out and ref.resolve_commune(c, on).code == school_target(ref, code, on):
            out.append(c)
    return out


def school_target(ref: Reference, code: str, on: dt.date) -> str:
    return school_commune_on(ref, code, on)


def _school_name_variants(ref: Reference, s: School, commune: str, on: dt.date) -> list[str]:
    bare = s.name[len("Trường ") :] if s.name.startswith("Trường ") else s.name
    cands = [
        *s.aliases,
        bare,
        strip_diacritics(s.name),
        s.name.upper(),
        strip_diacritics(bare).lower(),
    ]
    return [c for c in dict.fromkeys(cands) if c != s.name and ref.find_school(None, c, commune, on) == [s.school_id]]


def _short(s_name: str, aliases: list[str]) -> str:
    name = aliases[0] if aliases else s_name
    return name[len("Trường ") :] if name.startswith("Trường ") else name


def _file_name(r: random.Random, short: str, code: str, year: int, ext: str) -> str:
    ascii_short = strip_diacritics(short)
    pattern = r.randrange(7)
    if pattern == 0:
        return f"BaoCao_HTSD_{year}_{ascii_short}{ext}"
    if pattern == 1:
        return f"bao cao hoc tap {year} - {ascii_short}{ext}"
    if pattern == 2:
        return f"HTSD-01_{code}_{year}{ext}"
    if pattern == 3:
        return f"{short} - Báo cáo học tập suốt đời năm {year}{ext}"
    if pattern == 4:
        return f"BC HTSĐ {short} {year}{ext}"
    if pattern == 5:
        return f"Mau HTSD-01 ({ascii_short}){ext}"
    return f"{ascii_short.replace(' ', '_')}_HTSD_{year}{ext}"


def _date_between(r: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=r.randint(0, (end - start).days))

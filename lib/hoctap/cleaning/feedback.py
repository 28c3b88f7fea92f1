"""Feedback to schools: reports/<year>/phan-hoi/<school_id>.xlsx, one row per problem.

Written for every submitting school, also when nothing is wrong, so a school can be told
"your report was received and read" with the same file. The workbook skeleton (styles, column
widths, header) is made once by openpyxl; each school's rows are then written straight into
the sheet XML, because saving thousands of workbooks through openpyxl would dominate a run.
"""

from __future__ import annotations

import io as _io
import re
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd  # noqa: F401  (issues arrive as a DataFrame)
from openpyxl.styles import Alignment, Font

from hoctap.catalog import Catalog
from hoctap.io import write_bytes
from hoctap.paths import Workspace
from hoctap.vocabulary import INTAKE_WORDS_FOR_SCHOOLS as STATUS_VI
from hoctap.vocabulary import SEVERITY_WORDS_FOR_SCHOOLS as SEVERITY_VI

SHEET = "PhanHoi"
HEADERS = ("Tệp", "Trang", "Ô", "Mức độ", "Mã", "Cần sửa")
WIDTHS = (32, 12, 14, 22, 22, 100)
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@lru_cache(maxsize=1)
def _skeleton() -> tuple[dict[str, bytes], str, str, str]:
    """(zip members, sheet member name, bold style id, wrap style id) of an openpyxl-made workbook."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["A1"] = "title"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "header"
    ws["A2"].font = Font(bold=True)
    ws["A3"] = "wrapped"
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = w
    buf = _io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    for n in members:  # fixed document dates: the same problems give the same bytes
        if n.startswith("docProps/"):
            members[n] = re.sub(
                rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                rb"\g<1>2021-01-01T00:00:00Z",
                members[n],
            )
    member = "xl/worksheets/sheet1.xml"
    xml = members[member].decode()
    styles = dict(re.findall(r'<c r="(A\d)"[^>]*?s="(\d+)"', xml))
    return (
        members,
        member,
        styles.get("A1", "0") + "|" + styles.get("A2", "0"),
        styles.get("A3", "0"),
    )


def _cell(ref: str, value: str, style: str) -> str:
    text = escape(_ILLEGAL_XML.sub("", str(value)))
    s = f' s="{style}"' if style != "0" else ""
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def feedback_bytes(school_name: str, files: list[tuple[str, str]], problems: list[dict]) -> bytes:
    """The workbook for one school; ``files`` = [(path, status)], ``problems`` = issues.csv rows."""
    members, member, bold, wrap = _skeleton()
    title_style, header_style = bold.split("|")
    rows: list[list[tuple[str, str]]] = []
    title = f"PHẢN HỒI VỀ BÁO CÁO CỦA {school_name.upper()}" if school_name else "PHẢN HỒI VỀ BÁO CÁO"
    rows.append([(title, title_style)])
    for path, status in files:
        rows.append([(f"Tệp {path}: {STATUS_VI.get(status, status)}", "0")])
    rows.append([])
    rows.append([(h, header_style) for h in HEADERS])
    if not problems:
        rows.append([("", "0")] * 5 + [("Không phát hiện vấn đề nào. Cảm ơn nhà trường.", "0")])
    for r in problems:
        rows.append(
            [
                (r["path"], "0"),
                (r["sheet"], "0"),
                (r["cell"] or "", "0"),
                (SEVERITY_VI.get(r["severity"], r["severity"]), "0"),
                (r["code"], "0"),
                (r["message"], wrap),
            ]
        )
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(WIDTHS))
    body = []
    for i, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{chr(65 + j)}{i}", v, s) for j, (v, s) in enumerate(row) if v != "")
        body.append(f'<row r="{i}">{cells}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<cols>{cols}</cols><sheetData>{''.join(body)}</sheetData></worksheet>"
    )
    return _zip_with_sheet(sheet.encode())


# A fixed DOS date (2021-01-01 00:00) for every member: the same problems give the same bytes.
_DOS_TIME, _DOS_DATE = 0, ((2021 - 1980) << 9) | (1 << 5) | 1


def _entry(name: bytes, data: bytes, raw_size: int, crc: int, method: int, offset: int) -> tuple[bytes, bytes]:
    """(local header + data, central directory record) of one zip member."""
    local = struct.pack(
        "<IHHHHHIIIHH",
        0x04034B50,
        20,
        0x800,
        method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        len(data),
        raw_size,
        len(name),
        0,
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0x800,
        method,
        _DOS_TIME,
        _DOS_DATE,
        crc,
        len(data),
        raw_size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    return local + name + data, central + name


@lru_cache(maxsize=1)
def _static_part() -> tuple[bytes, bytes, int, str]:
    """The skeleton members (everything but the sheet), compressed once, with their directory
    records: stored, they made each file 18 kB, and writing a national year's files was disk-bound."""
    members, member, _, _ = _skeleton()
    body, central = b"", b""
    for name, data in members.items():
        if name == member:
            continue
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = comp.compress(data) + comp.flush()
        local, record = _entry(name.encode(), packed, len(data), zlib.crc32(data), 8, len(body))
        body += local
        central += record
    return body, central, len(members), member


def _zip_with_sheet(sheet: bytes) -> bytes:
    """The skeleton with its sheet replaced; written by hand because zipfile costs more than the
    rest of a feedback file, and thousands of them are written per run."""
    body, central, count, member = _static_part()
    comp = zlib.compressobj(1, zlib.DEFLATED, -15)
    data = comp.compress(sheet) + comp.flush()
    local, record = _entry(member.encode(), data, len(sheet), zlib.crc32(sheet), 8, len(body))
    directory = central + record
    start = len(body) + len(local)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0)
    return b"".join((body, local, directory, end))


def feedback_jobs(ws: Workspace, year: int, assessed: list, issues: pd.DataFrame) -> list[tuple]:
    """(target path, school name, [(file, status)], [issue rows]) for each school that sent an identified file."""
    by_school: dict[str, list] = {}
    for a in assessed:
        if a.school_id:
            by_school.setdefault(a.school_id, []).append(a)
    order = {"error": 0, "warning": 1, "info": 2}
    ranked = issues.assign(_o=issues["severity"].map(order)).sort_values(
        ["school_id", "_o", "path", "sheet", "row"], kind="stable"
    )
    groups: dict[str, list[dict]] = {}
    for rec in ranked.astype(object).where(ranked.notna(), None).to_dict("records"):
        groups.setdefault(rec["school_id"], []).append(rec)
    cat = Catalog(ws)
    jobs = []
    for sid, items in sorted(by_school.items()):
        name = next((a.sub.info.get("school_name") for a in items if a.sub.info.get("school_name")), "")
        jobs.append(
            (
                cat.path("feedback", year=year, school_id=sid),
                name or "",
                sorted((a.rel, a.status) for a in items),
                groups.get(sid, []),
            )
        )
    return jobs


def write_one(job: tuple) -> Path:
    """Write one school's file; an identical file already there is left alone (reruns stay cheap)."""
    path, name, files, problems = job
    data = feedback_bytes(name, files, problems)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return path
    except OSError:
        pass
    _write_atomic(path, data)
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    """io.write_bytes: a temporary in the workspace's staging folder (never in phan-hoi/), then
    a rename; its names cost no mkstemp, so the thousands of small files per run stay cheap."""
    write_bytes(path, data)

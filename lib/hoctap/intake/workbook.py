"""Read one HTSD-01 workbook (xlsx, xlsm, xls, ods) through python-calamine into a ``Submission``.

Labels are found by their normalized text, never by position, so retyped, reordered and
old-template files read the same way. Nothing here knows the reference data: identity and
history checks happen in ``clean``. Macros never run: calamine only reads cell values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from dataclasses import field as dfield
from functools import lru_cache
from pathlib import Path

import python_calamine as pc

from hoctap.intake import matching, schema
from hoctap.intake.consistency import check_part_whole
from hoctap.intake.findings import Finding, col_letter
from hoctap.intake.prepare import (
    Scratch,
    failure_reason,
    precheck,
)
from hoctap.intake.schema import PART_WHOLE, TOTAL_ROW_LABELS
from hoctap.intake.values import FormulaNoValue, Problem, parse
from hoctap.text import clean_text, fold, label_key, sheet_key

READABLE = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN_ROWS = 15
PAIRS_SCAN_ROWS = 80
# Sheets that `hoctap template` itself writes (instructions, drop-down lists): not data, not "extra".
TEMPLATE_HELPER_SHEETS = {"huongdan", "danhmuc"}


@dataclass
class RowRecord:
    source_row: int
    values: dict
    letters: dict  # field -> column letter; one dict shared by a table's rows (cheap to pickle)
    key: str = ""  # text.fold of the village or organization name

    @property
    def cells(self) -> dict:
        """field -> cell address such as "C7"."""
        return {f: f"{c}{self.source_row}" for f, c in self.letters.items()}


@dataclass
class Submission:
    path: Path
    info: dict = dfield(default_factory=dict)
    info_cells: dict = dfield(default_factory=dict)  # field -> "ThongTin!C5"
    unit: dict = dfield(default_factory=dict)
    unit_cells: dict = dfield(default_factory=dict)
    villages: list[RowRecord] = dfield(default_factory=list)
    orgs: list[RowRecord] = dfield(default_factory=list)
    findings: list[Finding] = dfield(default_factory=list)
    sheets: dict = dfield(default_factory=dict)  # role -> actual sheet name
    fatal: str | None = None  # code of a read failure: the file could not be read at all
    fatal_detail: str = ""  # Vietnamese words for the message
    fatal_technical: str = ""  # exception type and text, for the issues' detail column
    _fingerprint: str = ""

    def fingerprint(self) -> str:
        """Hash of the figures read, to tell two versions with the same date apart."""
        if not self._fingerprint:
            self._fingerprint = self._compute_fingerprint()
        return self._fingerprint

    def _compute_fingerprint(self) -> str:
        parts = [
            sorted((k, repr(v)) for k, v in self.info.items() if k not in ("preparer", "phone")),
            sorted((k, repr(v)) for k, v in self.unit.items()),
            [repr(sorted(r.values.items())) for r in self.villages],
            [repr(sorted(r.values.items())) for r in self.orgs],
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()


# ---- label matching -------------------------------------------------------------------------

_NUMBERING = re.compile(r"^\s*(?:\d+|[ivxIVX]+|[a-zA-Z])\s*[.)/-]\s*")


@lru_cache(maxsize=100_000)
def _str_key(text: str) -> str:
    return label_key(_NUMBERING.sub("", clean_text(text)))


def _key(text: object) -> str:
    """label_key without a leading numbering ("1.", "a)"); memoized: labels repeat across files."""
    return _str_key(text) if isinstance(text, str) else label_key(_NUMBERING.sub("", clean_text(text)))


# Role of a sheet by its folded name; the fields of a sheet are found by ``matching``.
_TOTAL_KEYS = {label_key(t) for t in TOTAL_ROW_LABELS}


def _maybe_total(text: str) -> bool:
    """Cheap pre-test before label_key: total labels start with "tổng" or "cộng" (any spelling)."""
    head = unicodedata.normalize("NFC", text.lstrip()[:6]).lower()
    return head.startswith(("tổng", "tong", "tông", "cộng", "cong", "công", "tỗng"))


def _text(v: object) -> str:
    return clean_text(v) if isinstance(v, str) else ""


# ---- reading --------------------------------------------------------------------------------


def read_workbook(path: str | Path) -> Submission:
    """Read a workbook into a Submission; never raises for a bad file (``fatal`` says why).

    The raw file is only read; copies (renamed or decrypted) go to a temporary folder.
    """
    path = Path(path)
    sub = Submission(path=path)
    scratch = Scratch()
    try:
        prep = precheck(path, scratch)
        if prep.fatal:
            sub.fatal, sub.fatal_detail, sub.fatal_technical = prep.fatal
            return sub
        sub.findings.extend(prep.findings)
        try:
            wb = pc.CalamineWorkbook.from_path(str(prep.read_path))
        except BaseException as exc:  # a Rust panic is a BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            sub.fatal, sub.fatal_detail, sub.fatal_technical = failure_reason(exc)
            return sub
        try:
            _read(wb, sub, prep.placeholders)
        except BaseException as exc:  # one bad file never stops a run
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            sub.fatal, sub.fatal_detail, sub.fatal_technical = failure_reason(exc)
        finally:
            wb.close()
    finally:
        scratch.cleanup()
    if not sub.fatal:
        sub.fingerprint()  # computed where the file is read (a worker process), not in the parent
    return sub


_TEMPORAL = (dt.date, dt.time, dt.timedelta)


def _grid(wb, name: str, placeholders: dict) -> tuple[list[list], list]:
    """The sheet's cells as calamine reads them, with the placeholders of prepare.py (formulas
    with no value, error values) where calamine shows an empty cell, so parsers can name them,
    and a negative number where a date style made calamine show it as a time."""
    sheet = wb.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    rows = [list(r) for r in rows]
    for (r, c), placeholder in placeholders.get(name, {}).items():
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        if isinstance(placeholder, float) and not isinstance(row[c], _TEMPORAL):
            continue  # a negative number that calamine kept as a number
        row[c] = placeholder
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:
        merged = []
    return rows, merged


def _read(wb, sub: Submission, formulas: dict) -> None:
    claims: dict[str, list[str]] = {}  # role -> sheets whose name folds to it, in workbook order
    for name in wb.sheet_names:
        key = sheet_key(name)
        role = schema.SHEET_ROLES.get(key)
        if role:
            claims.setdefault(role, []).append(name)
        elif key not in TEMPLATE_HELPER_SHEETS:
            sub.findings.append(Finding("extra_sheet", sheet=name, value=name))
    for role, names in claims.items():
        sub.sheets[role] = _pick_sheet(role, names, sub.findings)
    nonempty = False
    for role, name in sub.sheets.items():
        grid, merged = _grid(wb, name, formulas)
        if any(any(_present(v) for v in row) for row in grid):
            nonempty = True
        sheet = next(s for s in schema.SHEETS if s.key == role)
        if sheet.layout == "pairs":
            values, cells = _read_pairs(grid, sheet, name, sub.findings)
            if role == "info":
                sub.info, sub.info_cells = values, cells
            else:
                sub.unit, sub.unit_cells = values, cells
                check_part_whole(values, cells, "unit", name, None, sub.findings)
        else:
            rows = _read_table(grid, merged, sheet, name, sub.findings)
            if role == "villages":
                sub.villages = rows
            else:
                sub.orgs = rows
    if not nonempty:
        # no HTSD-01 sheet with content: empty, unless other sheets hold something (then the
        # missing sheets below say what is wrong, which helps more than "empty")
        others = [n for n in wb.sheet_names if n not in sub.sheets.values()]
        if not any(any(_present(v) for row in _grid(wb, n, {})[0] for v in row) for n in others):
            sub.fatal = "file_empty"
            return
    for role, label, code in (
        ("info", "ThongTin", "missing_sheet"),
        ("villages", "DiaBan", "missing_sheet"),
        ("unit", "DonVi", "missing_unit_sheet"),
    ):
        if role not in sub.sheets:
            sub.findings.append(Finding(code, sheet=label, params={"label": label}))
    if "info" in sub.sheets:
        for f in schema.INFO.fields:
            if f.required and sub.info.get(f.name) is None and not _cell_has_problem(sub, "info", f.name):
                addr = sub.info_cells.get(f.name, "")
                where = f" (ô {addr})" if addr else ""
                sub.findings.append(
                    Finding(
                        "missing_field",
                        sheet=sub.sheets["info"],
                        field=f.name,
                        params={"label": f.label, "where": where},
                    )
                )


def _pick_sheet(role: str, names: list[str], findings: list) -> str:
    """The sheet read for a role when several fold to it: the one named exactly as the template,
    else the first in workbook order; each other one is a warning (never silently ignored)."""
    if len(names) == 1:
        return names[0]
    canonical = next(s.name for s in schema.SHEETS if s.key == role)
    chosen = next((n for n in names if clean_text(n) == canonical), names[0])
    for other in names:
        if other != chosen:
            findings.append(
                Finding(
                    "duplicate_sheet",
                    sheet=other,
                    value=chosen,
                    params={"label": canonical, "other": other},
                )
            )
    return chosen


def _cell_has_problem(sub: Submission, role: str, name: str) -> bool:
    sheet = sub.sheets.get(role)
    return any(f.sheet == sheet and f.field == name and f.row is not None for f in sub.findings)


def _present(v: object) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return v.strip() != ""
    return True


def _parse_cell(kind: str, raw: object, sheet: str, r0: int, c0: int, fname: str, findings: list) -> object:
    value = parse(kind, raw)
    if isinstance(value, Problem):
        findings.append(
            Finding(
                value.code,
                sheet=sheet,
                row=r0 + 1,
                column=col_letter(c0),
                field=fname,
                value=_show(raw),
                params={"detail": value.detail},
            )
        )
        return None
    return value


def _show(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer() and abs(raw) < 1e15:  # 1e308 stays "1e+308"
        return str(int(raw))
    return clean_text(raw) if not isinstance(raw, FormulaNoValue) else repr(raw)


def _read_pairs(grid: list[list], sheet: schema.Sheet, name: str, findings: list) -> tuple[dict, dict]:
    """Label cells (scored by ``matching``) and the first value to the right of each.

    A label that is not exact must have a value: a title such as "NHÀ TRƯỜNG - ĐƠN VỊ HỌC TẬP"
    comes close to a label but stands alone. Every field not found is a finding.
    """
    kinds = {f.name: f.kind for f in sheet.fields}
    values: dict = {f.name: None for f in sheet.fields}
    cells: dict = {}
    slots: list[matching.Slot] = []
    value_col: dict[tuple[int, int], int | None] = {}
    label_kind, key = matching.label_kind, sheet.key
    for r0, row in enumerate(grid[:PAIRS_SCAN_ROWS]):
        c0 = 0
        while c0 < len(row):
            text = row[c0]
            kind = label_kind(key, text) if isinstance(text, str) else matching.NOT_LABEL
            if kind == matching.NOT_LABEL:
                c0 += 1
                continue
            vc = next((j for j in range(c0 + 1, len(row)) if _present(row[j])), None)
            if vc is None and kind != matching.EXACT_LABEL:
                c0 += 1
                continue
            slots.append(matching.Slot((r0, c0), (text,)))
            value_col[(r0, c0)] = vc
            c0 = c0 + 1 if vc is None else vc + 1
    got = matching.assign(sheet.key, slots)
    for (r0, c0), hit in sorted(got.hits.items()):
        fname, vc = hit.field, value_col[(r0, c0)]
        if vc is None:
            cells[fname] = f"{name}!{col_letter(c0 + 1)}{r0 + 1}"
        else:
            cells[fname] = f"{name}!{col_letter(vc)}{r0 + 1}"
            values[fname] = _parse_cell(kinds[fname], grid[r0][vc], name, r0, vc, fname, findings)
        if not hit.exact:
            findings.append(_label_finding("label_fuzzy", name, r0, c0, hit.text, sheet, fname, score=round(hit.score)))
    for slot, best, runner_up in got.ambiguous:
        r0, c0 = slot.key
        findings.append(
            _label_finding(
                "label_ambiguous",
                name,
                r0,
                c0,
                slot.texts[0],
                sheet,
                best,
                other=sheet.field(runner_up).label,
            )
        )
    for slot, fname, winner in got.duplicates:
        r0, c0 = slot.key
        if value_col[slot.key] is not None:
            findings.append(
                _label_finding(
                    "label_duplicate",
                    name,
                    r0,
                    c0,
                    slot.texts[0],
                    sheet,
                    fname,
                    other=f"{col_letter(winner[1])}{winner[0] + 1}",
                )
            )
    for f in sheet.fields:
        # required fields are missing_field (read), the template id row is absent before 2023
        if f.name not in got.by_field and not f.required and f.name != "template_id":
            findings.append(Finding("missing_label", sheet=name, field=f.name, params={"label": f.label}))
    return values, cells


def _label_finding(
    code: str, name: str, r0: int, c0: int, text: object, sheet: schema.Sheet, fname: str, **params
) -> Finding:
    """A finding about a header or label cell that names the template field it was taken for."""
    return Finding(
        code,
        sheet=name,
        row=r0 + 1,
        column=col_letter(c0),
        field=fname,
        value=_text(text),
        params={"label": sheet.field(fname).label, **params},
    )


def _header_texts(grid, merged, r0: int, two: bool) -> list[list[str]]:
    """Per column, the label texts to try: one row, or parent and child of a two-row header."""
    top = [_text(v) for v in (grid[r0] if r0 < len(grid) else [])]
    if not two:
        return [[t] if t else [] for t in top]
    sub = [_text(v) for v in (grid[r0 + 1] if r0 + 1 < len(grid) else [])]
    width = max(len(top), len(sub))
    top += [""] * (width - len(top))
    sub += [""] * (width - len(sub))
    parent = list(top)
    for (sr, sc), (er, ec) in merged:
        if sr == r0 and er == r0 and top[sc]:
            for c in range(sc + 1, min(ec + 1, width)):
                parent[c] = top[sc]
    for c in range(1, width):  # merge ranges lost (e.g. .xls/.ods): fill a parent over its children
        if not parent[c] and sub[c] and parent[c - 1] and sub[c - 1]:
            parent[c] = parent[c - 1]
    out = []
    for c in range(width):
        p, s = parent[c], sub[c]
        if s and p:
            out.append([s, f"{s} {p}", f"{p} {s}", p])
        elif s:
            out.append([s])
        elif p:
            out.append([p])
        else:
            out.append([])
    return out


def _map_header(texts: list[list[str]], sheet: schema.Sheet) -> matching.Assignment:
    return matching.assign(sheet.key, [matching.Slot(c, tuple(o)) for c, o in enumerate(texts) if o])


def _header_findings(
    grid,
    texts,
    got: matching.Assignment,
    sheet: schema.Sheet,
    name: str,
    hr: int,
    two: bool,
    findings: list,
) -> None:
    """Fuzzy, ambiguous, duplicate and extra header cells, and every template column not found."""
    start = hr + (2 if two else 1)
    child = grid[hr + 1] if two and hr + 1 < len(grid) else []

    def row0(c: int) -> int:  # the header cell shown: the child cell of a two-row header if any
        return hr + 1 if c < len(child) and _text(child[c]) else hr

    def has_data(c: int) -> bool:
        return any(c < len(row) and _present(row[c]) for row in grid[start:])

    for c, hit in sorted(got.hits.items()):
        if not hit.exact:
            findings.append(
                _label_finding(
                    "header_fuzzy",
                    name,
                    row0(c),
                    c,
                    hit.text,
                    sheet,
                    hit.field,
                    score=round(hit.score),
                )
            )
    flagged = set()
    for slot, best, runner_up in got.ambiguous:
        flagged.add(slot.key)
        findings.append(
            _label_finding(
                "header_ambiguous",
                name,
                row0(slot.key),
                slot.key,
                slot.texts[0],
                sheet,
                best,
                other=sheet.field(runner_up).label,
            )
        )
    for slot, fname, winner in got.duplicates:
        if has_data(slot.key):
            flagged.add(slot.key)
            findings.append(
                _label_finding(
                    "header_duplicate",
                    name,
                    row0(slot.key),
                    slot.key,
                    slot.texts[0],
                    sheet,
                    fname,
                    other=col_letter(winner),
                )
            )
    for c, options in enumerate(texts):
        if c not in got.hits and c not in flagged and options:
            findings.append(
                Finding(
                    "extra_column",
                    sheet=name,
                    row=hr + 1,
                    column=col_letter(c),
                    value=options[-1] if two else options[0],
                )
            )
    for f in sheet.fields:
        if f.name not in got.by_field and f.kind != "ignore":  # the STT column may be absent
            findings.append(
                Finding(
                    "missing_column",
                    sheet=name,
                    field=f.name,
                    params={"label": f.label, "header_row": hr + 1},
                )
            )


_MARKER = re.compile(r"^\(?[0-9a-zA-Z]{1,2}\)?$")


def _read_table(grid, merged, sheet: schema.Sheet, name: str, findings: list) -> list[RowRecord]:
    name_field = next(f.name for f in sheet.fields if f.required)
    best = None
    for r0 in range(min(HEADER_SCAN_ROWS, len(grid))):
        if sum(1 for v in grid[r0] if isinstance(v, str) and v.strip()) < 2:
            continue
        nxt = grid[r0 + 1] if r0 + 1 < len(grid) else []
        two_options = (False, True) if any(isinstance(v, str) and v.strip() for v in nxt) else (False,)
        for two in two_options:
            if two and best is not None and best[1] == r0 and best[0][0] == len(sheet.fields):
                break  # the single row already names every column
            got = _map_header(_header_texts(grid, merged, r0, two), sheet)
            if name_field not in got.by_field:
                continue
            score = (len(got.hits), not two, got.total)
            if best is None or score > best[0]:
                best = (score, r0, two, got)
        if best is not None and best[0][0] == len(sheet.fields):
            break  # every column found: no later row can do better
    if best is None:
        label = sheet.field(name_field).label
        has_data = any(_present(v) for row in grid[HEADER_SCAN_ROWS:] for v in row)
        if not sheet.optional or has_data:  # an optional sheet left blank is not a problem
            code = "missing_org_header" if sheet.optional else "missing_header"
            findings.append(Finding(code, sheet=name, params={"label": label}))
        return []
    _, hr, two, got = best
    cols = {c: hit.field for c, hit in got.hits.items()}
    _header_findings(grid, _header_texts(grid, merged, hr, two), got, sheet, name, hr, two, findings)
    kinds = {f.name: f.kind for f in sheet.fields}
    data_cols = {c: f for c, f in cols.items() if kinds[f] != "ignore"}
    name_col = next(c for c, f in cols.items() if f == name_field)
    stt_col = next((c for c, f in cols.items() if f == "row_number"), None)
    start = hr + (2 if two else 1)
    field_letters = {f: col_letter(c) for c, f in data_cols.items()}
    rows: list[RowRecord] = []
    total: tuple[int, list] | None = None
    first = True
    for r0 in range(start, len(grid)):
        row = grid[r0]
        cells = {f: (row[c] if c < len(row) else "") for c, f in data_cols.items()}
        if not any(_present(v) for v in cells.values()):
            continue
        if first:
            first = False
            shown = [v for v in row if _present(v)]
            if (
                shown
                and all(isinstance(v, (str, int, float)) and _MARKER.match(_show(v)) for v in shown)
                and not isinstance(cells[name_field], (int, float))
                and (not _present(cells[name_field]) or _MARKER.match(_show(cells[name_field])))
            ):
                continue  # a column-numbering row "(1) (2) (3)" under the header
        label_cells = [cells[name_field]] + ([row[stt_col]] if stt_col is not None and stt_col < len(row) else [])
        if any(isinstance(v, str) and _maybe_total(v) and _key(v) in _TOTAL_KEYS for v in label_cells):
            total = (r0, row)
            continue
        if total is not None and not any(_present(v) for f, v in cells.items() if f != name_field):
            continue  # signature lines under the total row
        values = {}
        for c, f in data_cols.items():
            values[f] = _parse_cell(kinds[f], cells[f], name, r0, c, f, findings)
        if values.get(name_field) is None and not any(
            fd.row == r0 + 1 and fd.sheet == name and fd.field == name_field for fd in findings
        ):
            findings.append(
                Finding(
                    f"missing_{'village' if name_field == 'village' else 'org_name'}",
                    sheet=name,
                    row=r0 + 1,
                    column=col_letter(name_col),
                    field=name_field,
                )
            )
        if sheet.key in PART_WHOLE:
            check_part_whole(
                values,
                {f: f"{name}!{c}{r0 + 1}" for f, c in field_letters.items()},
                sheet.key,
                name,
                r0 + 1,
                findings,
            )
        rows.append(
            RowRecord(
                source_row=r0 + 1,
                values=values,
                letters=field_letters,
                key=fold(values.get(name_field) or ""),
            )
        )
    if total is not None:
        r0, row = total
        for c, f in data_cols.items():
            if kinds[f] != "count" or c >= len(row) or not _present(row[c]):
                continue
            stated = parse("count", row[c])
            if isinstance(stated, Problem) or stated is None:
                continue
            summed = sum(r.values.get(f) or 0 for r in rows)
            if summed == stated:
                continue
            # A number typed as text ("12", "12 hộ") is read here but skipped by the sheet's SUM:
            # when those cells account for the whole gap, they are the cause, named one by one.
            typed = [r for r in rows if r.values.get(f) and isinstance(_raw(grid, r.source_row - 1, c), str)]
            if typed and summed - sum(r.values[f] for r in typed) == stated:
                names = [f"{col_letter(c)}{r.source_row}" for r in typed]
                shown = ", ".join(names[:10]) + (f" và {len(names) - 10} ô khác" if len(names) > 10 else "")
                findings.append(
                    Finding(
                        "total_text_cells",
                        sheet=name,
                        row=r0 + 1,
                        column=col_letter(c),
                        field=f,
                        value=str(stated),
                        params={
                            "expected": summed,
                            "cells": ("ô " if len(names) == 1 else "các ô ") + shown,
                        },
                    )
                )
            else:
                findings.append(
                    Finding(
                        "total_mismatch",
                        sheet=name,
                        row=r0 + 1,
                        column=col_letter(c),
                        field=f,
                        value=str(stated),
                        params={"expected": summed},
                    )
                )
    return rows


def _raw(grid: list[list], r0: int, c0: int) -> object:
    row = grid[r0] if r0 < len(grid) else []
    return row[c0] if c0 < len(row) else None

"""Read one HTSD-01 workbook (xlsx, xlsm, xls, ods) through python-calamine into a ``Submission``.

Labels are found by their normalized text, never by position, so retyped, reordered and
old-template files read the same way. Nothing here knows the reference data: identity and
history checks happen in ``clean``. Macros never run: calamine only reads cell values.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from dataclasses import field as dfield
from functools import lru_cache
from pathlib import Path, PurePosixPath

import python_calamine as pc
from rapidfuzz import fuzz, process

from . import schema
from .schema import PART_WHOLE, TOTAL_ROW_LABELS
from .text import clean_text, fold, label_key, sheet_key
from .values import FormulaNoValue, Problem, parse

READABLE = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED = 200 * 1024 * 1024
HEADER_SCAN_ROWS = 15
PAIRS_SCAN_ROWS = 80
# Sheets that `hoctap template` itself writes (instructions, drop-down lists): not data, not "extra".
TEMPLATE_HELPER_SHEETS = {"huongdan", "danhmuc"}
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Finding:
    """A problem located in a workbook; its severity and message come from rules.csv."""

    code: str
    sheet: str = ""
    row: int | None = None  # 1-based Excel row
    column: str = ""  # Excel column letter
    field: str = ""
    value: str = ""
    params: dict = dfield(default_factory=dict)

    @property
    def cell(self) -> str:
        if self.row is None or not self.column:
            return f"{self.sheet}" if self.sheet else ""
        return f"{self.sheet}!{self.column}{self.row}"


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
    fatal_detail: str = ""
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


def col_letter(index: int) -> str:
    """0-based column index to Excel letters."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


# ---- file-level checks ----------------------------------------------------------------------

def precheck(path: Path, formulas: dict | None = None) -> tuple[str, str] | None:
    """(code, detail) when the file must be rejected before calamine touches it.

    For a sound .xlsx/.xlsm, fills ``formulas`` (formulas_without_value) from the same open zip.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            return ("file_empty", "")
        if size > MAX_BYTES:
            return ("file_too_large", f"{size / 1048576:.1f} MB")
        with path.open("rb") as fh:
            head = fh.read(8)
        suffix = path.suffix.lower()
        if head == _CFB_MAGIC:
            if _encrypted(path):
                return ("file_encrypted", "")
            if suffix != ".xls":
                return ("file_corrupt", "tệp OLE không phải bảng tính mới")
            return None
        if suffix in (".xlsx", ".xlsm", ".ods"):
            if not zipfile.is_zipfile(path):
                return ("file_corrupt", "không phải tệp nén hợp lệ")
            with zipfile.ZipFile(path) as zf:
                total = sum(i.file_size for i in zf.infolist())
                if total > MAX_UNZIPPED:
                    return ("zip_too_large", f"{total / 1048576:.0f} MB")
                if formulas is not None:
                    formulas.update(formulas_without_value(path, zf))
        elif suffix == ".xls":
            return ("file_corrupt", "không phải tệp .xls hợp lệ")
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        return ("file_corrupt", type(exc).__name__)
    return None


def _encrypted(path: Path) -> bool:
    try:
        import msoffcrypto

        with path.open("rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:
        # An OLE container that msoffcrypto cannot parse: an encrypted OOXML package holds an
        # "EncryptionInfo" stream; look for its name (UTF-16) in the directory.
        data = path.read_bytes()
        return "EncryptionInfo".encode("utf-16-le") in data


def formulas_without_value(path: Path, zf: zipfile.ZipFile | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name -> {(row0, col0): formula} for formula cells saved with no cached value.

    calamine shows such cells as empty; only the sheet XML tells them apart from blanks.
    """
    out: dict[str, dict[tuple[int, int], str]] = {}
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return out
    if zf is None:
        try:
            with zipfile.ZipFile(path) as own:
                return formulas_without_value(path, own)
        except (zipfile.BadZipFile, OSError):
            return out
    try:
        if True:
            names = set(zf.namelist())
            sheets = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
            data_by_member = {n: zf.read(n) for n in sheets}
            if not any(b"<f" in d or b":f>" in d or b":f " in d for d in data_by_member.values()):
                return out
            wb_xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
            rels_xml = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
            targets = {}
            for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", rels_xml):
                attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
                targets[attrs.get("Id")] = attrs.get("Target", "")
            for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", wb_xml):
                attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', m.group(1)))
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
                target = targets.get(rid, "")
                if not target:
                    continue
                member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
                if member not in names:
                    continue
                data = data_by_member.get(member) or zf.read(member)
                if b"<f" not in data and b":f" not in data:
                    continue
                cells = _scan_formulas(data.decode("utf-8", "replace"))
                if cells:
                    out[html.unescape(attrs.get("name", ""))] = cells
    except (KeyError, zipfile.BadZipFile, OSError):
        return out
    return out


_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')


def _scan_formulas(xml: str) -> dict[tuple[int, int], str]:
    found = {}
    for m in _CELL.finditer(xml):
        body = m.group(2) or ""
        if "<f" not in body and ":f" not in body:
            continue
        if re.search(r"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>", body) or re.search(r"<(?:\w+:)?is\b", body):
            continue
        if 't="str"' in m.group(1) and re.search(r"<(?:\w+:)?v\b", body):
            continue  # a cached empty text result
        ref = _REF.search(m.group(1))
        if not ref:
            continue
        fm = re.search(r"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", body, re.S)
        formula = html.unescape(fm.group(1)) if fm else ""
        found[(int(ref.group(2)) - 1, _col_index(ref.group(1)))] = formula
    return found


# ---- label matching -------------------------------------------------------------------------

_NUMBERING = re.compile(r"^\s*(?:\d+|[ivxIVX]+|[a-zA-Z])\s*[.)/-]\s*")


@lru_cache(maxsize=100_000)
def _str_key(text: str) -> str:
    return label_key(_NUMBERING.sub("", clean_text(text)))


def _key(text: object) -> str:
    """label_key without a leading numbering ("1.", "a)"); memoized: labels repeat across files."""
    return _str_key(text) if isinstance(text, str) else label_key(_NUMBERING.sub("", clean_text(text)))


@lru_cache(maxsize=100_000)
def _plain_key(text: str) -> str:
    return fold(_NUMBERING.sub("", clean_text(text)))


class _Matcher:
    """Label key -> field name for one sheet, exact first, then a close fuzzy match."""

    def __init__(self, sheet: schema.Sheet):
        self.exact: dict[str, str] = {}
        for f in sheet.fields:
            for text in (f.label, *f.aliases):
                self.exact.setdefault(_key(text), f.name)
                # also the plainly folded label: "GDHT, DHHT, CDHT" typed without đ cannot be
                # expanded safely (CĐHT vs CDHT), but it still spells the canonical label
                self.exact.setdefault(fold(_NUMBERING.sub("", clean_text(text))), f.name)
        self.keys = list(self.exact)
        self.cache: dict[str, str | None] = {}

    def __call__(self, text: object) -> str | None:
        if not isinstance(text, str) or not text:
            return None
        key = _key(text)
        if key in self.cache:
            return self.cache[key]
        hit = self.exact.get(key) or self.exact.get(_plain_key(text))
        if hit is None and len(key) >= 8:
            best = process.extractOne(key, self.keys, scorer=fuzz.ratio, score_cutoff=90)
            if best:
                hit = self.exact[best[0]]
        self.cache[key] = hit
        return hit


_MATCHERS = {s.key: _Matcher(s) for s in schema.SHEETS}
_SHEET_KEYS = {}
for _s in schema.SHEETS:
    for _name in (_s.name, *_s.aliases):
        _SHEET_KEYS[sheet_key(_name)] = _s.key
_TOTAL_KEYS = {label_key(t) for t in TOTAL_ROW_LABELS}


def _maybe_total(text: str) -> bool:
    """Cheap pre-test before label_key: total labels start with "tổng" or "cộng" (any spelling)."""
    head = unicodedata.normalize("NFC", text.lstrip()[:6]).lower()
    return head.startswith(("tổng", "tong", "tông", "cộng", "cong", "công", "tỗng"))


def _text(v: object) -> str:
    return clean_text(v) if isinstance(v, str) else ""


# ---- reading --------------------------------------------------------------------------------

def read_workbook(path: str | Path) -> Submission:
    """Read a workbook into a Submission; never raises for a bad file (``fatal`` says why)."""
    path = Path(path)
    sub = Submission(path=path)
    formulas: dict = {}
    bad = precheck(path, formulas)
    if bad:
        sub.fatal, sub.fatal_detail = bad
        return sub
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        sub.fatal = "file_encrypted"
        return sub
    except Exception as exc:
        sub.fatal, sub.fatal_detail = "file_corrupt", type(exc).__name__
        return sub
    try:
        _read(wb, sub, formulas)
    except pc.PasswordError:
        sub.fatal = "file_encrypted"
    except Exception as exc:  # one bad file never stops a run
        sub.fatal, sub.fatal_detail = "file_corrupt", f"{type(exc).__name__}: {exc}"[:200]
    finally:
        wb.close()
    if not sub.fatal:
        sub.fingerprint()  # computed where the file is read (a worker process), not in the parent
    return sub


def _grid(wb, name: str, formulas: dict) -> tuple[list[list], list]:
    sheet = wb.get_sheet_by_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    rows = [list(r) for r in rows]
    for (r, c), formula in formulas.get(name, {}).items():
        while len(rows) <= r:
            rows.append([])
        row = rows[r]
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        row[c] = FormulaNoValue(formula)
    try:
        merged = sheet.merged_cell_ranges or []
    except Exception:
        merged = []
    return rows, merged


def _read(wb, sub: Submission, formulas: dict) -> None:
    for name in wb.sheet_names:
        key = sheet_key(name)
        role = _SHEET_KEYS.get(key)
        if role and role not in sub.sheets:
            sub.sheets[role] = name
        elif key in TEMPLATE_HELPER_SHEETS:
            continue
        else:
            sub.findings.append(Finding("extra_sheet", sheet=name, value=name))
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
                _check_part_whole(values, cells, "unit", name, None, sub.findings)
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
    for role, label, code in (("info", "ThongTin", "missing_sheet"), ("villages", "DiaBan", "missing_sheet"), ("unit", "DonVi", "missing_unit_sheet")):
        if role not in sub.sheets:
            sub.findings.append(Finding(code, sheet=label, params={"label": label}))
    if "info" in sub.sheets:
        for f in schema.INFO.fields:
            if f.required and sub.info.get(f.name) is None and not _cell_has_problem(sub, "info", f.name):
                addr = sub.info_cells.get(f.name, "")
                where = f" (ô {addr})" if addr else ""
                sub.findings.append(Finding("missing_field", sheet=sub.sheets["info"], field=f.name, params={"label": f.label, "where": where}))


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
            Finding(value.code, sheet=sheet, row=r0 + 1, column=col_letter(c0), field=fname,
                    value=_show(raw), params={"detail": value.detail})
        )
        return None
    return value


def _show(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean_text(raw) if not isinstance(raw, FormulaNoValue) else repr(raw)


def _read_pairs(grid: list[list], sheet: schema.Sheet, name: str, findings: list) -> tuple[dict, dict]:
    match = _MATCHERS[sheet.key]
    kinds = {f.name: f.kind for f in sheet.fields}
    values: dict = {f.name: None for f in sheet.fields}
    cells: dict = {}
    for r0, row in enumerate(grid[:PAIRS_SCAN_ROWS]):
        c0 = 0
        while c0 < len(row):
            fname = match(row[c0])
            if fname is None or fname in cells:
                c0 += 1
                continue
            vc = next((j for j in range(c0 + 1, len(row)) if _present(row[j])), None)
            if vc is None:
                cells[fname] = f"{name}!{col_letter(c0 + 1)}{r0 + 1}"
                c0 += 1
                continue
            cells[fname] = f"{name}!{col_letter(vc)}{r0 + 1}"
            values[fname] = _parse_cell(kinds[fname], row[vc], name, r0, vc, fname, findings)
            c0 = vc + 1
    return values, cells


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


def _map_header(texts: list[list[str]], match) -> dict[int, str]:
    found: dict[int, str] = {}
    used: set[str] = set()
    for c, options in enumerate(texts):
        for t in options:
            fname = match(t)
            if fname and fname not in used:
                found[c] = fname
                used.add(fname)
                break
    return found


_MARKER = re.compile(r"^\(?[0-9a-zA-Z]{1,2}\)?$")


def _read_table(grid, merged, sheet: schema.Sheet, name: str, findings: list) -> list[RowRecord]:
    match = _MATCHERS[sheet.key]
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
            cols = _map_header(_header_texts(grid, merged, r0, two), match)
            if name_field not in cols.values():
                continue
            score = (len(cols), not two)
            if best is None or score > best[0]:
                best = (score, r0, two, cols)
        if best is not None and best[0][0] == len(sheet.fields):
            break  # every column found: no later row can do better
    if best is None:
        label = sheet.field(name_field).label
        has_data = any(_present(v) for row in grid[HEADER_SCAN_ROWS:] for v in row)
        if not sheet.optional or has_data:  # an optional sheet left blank is not a problem
            code = "missing_org_header" if sheet.optional else "missing_header"
            findings.append(Finding(code, sheet=name, params={"label": label}))
        return []
    _, hr, two, cols = best
    texts = _header_texts(grid, merged, hr, two)
    for c, options in enumerate(texts):
        if c not in cols and options:
            findings.append(Finding("extra_column", sheet=name, row=hr + 1, column=col_letter(c), value=options[-1] if two else options[0]))
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
            if shown and all(isinstance(v, (str, int, float)) and _MARKER.match(_show(v)) for v in shown) and not isinstance(cells[name_field], (int, float)) and (not _present(cells[name_field]) or _MARKER.match(_show(cells[name_field]))):
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
            findings.append(Finding(f"missing_{'village' if name_field == 'village' else 'org_name'}", sheet=name, row=r0 + 1, column=col_letter(name_col), field=name_field))
        if sheet.key in PART_WHOLE:
            _check_part_whole(values, {f: f"{name}!{c}{r0 + 1}" for f, c in field_letters.items()}, sheet.key, name, r0 + 1, findings)
        rows.append(RowRecord(source_row=r0 + 1, values=values, letters=field_letters, key=fold(values.get(name_field) or "")))
    if total is not None:
        r0, row = total
        for c, f in data_cols.items():
            if kinds[f] != "count" or c >= len(row) or not _present(row[c]):
                continue
            stated = parse("count", row[c])
            if isinstance(stated, Problem) or stated is None:
                continue
            summed = sum(r.values.get(f) or 0 for r in rows)
            if summed != stated:
                findings.append(Finding("total_mismatch", sheet=name, row=r0 + 1, column=col_letter(c), field=f, value=str(stated), params={"expected": summed}))
    return rows


_LABELS = {f.name: f.label for s in schema.SHEETS for f in s.fields}


def _check_part_whole(values: dict, cells: dict, role: str, sheet_name: str, row: int | None, findings: list) -> None:
    labels = _LABELS
    for part, whole in PART_WHOLE.get(role, ()):
        p, w = values.get(part), values.get(whole)
        if isinstance(p, int) and isinstance(w, int) and p > w:
            addr = cells.get(part, "")
            findings.append(Finding(
                "part_whole", sheet=sheet_name, row=row if row is not None else _addr_row(addr), column=_addr_col(addr), field=part,
                value=str(p), params={"part": p, "whole": w, "part_label": _lower_first(labels[part]), "whole_label": _lower_first(labels[whole])},
            ))
    if role == "villages":
        p, w = values.get("households_family_title"), values.get("households_registered")
        if isinstance(p, int) and isinstance(w, int) and p > w:
            addr = cells.get("households_family_title", "")
            findings.append(Finding("awarded_unregistered", sheet=sheet_name, row=row, column=_addr_col(addr), field="households_family_title", value=str(p), params={"part": p, "whole": w}))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _addr_row(addr: str) -> int | None:
    m = re.search(r"(\d+)$", addr)
    return int(m.group(1)) if m else None


def _addr_col(addr: str) -> str:
    m = re.search(r"([A-Z]+)\d+$", addr)
    return m.group(1) if m else ""

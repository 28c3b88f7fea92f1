"""Before the reader touches a file: size, format by content, decryption, far cells, and the
cells calamine misreads (formulas with no value and error values as empty, a negative number
in a date style as a time).

Everything that can make calamine allocate without bound or crash is decided here on the bytes,
so that the reader only ever sees a file it can read within the sandbox's bounds. The raw file
is only read: a copy that calamine can open (renamed, decrypted) goes to a scratch folder.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import stat
import struct
import tempfile
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from dataclasses import field as dfield
from pathlib import Path

import python_calamine as pc

from hoctap.intake import formats, schema
from hoctap.intake.findings import Finding, col_index
from hoctap.intake.values import CellError, FormulaNoValue
from hoctap.text import sheet_key

MAX_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED = 200 * 1024 * 1024
DEFAULT_PASSWORD = "VelvetSweatshop"  # Excel's key for an .xls whose structure is protected


# ---- file-level checks ----------------------------------------------------------------------


def precheck(path: Path, scratch=None) -> Prepared:
    """What must be known before calamine touches the file; ``fatal`` set when it must not.

    The kind comes from the bytes (formats); a far content cell, a zip bomb, a password and a
    content that no extension names are caught here. ``scratch()`` gives a temporary folder
    (outside raw/) for a copy calamine can open by its extension, or a decrypted copy.
    """
    prep = Prepared(read_path=path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            prep.fatal = ("file_corrupt", "không phải tệp thường", "")
            return prep
        if st.st_size == 0:
            prep.fatal = ("file_empty", "", "")
            return prep
        if st.st_size > MAX_BYTES:
            prep.fatal = ("file_too_large", f"{st.st_size / 1048576:.1f} MB", "")
            return prep
        with path.open("rb") as fh:
            head = fh.read(formats.HEAD_BYTES)
        kind = formats.head_kind(head)
        if kind == "zip":
            _precheck_zip(path, path.name, prep, scratch)
        elif kind == "cfb":
            _precheck_cfb(path, prep, scratch)
        else:
            prep.fatal = ("file_corrupt", _what(kind), "")
    except MemoryError:
        prep.fatal = ("file_crash", "tệp cần quá nhiều bộ nhớ", "MemoryError")
    except Exception as exc:  # a damaged member: zlib.error, EOFError, NotImplementedError...
        prep.fatal = failure_reason(exc)
    return prep


@dataclass
class Prepared:
    """What the prechecks learnt: the kind, the file calamine opens, and ``placeholders``:
    sheet name -> {(row0, col0): FormulaNoValue | CellError | float} for the cells calamine
    shows as empty although they hold a formula never computed or an error value (and styled
    negative numbers, which a date style turns into a time)."""

    read_path: Path
    kind: str = ""
    placeholders: dict = dfield(default_factory=dict)
    findings: list = dfield(default_factory=list)
    fatal: tuple[str, str, str] | None = None  # (code, Vietnamese detail, technical detail)


def _what(kind: str) -> str:
    """Vietnamese words for a content that is not one of the four read formats."""
    if kind in ("unknown", "cfb_damaged"):
        return "không phải tệp bảng tính hợp lệ" if kind == "unknown" else formats.LABELS[kind]
    extra = ", dạng hệ thống không đọc" if kind in formats.NOT_READ_SPREADSHEETS else ""
    return f"thực chất là {formats.LABELS.get(kind, kind)}{extra}"


def _precheck_zip(path: Path, name: str, prep: Prepared, scratch) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        prep.fatal = ("file_corrupt", "không phải tệp nén hợp lệ", f"BadZipFile: {exc}")
        return
    with zf:
        total = sum(i.file_size for i in zf.infolist())
        if total > MAX_UNZIPPED:
            prep.fatal = ("zip_too_large", f"{total / 1048576:.0f} MB", "")
            return
        kind = formats.zip_kind(zf, check_types=formats.declared_kind(name) not in ("xlsx", "xlsm"))
        if kind == "zip" and "xl/workbook.xml" not in zf.namelist():
            prep.fatal = ("file_corrupt", "tệp nén không chứa bảng tính", "")
            return
        if kind not in formats.READ_KINDS:
            prep.fatal = ("file_corrupt", _what(kind), "")
            return
        if kind in ("xlsx", "xlsm"):
            far = _scan_xlsx(zf, prep.placeholders)
        else:
            far = formats.ods_far_cell(zf, _limits_for)
            if not far:
                prep.placeholders.update(_ods_errors(zf))
    prep.kind = kind
    if far:
        sheet, row, col = far
        prep.fatal = ("cell_too_far", f"{formats.cell_name(row, col)} của trang {sheet}", "")
        return
    _place(path, name, prep, scratch)


def _precheck_cfb(path: Path, prep: Prepared, scratch) -> None:
    kind = formats.cfb_kind(str(path))
    if kind == "ooxml_encrypted":
        plain = _decrypt_default(path)
        if plain is None:
            prep.fatal = ("file_encrypted", "", "")
            return
        copy = scratch() / "decrypted.xlsx"
        copy.write_bytes(plain)
        _precheck_zip(copy, "decrypted.xlsx", prep, scratch)
        return
    if kind != "xls":
        prep.fatal = ("file_corrupt", _what(kind), "")
        return
    source = path
    if _encrypted(path):
        plain = _decrypt_default(path)
        if plain is None:
            prep.fatal = ("file_encrypted", "", "")
            return
        source = scratch() / "decrypted.xls"
        source.write_bytes(plain)
    import olefile

    with olefile.OleFileIO(str(source)) as ole:
        stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    far = formats.xls_far_cell(stream, _limits_for)
    prep.kind = "xls"
    if far:
        sheet, row, col = far
        prep.fatal = ("cell_too_far", f"{formats.cell_name(row, col)} của trang {sheet}", "")
        return
    prep.placeholders.update(_xls_placeholders(stream))
    _place(source, path.name, prep, scratch)


def _place(source: Path, name: str, prep: Prepared, scratch) -> None:
    """Note an extension that lies, and give calamine a path whose extension names the content."""
    mismatch = formats.mismatch_params(name, prep.kind)
    if mismatch and source.name not in ("decrypted.xlsx", "decrypted.xls"):
        prep.findings.append(Finding("format_mismatch", value=name, params=mismatch))
    same_parser = source.suffix.lower() in (
        (".xlsx", ".xlsm") if prep.kind in ("xlsx", "xlsm") else (formats.SUFFIX[prep.kind],)
    )
    try:
        str(source).encode("utf-8")
        encodable = True
    except UnicodeEncodeError:  # a name that is not valid UTF-8: calamine cannot open it
        encodable = False
    if same_parser and encodable:
        prep.read_path = source
        return
    copy = scratch() / f"workbook{formats.SUFFIX[prep.kind]}"
    shutil.copyfile(source, copy)
    prep.read_path = copy


def _limits_for(sheet_name: str) -> formats.Limits:
    """Template sheets are bounded per side; others (read only as a last resort) by area."""
    return formats.TEMPLATE_LIMITS if sheet_key(sheet_name) in schema.SHEET_ROLES else formats.OTHER_LIMITS


def _encrypted(path: Path) -> bool:
    """An .xls with a FILEPASS record (encrypted, maybe only with Excel's default key)."""
    try:
        import msoffcrypto

        with path.open("rb") as fh:
            return bool(msoffcrypto.OfficeFile(fh).is_encrypted())
    except Exception:
        return False


def _decrypt_default(path: Path) -> bytes | None:
    """The plain file when it opens with Excel's default key (no password asked), else None."""
    try:
        import msoffcrypto

        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=DEFAULT_PASSWORD)
            out = io.BytesIO()
            office.decrypt(out)
        return out.getvalue()
    except Exception:
        return None


def failure_reason(exc: BaseException) -> tuple[str, str, str]:
    """(code, Vietnamese detail, technical text) of an exception met while reading a file."""
    tech = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, pc.PasswordError):
        return ("file_encrypted", "", tech)
    if isinstance(exc, MemoryError):
        return ("file_crash", "tệp cần quá nhiều bộ nhớ", tech)
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError, pc.ZipError)):
        return ("file_corrupt", "một phần nén bên trong tệp bị hỏng, không giải nén được", tech)
    if isinstance(exc, NotImplementedError):
        return ("file_corrupt", "tệp được nén theo cách không hỗ trợ", tech)
    if isinstance(exc, (pc.XmlError, ET.ParseError)):
        return ("file_corrupt", "nội dung XML bên trong tệp bị hỏng", tech)
    if isinstance(exc, UnicodeError):
        return ("file_corrupt", "có ký tự không đọc được bên trong tệp", tech)
    return ("file_corrupt", "cấu trúc bên trong tệp không đọc được", tech)


def formulas_without_value(path: Path, zf: zipfile.ZipFile | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet name -> {(row0, col0): formula} for formula cells saved with no cached value.

    calamine shows such cells as empty; only the sheet XML tells them apart from blanks.
    """
    return {
        sheet: formulas
        for sheet, cells in placeholders_of(path, zf).items()
        if (formulas := {k: v.formula for k, v in cells.items() if isinstance(v, FormulaNoValue)})
    }


def placeholders_of(path: Path, zf: zipfile.ZipFile | None = None) -> dict[str, dict]:
    """Sheet name -> {(row0, col0): placeholder} of an .xlsx/.xlsm (see ``Prepared``)."""
    out: dict[str, dict] = {}
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return out
    try:
        if zf is None:
            with zipfile.ZipFile(path) as own:
                _scan_xlsx(own, out)
        else:
            _scan_xlsx(zf, out)
    except Exception:  # a damaged file: precheck says so, this helper only finds cells
        return {}
    return out


def _scan_xlsx(zf: zipfile.ZipFile, placeholders: dict) -> tuple[str, int, int] | None:
    """One streamed pass over every worksheet, in sorted order: the first far content cell
    (sheet, row, column), and the cells calamine reads as empty into ``placeholders``."""
    found: dict[str, tuple] = {}
    cells_by_member: dict[str, dict] = {}
    for member in formats.worksheet_members(zf):
        cells: dict = {}
        unplaced: list = []
        chunks = _placeholder_tee(formats.xlsx_cell_chunks(zf, member), cells, unplaced)
        far = formats.xlsx_far_cells(chunks)
        if far != (None, None):
            found[member] = far
        if unplaced:  # a cell with no r="A1": place every cell as calamine does (rare, slower)
            at = [-1, -1]
            for part in formats.xlsx_cell_chunks(zf, member):
                cells.update(_scan_cells(part.decode("utf-8", "replace"), at)[0])
        if cells:
            cells_by_member[member] = cells
    if not found and not cells_by_member:
        return None
    for raw_name, member in formats.xlsx_sheets(zf):
        name = html.unescape(raw_name)
        if member in found:
            template, other = found[member]
            far = template if _limits_for(name) is formats.TEMPLATE_LIMITS else other
            if far:
                return (name, *far)
        if member in cells_by_member:
            placeholders[name] = cells_by_member[member]
    return None


def _placeholder_tee(chunks, cells: dict, unplaced: list):
    """The chunks unchanged; those that may hold a formula or an error cell are scanned (a
    chunk ends between two cells, never inside one, so its decoded text is whole)."""
    for part in chunks:
        if b"<f" in part or b":f>" in part or b":f " in part or b'"e"' in part or b"'e'" in part or b"v>-" in part:
            found, missing = _scan_cells(part.decode("utf-8", "replace"))
            cells.update(found)
            if missing:
                unplaced.append(True)
        yield part


_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(r'\br="([A-Z]+)(\d+)"')
_ERROR_TYPE = re.compile(r"""\bt\s*=\s*["']e["']""")
_VALUE = re.compile(r"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA = re.compile(r"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.S)
_ROW_OR_CELL = re.compile(r"<(?:\w+:)?row\b([^>]*)>|" + _CELL.pattern, re.S)
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_STYLED = re.compile(r'\bs="0*[1-9]\d*"')
_TYPED = re.compile(r'\bt="(?!n")')
_NEGATIVE = re.compile(r"<(?:\w+:)?v>\s*(-\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)\s*</(?:\w+:)?v>")


def _cells(xml: str, at: list[int] | None):
    """(attributes, body, (row0, col0) or None) of each cell. With ``at`` ([row0, col0] carried
    over from the previous chunk) rows and cells are counted, so a cell without r="A1" is
    placed where calamine puts it; without ``at`` such a cell has no place (None)."""
    if at is None:
        for m in _CELL.finditer(xml):
            ref = _REF.search(m.group(1))
            where = (int(ref.group(2)) - 1, col_index(ref.group(1))) if ref else None
            yield m.group(1), m.group(2) or "", where
        return
    for m in _ROW_OR_CELL.finditer(xml):
        if m.group(1) is not None:  # a row
            number = _ROW_NUMBER.search(m.group(1))
            at[0], at[1] = (int(number.group(1)) - 1 if number else at[0] + 1), -1
            continue
        ref = _REF.search(m.group(2))
        if ref:
            at[0], at[1] = int(ref.group(2)) - 1, col_index(ref.group(1))
        else:
            at[1] += 1
        yield m.group(2), m.group(3) or "", (at[0], at[1])


def _scan_cells(xml: str, at: list[int] | None = None) -> tuple[dict, bool]:
    """Error cells (t="e", which calamine reads as empty), formulas with no cached value and
    styled negative numbers (a date style turns -5 into 00:00:00: the number is kept to be
    shown), and whether one of them had no place (no r="A1" and no ``at``)."""
    found: dict[tuple[int, int], FormulaNoValue | CellError | float] = {}
    unplaced = False
    for attrs, body, where in _cells(xml, at):
        error = _ERROR_TYPE.search(attrs)
        formula_cell = "<f" in body or ":f" in body
        negative = (
            not error
            and not formula_cell
            and _STYLED.search(attrs)
            and not _TYPED.search(attrs)
            and _NEGATIVE.search(body)
        )
        if not (error or formula_cell or negative):
            continue
        if where is None:
            unplaced = True
            continue
        if negative:
            found[where] = float(negative.group(1))
            continue
        fm = _FORMULA.search(body)
        formula = html.unescape(fm.group(1)) if fm else ""
        cached = _VALUE.search(body)
        if error and cached and cached.group(1).strip():
            found[where] = CellError(html.unescape(cached.group(1)).strip(), formula)
            continue
        if not fm and "<f" not in body and ":f" not in body:
            continue  # an error cell with no value and no formula: calamine's empty is right
        if (cached and cached.group(1)) or re.search(r"<(?:\w+:)?is\b", body):
            continue
        if 't="str"' in attrs and re.search(r"<(?:\w+:)?v\b", body):
            continue  # a cached empty text result
        found[where] = FormulaNoValue(formula)
    return found, unplaced


# ---- error cells of .ods, error cells and negative numbers of .xls -------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CALCEXT_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
_TEXT_P = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
_ODS_HINTS = (
    b'value-type="error"',
    b"Err:5",
    *(e.encode() for e in ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!")),
)


def _member_has(zf: zipfile.ZipFile, member: str, needles: tuple[bytes, ...]) -> bool:
    """Whether a member's bytes hold one of ``needles``: streamed, never past its declared size."""
    left = zf.getinfo(member).file_size
    tail = b""
    with zf.open(member) as fh:
        while left > 0:
            chunk = fh.read(min(1 << 20, left))
            if not chunk:
                break
            left -= len(chunk)
            part = tail + chunk
            if any(n in part for n in needles):
                return True
            tail = part[-32:]
    return False


def _ods_errors(zf: zipfile.ZipFile) -> dict[str, dict[tuple[int, int], CellError]]:
    """Error cells of content.xml in template sheets: LibreOffice writes them as an empty string
    with calcext:value-type="error" (calamine reads ""), the error only in the shown text."""
    if "content.xml" not in zf.namelist() or not _member_has(zf, "content.xml", _ODS_HINTS):
        return {}
    out: dict[str, dict] = {}
    cells: dict | None = None
    row = col = 0
    row_rep, row_errors = 1, []
    with zf.open("content.xml") as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == _TABLE + "table":
                    name = el.get(_TABLE + "name", "")
                    template = sheet_key(name) in schema.SHEET_ROLES
                    cells = out.setdefault(name, {}) if template else None
                    row = 0
                elif tag == _TABLE + "table-row":
                    col, row_errors = 0, []
                    row_rep = _repeat(el.get(_TABLE + "number-rows-repeated"))
                continue
            if tag in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
                rep = _repeat(el.get(_TABLE + "number-columns-repeated"))
                if cells is not None and tag == _TABLE + "table-cell":
                    error = _ods_error(el)
                    if error is not None:  # copies past the template's area are never read
                        row_errors += [(col + i, error) for i in range(min(rep, formats.MAX_COLS))]
                col += rep
                el.clear()
            elif tag == _TABLE + "table-row":
                for r in range(row, row + min(row_rep, formats.MAX_ROWS)) if row_errors else ():
                    cells.update(((r, c), e) for c, e in row_errors)
                row += row_rep
                el.clear()
    return {name: found for name, found in out.items() if found}


def _ods_error(el) -> CellError | None:
    shown = "".join("".join(p.itertext()) for p in el.iter(_TEXT_P)).strip()
    formula = el.get(_TABLE + "formula") or ""
    formula = re.sub(r"^(?:of|oooc|msoxl):=?", "", formula).lstrip("=")
    if el.get(_CALCEXT_TYPE) == "error":
        return CellError(shown, formula)
    if formula and el.get(_OFFICE + "value-type") in (None, "string"):
        error = CellError.from_text(shown)
        if error is not None:
            return CellError(error.value, formula)
    return None


def _repeat(text: str | None) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


_BIFF_ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}


def _xls_placeholders(stream: bytes) -> dict[str, dict[tuple[int, int], CellError | float]]:
    """Cells of the template sheets of a BIFF stream that calamine misreads: BOOLERR records
    with the error flag and FORMULA records whose cached result is an error (read as empty),
    and negative numbers (NUMBER, RK, MULRK), which a date style turns into a time."""
    sheets: dict[int, str] = {}  # BOF offset -> sheet name, from BOUNDSHEET records
    out: dict[str, dict] = {}
    biff8 = len(stream) >= 6 and struct.unpack_from("<H", stream, 4)[0] == 0x0600
    cells: dict | None = None
    depth, pos, n = 0, 0, len(stream)
    while pos + 4 <= n:
        rtype, size = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        if body + size > n:
            break
        if rtype == 0x0085 and size >= 8:  # BOUNDSHEET
            (offset,) = struct.unpack_from("<I", stream, body)
            sheets[offset] = formats._boundsheet_name(stream[body + 6 : body + size], biff8)
        elif rtype == 0x0809:  # BOF: a sheet's, or a chart's embedded inside it
            if pos in sheets:
                name = sheets[pos]
                cells = out.setdefault(name, {}) if sheet_key(name) in schema.SHEET_ROLES else None
                depth = 1
            elif depth:
                depth += 1
        elif rtype == 0x000A and depth:  # EOF
            depth -= 1
            if depth == 0:
                cells = None
        elif cells is not None and depth == 1 and size >= 6:
            _xls_cell(rtype, stream[body : body + size], cells)
        pos = body + size
    return {name: found for name, found in out.items() if found}


def _xls_cell(rtype: int, rec: bytes, cells: dict) -> None:
    row, col = struct.unpack_from("<HH", rec)
    if rtype == 0x0205 and len(rec) >= 8 and rec[7] == 1:  # BOOLERR holding an error
        cells[(row, col)] = CellError(_BIFF_ERRORS.get(rec[6], "#?"))
    elif rtype == 0x0006 and len(rec) >= 20 and rec[6] == 2 and rec[12:14] == b"\xff\xff":
        cells[(row, col)] = CellError(_BIFF_ERRORS.get(rec[8], "#?"))  # FORMULA, an error result
    elif rtype == 0x0203 and len(rec) >= 14:  # NUMBER
        (x,) = struct.unpack_from("<d", rec, 6)
        if x < 0:
            cells[(row, col)] = x
    elif rtype == 0x027E and len(rec) >= 10:  # RK
        x = _rk(struct.unpack_from("<I", rec, 6)[0])
        if x < 0:
            cells[(row, col)] = x
    elif rtype == 0x00BD and len(rec) >= 12:  # MULRK: (xf, rk) pairs from column ``col`` on
        for i in range((len(rec) - 6) // 6):
            x = _rk(struct.unpack_from("<I", rec, 6 + 6 * i)[0])
            if x < 0:
                cells[(row, col + i)] = x


def _rk(rk: int) -> float:
    """The number of a BIFF RK value (a 30-bit integer or the top of a double, maybe /100)."""
    if rk & 2:
        x = float(struct.unpack("<i", struct.pack("<I", rk))[0] >> 2)
    else:
        x = struct.unpack("<d", struct.pack("<Q", (rk & 0xFFFFFFFC) << 32))[0]
    return x / 100 if rk & 1 else x


class Scratch:
    """A temporary folder outside raw/, made on first use, for copies calamine can open."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def __call__(self) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix="hoctap-read-"))
        return self.path

    def cleanup(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)

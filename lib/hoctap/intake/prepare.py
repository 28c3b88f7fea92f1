"""Before the reader touches a file: size, format by content, decryption, far cells, formulas.

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
    """What the prechecks learnt: the kind, the file calamine opens, formulas with no value."""

    read_path: Path
    kind: str = ""
    formulas: dict = dfield(default_factory=dict)
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
        far = _scan_xlsx(zf, prep.formulas) if kind in ("xlsx", "xlsm") else formats.ods_far_cell(zf, _limits_for)
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
    _place(source, path.name, prep, scratch)


def _place(source: Path, name: str, prep: Prepared, scratch) -> None:
    """Note an extension that lies, and give calamine a path whose extension names the content."""
    mismatch = formats.mismatch_params(name, prep.kind)
    if mismatch and source.name not in ("decrypted.xlsx", "decrypted.xls"):
        prep.findings.append(Finding("format_mismatch", value=name, params=mismatch))
    same_parser = source.suffix.lower() in ((".xlsx", ".xlsm") if prep.kind in ("xlsx", "xlsm") else (formats.SUFFIX[prep.kind],))
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
    out: dict[str, dict[tuple[int, int], str]] = {}
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return out
    try:
        if zf is None:
            with zipfile.ZipFile(path) as own:
                _scan_xlsx(own, out)
        else:
            _scan_xlsx(zf, out)
    except Exception:  # a damaged file: precheck says so, this helper only finds formulas
        return {}
    return out


def _scan_xlsx(zf: zipfile.ZipFile, formulas: dict) -> tuple[str, int, int] | None:
    """One streamed pass over every worksheet, in sorted order: the first far content cell
    (sheet, row, column), and formulas with no cached value into ``formulas``."""
    found: dict[str, tuple] = {}
    cells_by_member: dict[str, dict] = {}
    for member in formats.worksheet_members(zf):
        cells: dict = {}
        far = formats.xlsx_far_cells(_formula_tee(formats.xlsx_cell_chunks(zf, member), cells))
        if far != (None, None):
            found[member] = far
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
            formulas[name] = cells_by_member[member]
    return None


def _formula_tee(chunks, cells: dict):
    for part in chunks:
        if b"<f" in part or b":f>" in part or b":f " in part:
            cells.update(_scan_formulas(part.decode("utf-8", "replace")))
        yield part


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
        found[(int(ref.group(2)) - 1, col_index(ref.group(1)))] = formula
    return found


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


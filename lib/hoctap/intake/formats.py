"""What a file really is, read from its bytes: the one format decision of ``check`` and ``clean``.

Extensions lie (an .ods renamed .xlsx, an .xlsx saved as .xls, a web page called .xls), and
calamine picks its parser by extension, so the kind comes from the magic bytes and the zip or
OLE directory. This module also bounds what the reader may allocate: calamine keeps a sheet as a
dense grid from A1 to its farthest value, so one value at XFD1048576 would ask for hundreds of
GB. The scans below find such a cell cheaply (streamed, never a whole member in memory).
"""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath, PurePosixPath

READ_KINDS = ("xlsx", "xlsm", "xls", "ods")
SUFFIX = {"xlsx": ".xlsx", "xlsm": ".xlsm", "xls": ".xls", "ods": ".ods"}
HEAD_BYTES = 4096

# A sheet of the HTSD-01 template never comes near these; beyond them a value is a stray cell.
MAX_ROWS = 5000
MAX_COLS = 200
# Other sheets are read only when no template sheet holds anything: bound the dense grid instead.
MAX_OTHER_CELLS = 5_000_000

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Vietnamese names of what a file can be, for messages.
LABELS = {
    "xlsx": "bảng tính Excel (.xlsx)",
    "xlsm": "bảng tính Excel có macro (.xlsm)",
    "xls": "bảng tính Excel 97-2003 (.xls)",
    "ods": "bảng tính LibreOffice/OpenOffice (.ods)",
    "ooxml_encrypted": "bảng tính Excel có đặt mật khẩu",
    "xlsb": "bảng tính Excel dạng nhị phân (.xlsb)",
    "fods": "bảng tính LibreOffice dạng XML phẳng (.fods)",
    "csv": "tệp văn bản CSV",
    "slk": "tệp SYLK (.slk)",
    "numbers": "bảng tính Apple Numbers (.numbers)",
    "xml2003": "bảng tính Excel 2003 dạng XML",
    "dif": "tệp DIF (.dif)",
    "html": "trang web (HTML)",
    "docx": "văn bản Word (.docx)",
    "pptx": "bản trình chiếu PowerPoint (.pptx)",
    "doc": "văn bản Word 97-2003 (.doc)",
    "ppt": "bản trình chiếu PowerPoint 97-2003 (.ppt)",
    "odf": "tài liệu OpenDocument không phải bảng tính",
    "pdf": "tệp PDF",
    "image": "tệp hình ảnh",
    "zip": "tệp nén",
    "archive": "tệp nén",
    "cfb": "tệp Office 97-2003 không phải bảng tính",
    "cfb_damaged": "tệp Office 97-2003 bị hỏng",
    "unknown": "tệp không rõ định dạng",
    "empty": "tệp rỗng",
}
# Spreadsheet formats that are not read: the analyst is told to save them as .xlsx.
NOT_READ_SPREADSHEETS = frozenset({"xlsb", "fods", "csv", "slk", "numbers", "xml2003", "dif"})

_BY_SUFFIX = {
    ".xlsx": "xlsx",
    ".xlsm": "xlsm",
    ".xls": "xls",
    ".ods": "ods",
    ".xlsb": "xlsb",
    ".fods": "fods",
    ".csv": "csv",
    ".tsv": "csv",
    ".slk": "slk",
    ".sylk": "slk",
    ".numbers": "numbers",
    ".dif": "dif",
}


def suffix_of(name: str) -> str:
    """The extension as written ("" when there is none), for messages."""
    return PurePath(name).suffix


def declared_kind(name: str) -> str:
    """The kind the extension claims ("" for an extension that names no known format)."""
    return _BY_SUFFIX.get(suffix_of(name).lower(), "")


# ---- sniffing -------------------------------------------------------------------------------


def head_kind(head: bytes) -> str:
    """Kind from the first bytes: "zip" and "cfb" need their directory to say more."""
    if not head:
        return "empty"
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(CFB_MAGIC):
        return "cfb"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "image"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "archive"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"id;p"):
        return "slk"
    if text.startswith(b"table\r\n0,1") or text.startswith(b"table\n0,1"):
        return "dif"
    if text.startswith(b"<"):
        if b"opendocument.spreadsheet" in text and b"office:document" in text:
            return "fods"
        if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
            return "xml2003"
        if b"<html" in text or b"<table" in text or b"<!doctype html" in text:
            return "html"
    return "unknown"


def zip_kind(zf: zipfile.ZipFile, check_types: bool = True) -> str:
    """xlsx, xlsm, xlsb, ods, numbers, docx... from the members of an open zip.

    Without ``check_types`` an xlsx part with no macros is not read for a macro content type
    (it saves a member read per file; the reader calls it so for files named .xlsx).
    """
    names = set(zf.namelist())
    if "xl/workbook.xml" in names:
        if "xl/vbaProject.bin" in names:
            return "xlsm"
        if check_types and "[Content_Types].xml" in names and zf.getinfo("[Content_Types].xml").file_size < 1 << 20:
            types = zf.read("[Content_Types].xml")
            if b"macroEnabled.main+xml" in types:
                return "xlsm"
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
        mime = zf.read("mimetype").strip()
        if mime.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        if mime.startswith(b"application/vnd.oasis.opendocument."):
            return "odf"
    if "word/document.xml" in names:
        return "docx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
        return "numbers"
    return "zip"


def cfb_kind(source) -> str:
    """xls, encrypted OOXML, doc, ppt... from the stream names of an OLE compound file."""
    import olefile

    try:
        with olefile.OleFileIO(source) as ole:
            streams = {"/".join(e).lower() for e in ole.listdir(streams=True, storages=False)}
    except Exception:
        return "cfb_damaged"
    if "encryptioninfo" in streams and "encryptedpackage" in streams:
        return "ooxml_encrypted"
    if "workbook" in streams or "book" in streams:
        return "xls"
    if "worddocument" in streams:
        return "doc"
    if "powerpoint document" in streams:
        return "ppt"
    return "cfb"


def sniff(path, head: bytes | None = None) -> str:
    """The content kind of a file (opens its zip or OLE directory when the magic says so)."""
    if head is None:
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    kind = head_kind(head)
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as zf:
                return zip_kind(zf)
        except Exception:
            return "unknown"
    if kind == "cfb":
        return cfb_kind(str(path))
    return kind


# ---- the decision ---------------------------------------------------------------------------


@dataclass
class Decision:
    """Read the file, or ignore it with a rule code and its message parameters."""

    read: bool
    code: str = ""
    params: dict = field(default_factory=dict)


def decide(name: str, path, head: bytes) -> Decision:
    """Whether a regular file (not hidden, not a lock file) is read, by its name and bytes.

    A file whose extension names one of the four read formats is a submission: it is read by
    its content (a wrong content is a rejection with the reason, not silence). Any other
    extension is never read, since backups and copies ("x.xlsx.bak") would compete with the
    real report, but the reason says what the file really is.
    """
    declared = declared_kind(name)
    if declared in READ_KINDS:
        return Decision(True)
    kind = head_kind(head)
    if kind in ("zip", "cfb"):
        kind = sniff(path, head)
    if kind in READ_KINDS:
        return Decision(
            False,
            "ignored_extension",
            {
                "detail": LABELS[kind],
                "suffix": SUFFIX[kind],
                "declared": suffix_of(name) or "(không có đuôi)",
            },
        )
    if kind in NOT_READ_SPREADSHEETS or declared in NOT_READ_SPREADSHEETS:
        return Decision(
            False,
            "ignored_format",
            {"detail": LABELS[kind if kind in NOT_READ_SPREADSHEETS else declared]},
        )
    return Decision(False, "ignored_file")


def mismatch_params(name: str, kind: str) -> dict | None:
    """Parameters of the format_mismatch note when the extension does not say ``kind``.

    .xlsx and .xlsm are one family here: the same parser reads both and macros never run.
    """
    suffix = suffix_of(name).lower()
    if suffix == SUFFIX[kind] or (kind in ("xlsx", "xlsm") and suffix in (".xlsx", ".xlsm")):
        return None
    return {
        "declared": suffix_of(name) or "(không có đuôi)",
        "detail": LABELS[kind],
        "suffix": SUFFIX[kind],
    }


# ---- how far a sheet reaches ----------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    cols: int = MAX_COLS
    cells: int | None = None  # set: bound rows x cols of the grid instead of each side


TEMPLATE_LIMITS = Limits()
OTHER_LIMITS = Limits(rows=0, cols=0, cells=MAX_OTHER_CELLS)


class _Reach:
    """The farthest content cell of one sheet, and the first cell past the limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows = 0
        self.cols = 0
        self.far: tuple[int, int] | None = None  # 1-based (row, column)

    def add(self, row: int, col: int) -> bool:
        """Record a content cell (1-based); True once the sheet is past its limits."""
        lim = self.limits
        if lim.cells is None:
            if row > lim.rows or col > lim.cols:
                self.far = self.far or (row, col)
        else:
            self.rows, self.cols = max(self.rows, row), max(self.cols, col)
            if self.rows * self.cols > lim.cells:
                self.far = self.far or (row, col)
        return self.far is not None


def col_letters(col: int) -> str:
    """1-based column number to Excel letters."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def cell_name(row: int, col: int) -> str:
    return f"{col_letters(col)}{row}"


_CHUNK = 1 << 20
# A cell reference that can lie outside 26 columns x 999 rows: the only ones worth a closer look.
_FAR_REF = re.compile(rb'r="(?:([A-Z]{2,3})(\d+)|([A-Z])(\d{4,})|(\d{4,}))"')
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\s")
_ROW_END = re.compile(rb"</(?:\w+:)?row>")
_CELL_TAG = re.compile(rb"<(?:\w+:)?c\s")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_CONTENT = re.compile(rb"<(?:\w+:)?(?:v|is|f)[\s>/]")
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b")


class _Bounded:
    """A member's stream read in pieces no larger than its declared size.

    zipfile cuts a member at its declared size (then fails its CRC), but ``read()`` of a whole
    member first inflates everything: a member that lies about its size (1 KB declared, 300 MB
    inside) would sit in memory. Bounded reads never inflate more than was declared.
    """

    def __init__(self, zf: zipfile.ZipFile, member: str):
        self.left = zf.getinfo(member).file_size
        self.fh = zf.open(member)

    def read(self, n: int = -1) -> bytes:
        want = self.left + 1 if n is None or n < 0 else min(n, self.left + 1)
        data = self.fh.read(want)
        self.left -= len(data)
        return data

    def __enter__(self) -> _Bounded:
        return self

    def __exit__(self, *_) -> None:
        self.fh.close()


def xlsx_cell_chunks(zf: zipfile.ZipFile, member: str) -> Iterator[bytes]:
    """A worksheet's XML in pieces that each end between two cells (streamed from the zip)."""
    with _Bounded(zf, member) as fh:
        if fh.left <= _CHUNK:  # the usual case: one piece, one read
            yield fh.read()
            return
        buf = b""
        token = b"<c "
        first = True
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            buf += chunk
            if first:
                m = _SHEET_DATA.search(buf)
                if m and m.group(1):
                    token = b"<" + m.group(1) + b"c "
                first = m is None
            cut = buf.rfind(token)
            if cut > 0:
                yield buf[:cut]
                buf = buf[cut:]
        if buf:
            yield buf


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def xlsx_far_cells(chunks) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The first cell holding a value, formula or string beyond the template limits, and the
    first beyond the limits of other sheets (1-based (row, column)); None when there is none.

    Formatted empty cells do not count: calamine leaves them out of its grid.
    """
    template, other = _Reach(TEMPLATE_LIMITS), _Reach(OTHER_LIMITS)
    for part in chunks:
        for m in _FAR_REF.finditer(part):
            lt = part.rfind(b"<", 0, m.start())
            if m.group(5):  # a far row: its cells may carry no reference of their own
                if lt < 0 or not _ROW_TAG.match(part, lt):
                    continue
                gt = part.find(b">", m.end())
                if gt < 0 or part[gt - 1] == 0x2F:
                    continue
                end = _ROW_END.search(part, gt)
                stop = end.start() if end else len(part)
                if part.find(b' r="', gt, stop) < 0 and _CONTENT.search(part, gt, stop):
                    template.add(int(m.group(5)), 1)
                    if other.add(int(m.group(5)), 1):
                        return template.far, other.far
                continue
            letters, digits = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if lt < 0 or not _CELL_TAG.match(part, lt):
                continue
            gt = part.find(b">", m.end())
            if gt < 0 or part[gt - 1] == 0x2F:  # "/>": an empty cell
                continue
            end = _CELL_END.search(part, gt)
            body = part[gt + 1 : end.start() if end else len(part)]
            if not _CONTENT.search(body):
                continue
            row, col = int(digits), _col_number(letters)
            template.add(row, col)
            if other.add(row, col):
                return template.far, other.far
    return template.far, other.far


def worksheet_members(zf: zipfile.ZipFile) -> list[str]:
    """The worksheet parts of an xlsx, sorted (verdicts never depend on listing order)."""
    return sorted(
        n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml") and n.count("/") == 2
    )


_REL = re.compile(r"<(?:\w+:)?Relationship\b([^>]*)>")
_SHEET = re.compile(r"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')


def xlsx_sheets(zf: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name as in workbook.xml, still XML-escaped; zip member) in workbook order."""
    names = set(zf.namelist())
    wb_xml = zf.read("xl/workbook.xml").decode("utf-8", "replace")
    rels_xml = (
        zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
        if "xl/_rels/workbook.xml.rels" in names
        else ""
    )
    targets = {}
    for m in _REL.finditer(rels_xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        targets[attrs.get("Id")] = attrs.get("Target", "")
    out = []
    for m in _SHEET.finditer(wb_xml):
        attrs = dict(_ATTR.findall(m.group(1)))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
        target = targets.get(rid, "")
        if not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        if member in names:
            out.append((attrs.get("name", ""), member))
    return out


_T = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_O = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"


def ods_far_cell(zf: zipfile.ZipFile, limits_for) -> tuple[str, int, int] | None:
    """(sheet, row, column) of the first content cell of content.xml beyond its sheet's limits.

    Repeated empty rows and cells (LibreOffice writes them for formatted areas) do not count;
    a repeated cell or row that holds a value counts up to its last copy, as calamine does.
    """
    table, row, col, reach, row_far = "", 0, 0, None, 0
    with _Bounded(zf, "content.xml") as fh:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag
            if event == "start":
                if tag == _T + "table":
                    table, row = el.get(_T + "name", ""), 0
                    reach = _Reach(limits_for(table))
                elif tag == _T + "table-row":
                    col, row_far = 0, 0
                continue
            if tag in (_T + "table-cell", _T + "covered-table-cell"):
                rep = _int(el.get(_T + "number-columns-repeated"))
                if el.get(_O + "value-type") is not None or len(el):
                    row_far = col + rep
                col += rep
                el.clear()
            elif tag == _T + "table-row":
                rep = _int(el.get(_T + "number-rows-repeated"))
                if row_far and reach is not None and reach.add(row + rep, row_far):
                    return (table, *reach.far)
                row += rep
                el.clear()
    return None


def _int(text: str | None) -> int:
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        return 1


# BIFF record types that put a value in a cell (BLANK and MULBLANK are formatting only).
_XLS_VALUE = frozenset({0x0203, 0x00FD, 0x0204, 0x027E, 0x0205, 0x0006, 0x00D6})
_MULRK = 0x00BD


def xls_far_cell(stream: bytes, limits_for) -> tuple[str, int, int] | None:
    """(sheet, row, column) of the first value record beyond its sheet's limits in a BIFF stream.

    Walks the record headers only: a few microseconds per record, no cell is decoded.
    """
    sheets: dict[int, str] = {}  # BOF offset -> sheet name, from BOUNDSHEET records
    pos, n = 0, len(stream)
    name, reach = "", None
    biff8 = len(stream) >= 6 and struct.unpack_from("<H", stream, 4)[0] == 0x0600
    while pos + 4 <= n:
        rtype, size = struct.unpack_from("<HH", stream, pos)
        body = pos + 4
        if rtype == 0x0085 and size >= 8:  # BOUNDSHEET: offset of the sheet's BOF, then its name
            (offset,) = struct.unpack_from("<I", stream, body)
            sheets[offset] = _boundsheet_name(stream[body + 6 : body + size], biff8)
        elif rtype == 0x0809 and pos in sheets:  # BOF of a sheet
            name = sheets[pos]
            reach = _Reach(limits_for(name))
        elif reach is not None and size >= 4 and (rtype in _XLS_VALUE or rtype == _MULRK):
            row, col = struct.unpack_from("<HH", stream, body)
            if rtype == _MULRK and size >= 6:
                (col,) = struct.unpack_from("<H", stream, body + size - 2)
            if reach.add(row + 1, col + 1):
                return (name, *reach.far)
        pos = body + size
    return None


def _boundsheet_name(data: bytes, biff8: bool) -> str:
    if len(data) < 2:
        return ""
    cch, flags = data[0], data[1]
    if not biff8:
        return data[1 : 1 + cch].decode("cp1252", "replace")
    try:
        if flags & 1:
            return data[2 : 2 + 2 * cch].decode("utf-16-le", "replace")
        return data[2 : 2 + cch].decode("latin-1")
    except Exception:
        return ""

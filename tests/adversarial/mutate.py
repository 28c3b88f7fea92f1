"""Mutants of real HTSD-01 workbooks and odd entries of a year folder.

Each ``Mutant`` is one file (or file-system entry) built from a canonical or variant workbook
by one named mutation: byte flips, truncation, zip members removed, renamed, recompressed with
an unknown method or a corrupt deflate stream, XML entity tricks, huge claimed dimensions,
huge and odd values, a wrong extension, or an entry that is not a plain file (FIFO, symlinks,
a folder named like a workbook, a non-UTF-8 name, a file nobody may read). All deterministic
from the seed; ``expect_rows`` is the number of village rows the reader must keep when it is
known (value mutations that leave the layout alone).
"""

from __future__ import annotations

import copy
import gzip
import io
import os
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import variants as V

SECRET_TOKEN = "XXE-BI-MAT-7f3a9c"  # written to a file an external entity points at


@dataclass
class Mutant:
    rel: str  # path inside the year folder (str, or bytes for a non-UTF-8 name)
    base: str  # what it was made from: "xlsx canonical KP001", ...
    mutation: str
    build: Callable[[Path], None]  # writes the entry at the given path
    expect_rows: int | None = None  # village rows the reader must keep, when known
    fs: bool = False  # a file-system oddity (built in place, not a byte mutation)
    noop: bool = False  # the mutation left the bytes as they were (dropped by all_mutants)

    def describe(self) -> str:
        return f"{self.base} + {self.mutation}"


# ---- zip helpers -------------------------------------------------------------------------------


def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i.filename)) for i in zf.infolist()]


def rezip(items: list[tuple[str, bytes]], stored: tuple[str, ...] = ("mimetype",)) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, body in items:
            zi = zipfile.ZipInfo(name, date_time=V.FIXED)
            zi.compress_type = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            zf.writestr(zi, body)
    return out.getvalue()


def edit_member(data: bytes, name: str, fn: Callable[[bytes], bytes]) -> bytes:
    return rezip([(n, fn(b) if n == name else b) for n, b in members(data)])


def _central_entries(data: bytes) -> dict[str, int]:
    """Member name -> offset of its central-directory record."""
    out = {}
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
        out[data[pos + 46 : pos + 46 + nlen].decode("utf-8", "replace")] = pos
        pos = data.find(b"PK\x01\x02", pos + 46 + nlen + elen + clen)
    return out


def patch_header(
    data: bytes,
    name: str,
    method: int | None = None,
    flag_or: int = 0,
    usize: int | None = None,
    crc: int | None = None,
) -> bytes:
    """Rewrite fields of one member in both its local and its central header."""
    b = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        local = zf.getinfo(name).header_offset
    for off, base in ((local, 0), (_central_entries(data)[name], 2)):
        # local: flag@6 method@8 crc@14 csize@18 usize@22; central: each field 2 bytes later
        if flag_or:
            struct.pack_into("<H", b, off + 6 + base, struct.unpack_from("<H", b, off + 6 + base)[0] | flag_or)
        if method is not None:
            struct.pack_into("<H", b, off + 8 + base, method)
        if crc is not None:
            struct.pack_into("<I", b, off + 14 + base, crc)
        if usize is not None:
            struct.pack_into("<I", b, off + 22 + base, usize)
    return bytes(b)


def corrupt_deflate(data: bytes, name: str, rng: random.Random) -> bytes:
    """Flip bytes inside the compressed stream of one member (headers and CRC untouched)."""
    b = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    off = info.header_offset
    nlen, elen = struct.unpack_from("<HH", b, off + 26)
    start = off + 30 + nlen + elen
    for _ in range(max(1, info.compress_size // 50)):
        b[start + rng.randrange(info.compress_size)] ^= 1 << rng.randrange(8)
    return bytes(b)


def _sheet_member(data: bytes, index: int) -> str:
    """The worksheet member of the index-th sheet (0-based) of an openpyxl package."""
    return f"xl/worksheets/sheet{index + 1}.xml"


# ---- XML edits -----------------------------------------------------------------------------


def billion_laughs(xml: bytes, root: bytes, target: bytes) -> bytes:
    """Declare nested entities and use the deepest one in place of ``target`` text."""
    ents = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        ents.append(b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))))
    doctype = b"<!DOCTYPE " + root + b" [" + b"".join(ents) + b"]>"
    xml = _add_doctype(xml, doctype)
    return xml.replace(target, b"&lol9;", 1)


def external_entity(xml: bytes, root: bytes, target: bytes, url: str) -> bytes:
    doctype = b"<!DOCTYPE " + root + b' [<!ENTITY xxe SYSTEM "' + url.encode() + b'">]>'
    return _add_doctype(xml, doctype).replace(target, b"&xxe;", 1)


def _add_doctype(xml: bytes, doctype: bytes) -> bytes:
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + doctype + xml[end:]
    return doctype + xml


def set_cell_xml(xml: bytes, ref: str, cell: str) -> bytes:
    """Replace cell ``ref`` of a sheet XML (it must exist) with raw ``cell`` XML."""
    pat = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    new, n = pat.subn(cell.encode().replace(b"\\", b"\\\\"), xml, count=1)
    if not n:
        raise ValueError(f"no cell {ref}")
    return new


def add_far_cell(xml: bytes, ref: str, value: str = "1") -> bytes:
    row = re.match(r"[A-Z]+(\d+)", ref).group(1)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c></row>'.encode()
    return xml.replace(b"</sheetData>", cell + b"</sheetData>", 1)


def set_dimension(xml: bytes, ref: str) -> bytes:
    new, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="' + ref.encode() + b'"/>', xml, count=1)
    if not n:
        new = xml.replace(b"<sheetData", b'<dimension ref="' + ref.encode() + b'"/><sheetData', 1)
    return new


# ---- the mutants ---------------------------------------------------------------------------


@dataclass
class Base:
    label: str
    fmt: str
    data: bytes
    figures: V.Figures
    villages: int  # village rows of the file


def make_bases(figs: list[V.Figures], workdir: Path, seed: int) -> list[Base]:
    """Canonical files in each format (the report date a real date cell, so date mutations
    have a date to break) and one random variant per format."""
    rng = random.Random(f"bases|{seed}")
    out = []
    for i, f in enumerate(figs[:2]):
        for fmt in ("xlsx", "xls", "ods"):
            variant = V.Variant(frozenset({"date_cell"}), fmt, 0) if i == 0 else V.random_variant(rng, fmt)
            p = V.write_variant(f, variant, workdir / f"base-{f.school_id}-{fmt}.{fmt}")
            out.append(
                Base(
                    f"{fmt} {'canonical' if i == 0 else 'variant ' + variant.describe()} {f.school_id}",
                    fmt,
                    p.read_bytes(),
                    f,
                    len(f.villages),
                )
            )
    return out


def _bytes_mutant(rel: str, base: Base, mutation: str, data: bytes, rows: int | None = None) -> Mutant:
    m = Mutant(rel, base.label, mutation, lambda p, d=data: p.write_bytes(d), rows)
    m.noop = data == base.data
    return m


def _value_mutant(rel: str, base_f: V.Figures, fmt: str, mutation: str, change: Callable, rows: bool = True) -> Mutant:
    """Figures changed by ``change(figures)`` (in place), written by the real writer."""
    f = copy.deepcopy(base_f)
    change(f)

    def build(p: Path, f=f) -> None:
        V.write_variant(f, V.Variant(frozenset(), fmt, 0), p)

    return Mutant(
        rel,
        f"{fmt} canonical {base_f.school_id}",
        mutation,
        build,
        len(f.villages) if rows else None,
    )


def byte_mutants(bases: list[Base], seed: int, n_random: int) -> list[Mutant]:
    out: list[Mutant] = []
    for b in bases:
        rng = random.Random(f"bytes|{seed}|{b.label}")
        stem = re.sub(r"\W+", "-", b.label)[:40]
        size = len(b.data)
        for k in range(n_random):
            flips = rng.choice((1, 4, 16, 64))
            d = bytearray(b.data)
            lo = 512 if b.fmt == "xls" else 0  # xls: hit the BIFF stream, not only the CFB header
            for _ in range(flips):
                d[rng.randrange(lo, size)] ^= 1 << rng.randrange(8)
            out.append(_bytes_mutant(f"bytes/{stem}-flip{k}.{b.fmt}", b, f"{flips} byte flip(s), rng {k}", bytes(d)))
        for frac in (0.02, 0.5, 0.9):
            cut = max(1, int(size * frac))
            out.append(
                _bytes_mutant(
                    f"trunc/{stem}-{int(frac * 100)}.{b.fmt}",
                    b,
                    f"truncated to {cut} of {size} bytes",
                    b.data[:cut],
                )
            )
        out.append(_bytes_mutant(f"trunc/{stem}-noeocd.{b.fmt}", b, "last 22 bytes removed", b.data[:-22]))
        out.append(
            _bytes_mutant(
                f"trunc/{stem}-zero4k.{b.fmt}",
                b,
                "a 4 KB block zeroed",
                b.data[: size // 3] + b"\0" * 4096 + b.data[size // 3 + 4096 :],
            )
        )
        out.append(
            _bytes_mutant(
                f"trunc/{stem}-prefix.{b.fmt}",
                b,
                "1 KB of garbage before the file",
                bytes(rng.randrange(256) for _ in range(1024)) + b.data,
            )
        )
        if b.fmt in ("xlsx", "ods"):
            main = "xl/worksheets/sheet3.xml" if b.fmt == "xlsx" else "content.xml"
            for k in range(max(1, n_random // 2)):

                def flip_xml(x: bytes, key: str = f"xml|{seed}|{b.label}|{k}") -> bytes:
                    r = random.Random(key)
                    d = bytearray(x)
                    for _ in range(r.choice((1, 3, 10))):
                        d[r.randrange(len(d))] = r.choice(b'<>"&/=\x00\xff ?!')
                    return bytes(d)

                out.append(
                    _bytes_mutant(
                        f"xml/{stem}-xmlflip{k}.{b.fmt}",
                        b,
                        f"{main} bytes replaced by XML metacharacters (valid zip, rng {k})",
                        edit_member(b.data, main, flip_xml),
                    )
                )
        if b.fmt == "xls":
            out += _xls_mutants(b, stem)
    return out


def _xls_mutants(b: Base, stem: str) -> list[Mutant]:
    out = []
    d = bytearray(b.data)
    pos = d.find(b"\x00\x02\x0e\x00")  # DIMENSIONS record of the first sheet
    if pos >= 0:
        struct.pack_into("<IIHH", d, pos + 4, 0, 65536, 0, 256)
        out.append(_bytes_mutant(f"dims/{stem}-dims.xls", b, "DIMENSIONS record claims 65536 x 256", bytes(d), None))
    d = bytearray(b.data)
    pos = d.find(b"\x85\x00")  # BOUNDSHEET: point the first sheet far past the end
    if pos >= 0:
        struct.pack_into("<I", d, pos + 4, 0x7FFFFFF0)
        out.append(_bytes_mutant(f"dims/{stem}-boundsheet.xls", b, "BOUNDSHEET offset past the end", bytes(d)))
    return out


def zip_mutants(bases: list[Base], seed: int) -> list[Mutant]:
    out: list[Mutant] = []
    for b in bases:
        if b.fmt not in ("xlsx", "ods"):
            continue
        rng = random.Random(f"zip|{seed}|{b.label}")
        stem = re.sub(r"\W+", "-", b.label)[:40]
        items = members(b.data)
        names = [n for n, _ in items]
        for name in names:
            rest = [(n, x) for n, x in items if n != name]
            out.append(_bytes_mutant(f"zip/{stem}-rm-{_slug(name)}.{b.fmt}", b, f"member {name} removed", rezip(rest)))
        renames = (
            {
                "xl/workbook.xml": "xl/Workbook.xml",
                "xl/worksheets/sheet3.xml": "xl/worksheets/sheet3.XML",
                "xl/sharedStrings.xml": "xl/sharedstrings.xml",
                "[Content_Types].xml": "content_types.xml",
            }
            if b.fmt == "xlsx"
            else {"content.xml": "Content.xml", "mimetype": "mimetype.txt"}
        )
        for old, new in renames.items():
            if old in names:
                out.append(
                    _bytes_mutant(
                        f"zip/{stem}-mv-{_slug(old)}.{b.fmt}",
                        b,
                        f"member {old} renamed {new}",
                        rezip([(new if n == old else n, x) for n, x in items]),
                    )
                )
        main = "xl/worksheets/sheet3.xml" if b.fmt == "xlsx" else "content.xml"
        first = "xl/worksheets/sheet1.xml" if b.fmt == "xlsx" else "content.xml"
        # a second member with the same name (the writer warns; readers pick either)
        dup = io.BytesIO()
        with zipfile.ZipFile(dup, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, x in items:
                zf.writestr(zipfile.ZipInfo(n, V.FIXED), x)
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr(zipfile.ZipInfo(main, V.FIXED), b"<worksheet/>")
        out.append(
            _bytes_mutant(
                f"zip/{stem}-dup.{b.fmt}",
                b,
                f"member {main} twice, the second one empty",
                dup.getvalue(),
            )
        )
        for method, label in (
            (99, "AES (99)"),
            (12, "bzip2 (12)"),
            (14, "LZMA (14)"),
            (93, "zstd (93)"),
            (1, "shrink (1)"),
        ):
            out.append(
                _bytes_mutant(
                    f"zip/{stem}-method{method}.{b.fmt}",
                    b,
                    f"{main} marked compressed with {label}",
                    patch_header(b.data, main, method=method),
                )
            )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-stored-lie.{b.fmt}",
                b,
                f"{main} deflated but marked stored",
                patch_header(b.data, main, method=0),
            )
        )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-encflag.{b.fmt}",
                b,
                f"{main} flagged encrypted (bit 0)",
                patch_header(b.data, main, flag_or=1),
            )
        )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-crc.{b.fmt}",
                b,
                f"{main} with a wrong CRC",
                patch_header(b.data, main, crc=0xDEADBEEF),
            )
        )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-deflate.{b.fmt}",
                b,
                f"{main} deflate stream corrupted",
                corrupt_deflate(b.data, main, rng),
            )
        )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-deflate1.{b.fmt}",
                b,
                f"{first} deflate stream corrupted",
                corrupt_deflate(b.data, first, rng),
            )
        )
        out.append(
            _bytes_mutant(
                f"zip/{stem}-usize.{b.fmt}",
                b,
                f"{main} claims 100 bytes uncompressed",
                patch_header(b.data, main, usize=100),
            )
        )
        if "canonical" in b.label:  # built when written: compressing 300 MB takes a second
            out.append(
                Mutant(
                    f"zip/{stem}-lying-bomb.{b.fmt}",
                    b.label,
                    "300 MB of rows in a member whose headers claim 1 KB (passes the 200 MB check)",
                    lambda p, b=b: p.write_bytes(_lying_bomb(b)),
                )
            )
    return out


def _lying_bomb(b: Base) -> bytes:
    """A sheet member that inflates to ~300 MB while the zip headers say 1 KB."""
    if b.fmt == "xlsx":
        name = "xl/worksheets/sheet3.xml"
        row = b'<row r="%d"><c r="B%d" t="inlineStr"><is><t>Thon</t></is></c><c r="C%d"><v>1</v></c></row>'
        head, body = (
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
            row,
        )
        tail = b"</sheetData></worksheet>"
    else:
        name = "content.xml"
        head = None
    items = members(b.data)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunks = []
    crc = 0

    def feed(piece: bytes) -> None:  # the CRC is right: only the declared size lies
        nonlocal crc
        crc = zlib.crc32(piece, crc)
        chunks.append(comp.compress(piece))

    if head is not None:
        feed(head)
        big = b"".join(body % (r, r, r) for r in range(4, 300))  # ~27 KB: inside deflate's window
        for _ in range(10000):  # 10000 x ~27 KB = ~270 MB (row numbers repeat: still XML)
            feed(big)
        feed(tail)
    else:
        x = dict(items)["content.xml"]
        pre, _, post = x.partition(b"</table:table>")
        cells = (
            b"<table:table-row>"
            + b'<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>' * 50
            + b"</table:table-row>"
        )
        feed(pre)
        big = cells * 6  # ~26 KB: inside deflate's window
        for _ in range(11000):
            feed(big)
        feed(b"</table:table>" + post)

    chunks.append(comp.flush())
    raw = b"".join(chunks)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, x in items:
            if n != name:
                zf.writestr(zipfile.ZipInfo(n, V.FIXED), x)
    data = out.getvalue()
    # append the bomb member by hand: local header + data, then rebuild the central directory
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
    cd_start = min(_central_entries(data).values())
    body = bytearray(data[:cd_start])
    off = len(body)
    nm = name.encode()
    body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(raw), 1024, len(nm), 0) + nm + raw
    cd = bytearray()
    for i in infos:
        pos = _central_entries(data)[i.filename]
        nlen, elen, clen = struct.unpack_from("<HHH", data, pos + 28)
        cd += data[pos : pos + 46 + nlen + elen + clen]
    cd += (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(raw),
            1024,
            len(nm),
            0,
            0,
            0,
            0,
            0,
            off,
        )
        + nm
    )
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(infos) + 1, len(infos) + 1, len(cd), len(body), 0)
    return bytes(body + cd + eocd)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")[:30]


def _member_with(data: bytes, text: bytes) -> str | None:
    """The first zip member holding ``text`` (openpyxl writes inline strings in the sheets,
    LibreOffice and Excel a sharedStrings.xml)."""
    for name, body in members(data):
        if text in body and name.endswith(".xml"):
            return name
    return None


def xml_mutants(bases: list[Base], secret_file: Path) -> list[Mutant]:
    out: list[Mutant] = []
    url = secret_file.resolve().as_uri()
    for b in bases:
        stem = re.sub(r"\W+", "-", b.label)[:40]
        target = b">" + b.figures.school_name.encode() + b"<"
        member = _member_with(b.data, target) if b.fmt in ("xlsx", "ods") else None
        if member is None:
            continue
        root = re.search(rb"<([\w:]+)[\s>]", re.sub(rb"<\?xml[^>]*\?>", b"", dict(members(b.data))[member])).group(1)
        ext = b.fmt
        out.append(
            _bytes_mutant(
                f"xml/{stem}-laughs.{ext}",
                b,
                f"billion laughs in {member} (the school name)",
                edit_member(
                    b.data,
                    member,
                    lambda x, m=root, t=target: billion_laughs(x, m, t).replace(b"&lol9;", b">&lol9;<"),
                ),
            )
        )
        out.append(
            _bytes_mutant(
                f"xml/{stem}-xxe.{ext}",
                b,
                f"external entity {url} as the school name in {member}",
                edit_member(
                    b.data,
                    member,
                    lambda x, m=root, t=target: external_entity(x, m, t, url).replace(b"&xxe;", b">&xxe;<"),
                ),
            )
        )
        out.append(
            _bytes_mutant(
                f"xml/{stem}-xxe-param.{ext}",
                b,
                f"external parameter entity in {member}",
                edit_member(
                    b.data,
                    member,
                    lambda x, m=root: _add_doctype(
                        x,
                        b"<!DOCTYPE " + m + b' [<!ENTITY % ext SYSTEM "' + url.encode() + b'"> %ext;]>',
                    ),
                ),
            )
        )
        if b.fmt == "xlsx":
            out.append(
                _bytes_mutant(
                    f"xml/{stem}-laughs-wb.xlsx",
                    b,
                    "billion laughs declared in workbook.xml",
                    edit_member(b.data, "xl/workbook.xml", lambda x: billion_laughs(x, b"workbook", b"\0")),
                )
            )
            out += _xlsx_cell_mutants(b, stem)
        elif b.fmt == "ods":
            out += _ods_mutants(b, stem)
    return out


def _xlsx_cell_mutants(b: Base, stem: str) -> list[Mutant]:
    """Cells and dimensions of the canonical layout: DiaBan is sheet3, data from row 4."""
    if "canonical" not in b.label:
        return []
    out = []
    rows = b.villages
    dia, info = "xl/worksheets/sheet3.xml", "xl/worksheets/sheet1.xml"
    cases = [
        (dia, "dimension A1:XFD1048576", lambda x: set_dimension(x, "A1:XFD1048576"), rows),
        (dia, "a cell at XFD1048576", lambda x: add_far_cell(x, "XFD1048576"), rows),
        (dia, "a cell at ZZ60000", lambda x: add_far_cell(x, "ZZ60000"), rows),
        (info, "a cell at XFD1048576 in ThongTin", lambda x: add_far_cell(x, "XFD1048576"), rows),
        (
            dia,
            "dimension A1:XFD1048576 and a cell at XFD1048576",
            lambda x: add_far_cell(set_dimension(x, "A1:XFD1048576"), "XFD1048576"),
            rows,
        ),
        (
            dia,
            "a cell reference past the sheet (XFE1048577)",
            lambda x: add_far_cell(x, "XFE1048577"),
            None,
        ),
        (
            dia,
            "C4 = #NUM! cached by a formula",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="e"><f>SQRT(-1)</f><v>#NUM!</v></c>'),
            rows,
        ),
        (
            dia,
            "C4 = #DIV/0! error cell",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="e"><v>#DIV/0!</v></c>'),
            rows,
        ),
        (dia, "C4 = NaN", lambda x: set_cell_xml(x, "C4", '<c r="C4"><v>NaN</v></c>'), rows),
        (
            dia,
            "C4 = 1e309 (inf)",
            lambda x: set_cell_xml(x, "C4", '<c r="C4"><v>1e309</v></c>'),
            rows,
        ),
        (dia, "C4 = 1e308", lambda x: set_cell_xml(x, "C4", '<c r="C4"><v>1e308</v></c>'), rows),
        (dia, "C4 = -0", lambda x: set_cell_xml(x, "C4", '<c r="C4"><v>-0</v></c>'), rows),
        (dia, "C4 number 'abc'", lambda x: set_cell_xml(x, "C4", '<c r="C4"><v>abc</v></c>'), rows),
        (
            dia,
            "C4 shared-string index 999999",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="s"><v>999999</v></c>'),
            rows,
        ),
        (
            dia,
            "C4 shared-string index -1",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="s"><v>-1</v></c>'),
            rows,
        ),
        (
            dia,
            "C4 boolean 2",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="b"><v>2</v></c>'),
            rows,
        ),
        (
            dia,
            "C4 ISO date 'not a date'",
            lambda x: set_cell_xml(x, "C4", '<c r="C4" t="d"><v>not a date</v></c>'),
            rows,
        ),
        (
            dia,
            "C4 formula without cached value",
            lambda x: set_cell_xml(x, "C4", '<c r="C4"><f>1+1</f></c>'),
            rows,
        ),
        (
            info,
            "report date serial 1e308 (date style)",
            lambda x: set_cell_xml(x, "B9", '<c r="B9" s="1"><v>1e308</v></c>'),
            rows,
        ),
        (
            info,
            "report date serial 2958466 (after 9999-12-31, date style)",
            lambda x: set_cell_xml(x, "B9", '<c r="B9" s="1"><v>2958466</v></c>'),
            rows,
        ),
        (
            info,
            "report date serial -5 (date style)",
            lambda x: set_cell_xml(x, "B9", '<c r="B9" s="1"><v>-5</v></c>'),
            rows,
        ),
        (
            info,
            "report date ISO t=d 99999-01-01",
            lambda x: set_cell_xml(x, "B9", '<c r="B9" t="d"><v>99999-01-01T00:00:00</v></c>'),
            rows,
        ),
        (
            info,
            "year cell 1e308",
            lambda x: set_cell_xml(x, "B8", '<c r="B8"><v>1e308</v></c>'),
            rows,
        ),
        (info, "year cell NaN", lambda x: set_cell_xml(x, "B8", '<c r="B8"><v>NaN</v></c>'), rows),
    ]
    cases.append((dia, "60000 village rows (a 25 MB sheet)", _many_rows, 60000))
    for i, (member, label, fn, expect) in enumerate(cases):
        try:
            data = edit_member(b.data, member, fn)
        except ValueError:
            continue
        if 's="1"' in label or "date style" in label:
            data = edit_member(data, "xl/styles.xml", _date_style)
        out.append(_bytes_mutant(f"cells/{stem}-{i:02d}.xlsx", b, label, data, expect))
    return out


def _many_rows(xml: bytes, n: int = 60000) -> bytes:
    """The DiaBan table of the canonical layout (header row 3) with ``n`` village rows."""
    head = xml[: xml.index(b"<sheetData>") + len(b"<sheetData>")]
    header = re.search(rb'<row r="3".*?</row>', xml, re.S).group(0)
    title = re.search(rb'<row r="1".*?</row>', xml, re.S)
    rows = [title.group(0) if title else b"", header]
    for i in range(n):
        r = i + 4
        cells = [
            f'<c r="A{r}"><v>{i + 1}</v></c>',
            f'<c r="B{r}" t="inlineStr"><is><t>Thôn số {i}</t></is></c>',
        ]
        for col, v in zip("CDEFG", (100, 50, 25, 10, 4), strict=True):
            cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
        cells.append(f'<c r="H{r}" t="inlineStr"><is><t>Có</t></is></c>')
        cells += [f'<c r="I{r}"><v>200</v></c>', f'<c r="J{r}"><v>100</v></c>']
        rows.append(f'<row r="{r}">{"".join(cells)}</row>'.encode())
    tail = xml[xml.index(b"</sheetData>") :]
    tail = re.sub(rb"<mergeCells.*?</mergeCells>", b"", tail, flags=re.S)
    return set_dimension(head, f"A1:J{n + 3}") + b"".join(rows) + tail


def _date_style(xml: bytes) -> bytes:
    """Make cell style 1 a date format (numFmtId 14), so serials are read as dates."""
    m = re.search(rb"<cellXfs[^>]*>(.*?)</cellXfs>", xml, re.S)
    if not m:
        return xml
    xfs = re.findall(rb"<xf\b[^>]*/>|<xf\b[^>]*>.*?</xf>", m.group(1), re.S)
    xfs = xfs[:1] + [b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'] + xfs[2:]
    body = b'<cellXfs count="%d">' % len(xfs) + b"".join(xfs) + b"</cellXfs>"
    return xml[: m.start()] + body + xml[m.end() :]


def _ods_mutants(b: Base, stem: str) -> list[Mutant]:
    if "canonical" not in b.label:
        return []
    out = []
    rows = b.villages
    x = dict(members(b.data))["content.xml"]
    cell = b'<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    empty = b"<table:table-cell/>"

    def last_table(extra: bytes) -> Callable[[bytes], bytes]:
        def fn(c: bytes) -> bytes:
            i = c.rfind(b"</table:table>")
            return c[:i] + extra + c[i:]

        return fn

    cases = [
        (
            "a non-empty cell repeated 16384 columns x 1048576 rows",
            last_table(
                b'<table:table-row table:number-rows-repeated="1048576">'
                b'<table:table-cell table:number-columns-repeated="16384"'
                b' office:value-type="string">'
                b"<text:p>x</text:p></table:table-cell></table:table-row>"
            ),
            rows,
        ),
        (
            "a non-empty cell repeated 1000 columns x 60000 rows",
            last_table(
                b'<table:table-row table:number-rows-repeated="60000">'
                b'<table:table-cell table:number-columns-repeated="1000" office:value-type="float"'
                b' office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
            ),
            rows,
        ),
        (
            "trailing empty rows and columns repeated to the sheet's end (as LibreOffice writes)",
            last_table(
                b'<table:table-row table:number-rows-repeated="1048000">'
                b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
            ),
            rows,
        ),
        (
            "number-columns-repeated=4294967295",
            last_table(
                b'<table:table-row><table:table-cell table:number-columns-repeated="4294967295"/>'
                + cell
                + b"</table:table-row>"
            ),
            rows,
        ),
        (
            "number-rows-repeated=-1",
            last_table(b'<table:table-row table:number-rows-repeated="-1">' + cell + b"</table:table-row>"),
            rows,
        ),
        (
            "report date office:date-value 2024-13-45",
            lambda c: re.sub(rb'office:date-value="[^"]*"', b'office:date-value="2024-13-45"', c, count=1),
            rows,
        ),
        (
            "a float cell office:value=1e308",
            lambda c: c.replace(b'office:value="', b'office:value="1e308" x="', 1),
            rows,
        ),
        (
            "a float cell office:value=NaN",
            lambda c: c.replace(b'office:value="', b'office:value="NaN" x="', 1),
            rows,
        ),
    ]
    _ = empty
    for i, (label, fn, expect) in enumerate(cases):
        new = fn(x)
        data = rezip([(n, new if n == "content.xml" else d) for n, d in members(b.data)])
        out.append(_bytes_mutant(f"cells/{stem}-ods{i:02d}.ods", b, label, data, expect))
    return out


def value_mutants(fig: V.Figures) -> list[Mutant]:
    """Huge and odd values written by the real writers (the layout stays canonical)."""
    out: list[Mutant] = []

    def v0(key, value):
        def change(f, key=key, value=value):
            f.villages[0][key] = value

        return change

    cases = [
        ("households_total = 1e23", v0("households_total", 1e23)),
        ("households_total = 1e308", v0("households_total", 1e308)),
        ("households_total = 2**63", v0("households_total", 2**63)),
        ("households_total = 12345678 (10 million+)", v0("households_total", 12_345_678)),
        ("workers_total = 99999999999", v0("workers_total", 99_999_999_999)),
        ("households_total = '1e23' as text", v0("households_total", "1e23")),
        ("households_total = '9' * 400 as text", v0("households_total", "9" * 400)),
        (
            "households_total = '1.234.567.890.123.456.789' as text",
            v0("households_total", "1.234.567.890.123.456.789"),
        ),
        ("households_total = -0.0", v0("households_total", -0.0)),
        ("village name of 32767 characters", v0("village", "Thôn " + "ạ" * 32762)),
        (
            "village name '=HYPERLINK(\"http://x\")' (CSV injection)",
            v0("village", '=HYPERLINK("http://x","bấm")'),
        ),
        (
            "village name with RTL override and zero-width characters",
            v0("village", "Thôn \u202eA\u200b\u200dB"),
        ),
        ("village name with a tab and a carriage return", v0("village", "Thôn\tA\rB")),
    ]

    def school_name(f):
        f.school_name = "Trường " + "Rất Dài " * 5000

    def commune_long(f):
        f.commune = "xã " + "Ia " * 20000

    cases += [
        ("school name of 40000 characters", school_name),
        ("commune name of 60000 characters", commune_long),
    ]
    for i, (label, change) in enumerate(cases):
        for fmt in ("xlsx", "xls", "ods"):
            if fmt == "xls" and ("32767" in label or "40000" in label or "60000" in label):
                continue  # xlwt cannot write strings this long
            out.append(_value_mutant(f"values/{fig.school_id}-{i:02d}.{fmt}", fig, fmt, label, change))
    return out


def extension_mutants(bases: list[Base], fig: V.Figures) -> list[Mutant]:
    by_fmt = {b.fmt: b for b in bases if "canonical" in b.label}
    out = []
    pairs = (
        ("xlsx", "xls"),
        ("xls", "xlsx"),
        ("ods", "xlsx"),
        ("xlsx", "ods"),
        ("xls", "ods"),
        ("xlsx", "XLSX"),
        ("xlsx", "xlsm"),
        ("ods", "xls"),
    )
    for src, ext in pairs:
        b = by_fmt[src]
        out.append(
            _bytes_mutant(
                f"ext/{fig.school_id}-{src}-as.{ext}",
                b,
                f"{src} content named .{ext}",
                b.data,
                b.villages if ext.lower() in (src, "xlsm") or (src, ext) == ("xlsx", "XLSX") else None,
            )
        )
    b = by_fmt["xlsx"]
    csv_text = "Tên trường,Xã\nTrường Mầm non Hoa Sen,Phú Túc\n".encode()
    html = (
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>Tên trường</td><td>"
        + fig.school_name
        + "</td></tr></table></body></html>"
    ).encode()
    odd = [
        ("csv.xlsx", "CSV text named .xlsx", csv_text),
        ("web-export.xls", "HTML table named .xls (a web 'Excel' export)", html),
        ("scan.xlsx", "PDF named .xlsx", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        (
            "notes.xlsx",
            "a zip holding only a text file, named .xlsx",
            rezip([("notes.txt", "ghi chú".encode())]),
        ),
        ("gz.xlsx", "gzip of a workbook named .xlsx", gzip.compress(b.data, mtime=0)),
        (
            "utf16.xls",
            "UTF-16 tab-separated text named .xls",
            "Tên trường\tXã\r\n".encode("utf-16"),
        ),
        (
            "ole-empty.xls",
            "an OLE header and nothing else",
            bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504,
        ),
        ("zip-empty.xlsx", "an empty zip archive", rezip([])),
        ("one-byte.xlsx", "a single byte", b"P"),
    ]
    for name, label, data in odd:
        out.append(_bytes_mutant(f"ext/{name}", b, label, data))
    return out


def fs_mutants(good: Path, outside: Path) -> list[Mutant]:
    """Entries that are not plain workbooks; ``good`` is a readable workbook, ``outside`` a folder
    outside the workspace."""
    data = good.read_bytes()
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / "ngoai-nam.xlsx"
    target.write_bytes(data)

    def fifo(p: Path) -> None:
        os.mkfifo(p)

    def link(to) -> Callable[[Path], None]:
        return lambda p: os.symlink(to(p) if callable(to) else to, p)

    def folder_like(p: Path) -> None:
        p.mkdir()
        (p / "ben-trong.xlsx").write_bytes(data)

    def empty_folder(p: Path) -> None:
        p.mkdir()

    def noperm(p: Path) -> None:
        p.write_bytes(data)
        p.chmod(0)

    def noperm_dir(p: Path) -> None:
        p.mkdir()
        (p / "an.xlsx").write_bytes(data)
        p.chmod(0)

    def sparse(size: int) -> Callable[[Path], None]:
        def build(p: Path) -> None:
            with p.open("wb") as fh:
                fh.truncate(size)

        return build

    def loop_pair(p: Path) -> None:
        os.symlink(p.with_name("vong-b.xlsx").name, p)
        os.symlink(p.name, p.with_name("vong-b.xlsx"))

    out = [
        Mutant("fs/ong-dan.xlsx", "fifo", "a FIFO named .xlsx (a read blocks forever)", fifo, fs=True),
        Mutant(
            "fs/gay.xlsx",
            "symlink",
            "a broken symlink",
            link("/nonexistent/khong-co.xlsx"),
            fs=True,
        ),
        Mutant("fs/vong.xlsx", "symlink", "a symlink to itself (loop)", link(lambda p: p.name), fs=True),
        Mutant("fs/vong-a.xlsx", "symlink", "two symlinks pointing at each other", loop_pair, fs=True),
        Mutant(
            "fs/ra-ngoai.xlsx",
            "symlink",
            f"a symlink to a workbook outside the year folder ({target})",
            link(str(target)),
            fs=True,
        ),
        Mutant(
            "fs/thu-muc-ngoai",
            "symlink",
            f"a symlink to a folder outside the year folder ({outside})",
            link(str(outside)),
            fs=True,
        ),
        Mutant("fs/zero.xlsx", "symlink", "a symlink to /dev/zero", link("/dev/zero"), fs=True),
        Mutant(
            "fs/thu-muc.xlsx",
            "folder",
            "a folder named like a workbook, holding a workbook",
            folder_like,
            fs=True,
        ),
        Mutant("fs/rong.xlsx", "folder", "an empty folder named like a workbook", empty_folder, fs=True),
        Mutant(
            b"fs/bao-cao-\xff\xfe.xlsx",
            "name",
            "a non-UTF-8 file name (bytes ff fe)",
            lambda p: p.write_bytes(data),
            fs=True,
        ),
        Mutant(
            "fs/bao\ncao.xlsx",
            "name",
            "a newline in the file name",
            lambda p: p.write_bytes(data),
            fs=True,
        ),
        Mutant(
            "fs/=HYPERLINK(1).xlsx",
            "name",
            "a file name starting with '='",
            lambda p: p.write_bytes(data),
            fs=True,
        ),
        Mutant(
            "fs/" + "d" * 245 + ".xlsx",
            "name",
            "a 250-byte file name",
            lambda p: p.write_bytes(data),
            fs=True,
        ),
        Mutant("fs/trong.xlsx", "empty", "an empty file", lambda p: p.write_bytes(b""), fs=True),
        Mutant("fs/khoa.xlsx", "perm", "a file with permissions 000", noperm, fs=True),
        Mutant(
            "fs/khoa-dir",
            "perm",
            "a folder with permissions 000 holding a workbook",
            noperm_dir,
            fs=True,
        ),
        Mutant(
            "fs/phim.mp4",
            "sparse",
            "a 1 GB sparse file of an ignored type",
            sparse(1 << 30),
            fs=True,
        ),
        Mutant("fs/lon.xlsx", "sparse", "a 64 MB sparse file named .xlsx", sparse(64 << 20), fs=True),
    ]
    return out


def all_mutants(
    figs: list[V.Figures],
    workdir: Path,
    seed: int,
    n_random: int = 6,
    secret_file: Path | None = None,
    libreoffice: bool = True,
) -> list[Mutant]:
    """Every byte, zip, XML, value and extension mutant (not the file-system ones); with
    ``libreoffice`` (and soffice installed) also those of a LibreOffice-written base."""
    workdir.mkdir(parents=True, exist_ok=True)
    bases = make_bases(figs, workdir, seed)
    lo = (
        V.libreoffice_convert([workdir / f"base-{figs[0].school_id}-xlsx.xlsx"], "xlsx", workdir / "lo")
        if libreoffice
        else []
    )
    for p in lo:  # a package with sharedStrings.xml and LibreOffice's own layout
        out_lo = Base(
            f"xlsx canonical via LibreOffice {figs[0].school_id}",
            "xlsx",
            p.read_bytes(),
            figs[0],
            len(figs[0].villages),
        )
        bases.append(out_lo)
    secret_file = secret_file or workdir / "secret.txt"
    secret_file.write_text(SECRET_TOKEN + "\n", encoding="utf-8")
    out = byte_mutants(bases, seed, n_random)
    out += zip_mutants(bases, seed)
    out += xml_mutants(bases, secret_file)
    out += value_mutants(figs[0])
    out += extension_mutants(bases, figs[0])
    return [m for m in out if not m.noop]


# ---- real files from other programs, grafted onto the template's sheet names ----------------


def graft(data: bytes, suffix: str) -> bytes | None:
    """A real spreadsheet whose first two sheets are renamed DiaBan and ThongTin, so the reader
    parses its cells (header search, values) instead of stopping at "sheet missing". None when
    the format or the names do not allow it (xls: only names of 6 or 8 characters, in place)."""
    suffix = suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):

            def wb(x: bytes) -> bytes:
                names = iter((b"DiaBan", b"ThongTin"))
                return re.sub(
                    rb'(<(?:\w+:)?sheet\b[^>]*?\bname=")[^"]*(")',
                    lambda m: m.group(1) + next(names, b"Extra") + m.group(2),
                    x,
                    count=2,
                )

            return edit_member(data, "xl/workbook.xml", wb)
        if suffix == ".ods":

            def content(x: bytes) -> bytes:
                names = iter((b"DiaBan", b"ThongTin"))
                return re.sub(
                    rb'(<table:table\b[^>]*?\btable:name=")[^"]*(")',
                    lambda m: m.group(1) + next(names, b"Extra") + m.group(2),
                    x,
                    count=2,
                )

            return edit_member(data, "content.xml", content)
        if suffix == ".xls":
            b = bytearray(data)
            done = 0
            pos = b.find(b"\x85\x00")
            while pos >= 0 and done < 2:
                size = struct.unpack_from("<H", b, pos + 2)[0]
                if 8 <= size < 300 and pos + 4 + size <= len(b):
                    cch, flags = b[pos + 10], b[pos + 11]
                    new = {6: "DiaBan", 8: "ThongTin"}.get(cch)
                    if new and size == 8 + cch * (2 if flags & 1 else 1):
                        raw = new.encode("utf-16-le" if flags & 1 else "latin-1")
                        b[pos + 12 : pos + 12 + len(raw)] = raw
                        done += 1
                pos = b.find(b"\x85\x00", pos + 2)
            return bytes(b) if done else None
    except (zipfile.BadZipFile, KeyError, ValueError, struct.error, OSError):
        return None
    return None

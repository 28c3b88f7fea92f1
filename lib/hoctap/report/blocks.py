"""The document model: what a report says, apart from how a file lays it out.

Sections of a report build these blocks from their report data; the HTML, PDF, Excel (and a
Word) renderer each take a ``Document``. Everything a renderer needs is decided here: heading
levels, paragraph roles, table header rows, column alignment, numbers already formatted as
Vietnamese text (and, for spreadsheets, the unformatted value with its number format),
figures as image bytes with their caption, and page hints (break before, keep with next).

A document travels from the notebook that builds it to the step that publishes it as JSON
(``to_data`` / ``from_data``), inside the executed notebook's output.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass

import pandas as pd

from hoctap import fmt
from hoctap.fmt import DASH, is_missing

LEFT, RIGHT, CENTER = "left", "right", "center"


@dataclass
class Heading:
    """A section title: level 1 "I. ...", level 2 "1. ...", level 3 below that."""

    text: str
    level: int = 1
    role: str = "body"  # "body" | "appendix-title" (centred, capitals)
    page_break_before: bool = False
    keep_with_next: bool = True


@dataclass
class Paragraph:
    """Body text. Roles: body (justified, first-line indent), no-indent, note, synthetic (the
    boxed sample-data warning), appendix-sub (centred italic line under the appendix title),
    placeholder (the analyst's text still to be written: shown highlighted, easy to find),
    draft (the "DỰ THẢO" mark of page 1)."""

    text: str
    role: str = "body"
    keep_with_next: bool = False


@dataclass
class DashList:
    """Items in the Vietnamese manner, each printed after "- " (punctuation already in the text)."""

    items: list[str]


@dataclass
class Cell:
    """One table cell: ``text`` as printed; ``value`` and ``number_format`` for spreadsheets.

    ``align``/``nowrap`` of None take the column's. ``italic`` marks a figure behind its target,
    ``bold`` one that is met; ``mono`` a code-like value (a hash).
    """

    text: str
    value: object = None
    number_format: str | None = None
    align: str | None = None
    nowrap: bool | None = None
    italic: bool = False
    bold: bool = False
    mono: bool = False
    colspan: int = 1
    rowspan: int = 1


@dataclass
class Column:
    """A table column: its header, how its cells align, its width (characters) and number format."""

    header: str
    align: str = LEFT
    nowrap: bool = False
    width: float | None = None
    number_format: str | None = None


@dataclass
class Table:
    """A table with its caption (above) and note (below).

    ``style`` names the kind of table: "data", "wide" (many columns, small type), with "prov"
    (provenance, smallest type) or "series" (tight columns) added. ``keep_together`` asks for
    the whole table on one page; ``name`` is the sheet name when a spreadsheet holds it.
    """

    columns: list[Column]
    rows: list[list[Cell]]
    caption: str | None = None
    note: str | None = None
    header_rows: list[list[Cell]] | None = None
    style: str = "data"
    keep_together: bool = False
    repeat_header: bool = True
    empty_text: str = "Không có"
    name: str | None = None

    def headers(self) -> list[list[Cell]]:
        """The header rows: given, or one row of the columns' headers."""
        if self.header_rows is not None:
            return self.header_rows
        return [[Cell(c.header, align=CENTER) for c in self.columns]]

    def cell_align(self, j: int, cell: Cell) -> str:
        return cell.align or self.columns[j].align

    def cell_nowrap(self, j: int, cell: Cell) -> bool:
        return self.columns[j].nowrap if cell.nowrap is None else cell.nowrap


@dataclass
class Figure:
    """A chart: image bytes (or a path), its caption, and its width as a share of the text width."""

    image: bytes = b""
    mime: str = "image/png"
    caption: str = ""
    alt: str = ""
    width: float = 1.0
    path: str | None = None


@dataclass
class DocumentHeader:
    """The two-column heading of page 1, then the document type and its summary line."""

    parent: list[str]
    issuer: str
    number: str
    place_date: str
    doc_type: str
    summary: str
    nation: str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto: str = "Độc lập - Tự do - Hạnh phúc"


@dataclass
class Closing:
    """ "Nơi nhận:" and its list on the left, the signature block on the right; kept on the page
    of the paragraph before it."""

    recipients: list[str]
    sign_titles: list[str]
    signer: str
    recipients_head: str = "Nơi nhận:"
    keep_with_previous: bool = True


Block = Heading | Paragraph | DashList | Table | Figure | DocumentHeader | Closing


@dataclass
class Section:
    """A run of blocks that belong together (one part of the report)."""

    blocks: list = field(default_factory=list)
    name: str = ""

    def __iter__(self) -> Iterator:
        return iter(self.blocks)


@dataclass
class Document:
    """A whole report. ``kind`` is "document" (what is signed and published) or "annex" (the
    technical annex the analyst keeps); ``draft`` marks a document whose narrative placeholders
    are unfilled (printed "DỰ THẢO" on its first page); ``synthetic`` one built from the shipped
    sample; ``index_href`` the relative link back to the reports' index; ``meta`` the facts an
    index lists (issuer, number, issue date as ISO text, title)."""

    title: str
    sections: list[Section] = field(default_factory=list)
    lang: str = "vi"
    kind: str = "document"
    draft: bool = False
    synthetic: bool = False
    index_href: str | None = None
    meta: dict = field(default_factory=dict)

    def blocks(self) -> Iterator:
        for section in self.sections:
            yield from section.blocks

    def tables(self) -> list[Table]:
        return [b for b in self.blocks() if isinstance(b, Table)]

    def text(self) -> str:
        """Every word of the document, in order (for tests and search)."""
        return "\n".join(_words(b) for b in self.blocks())


def _words(b) -> str:
    if isinstance(b, Heading | Paragraph):
        return b.text
    if isinstance(b, DashList):
        return "\n".join(f"- {i}" for i in b.items)
    if isinstance(b, Table):
        rows = [*b.headers(), *b.rows]
        body = "\n".join(" | ".join(c.text for c in r) for r in rows)
        return "\n".join(x for x in (b.caption, body, b.note) if x)
    if isinstance(b, Figure):
        return b.caption
    if isinstance(b, DocumentHeader):
        return "\n".join([*b.parent, b.issuer, b.nation, b.motto, b.number, b.place_date, b.doc_type, b.summary])
    if isinstance(b, Closing):
        return "\n".join([b.recipients_head, *b.recipients, *b.sign_titles, b.signer])
    return ""


# ---- building tables from data frames -------------------------------------------------------

Formatter = Callable[[object], str]
CellStyle = Callable[[pd.Series], Mapping | None]


def text_of(value) -> str:
    return DASH if is_missing(value) else str(value)


def frame_table(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]] | Mapping[str, str],
    formats: Mapping[str, Formatter] | None = None,
    numeric: Iterable[str] = (),
    number_rows: bool = True,
    cell_style: Mapping[str, CellStyle] | None = None,
    **table: object,
) -> Table:
    """A table of ``df``: ``columns`` maps column -> Vietnamese header.

    ``formats`` turn a value into its text; ``numeric`` columns align right and do not wrap;
    ``number_rows`` adds the "TT" column; ``cell_style[col](row)`` gives Cell attributes
    (``italic``, ``align``...) for one cell. Other keywords go to ``Table``.
    """
    formats = formats or {}
    cell_style = cell_style or {}
    cols = list(columns.items()) if isinstance(columns, Mapping) else list(columns)
    numeric = set(numeric)
    head = [Column(h, RIGHT, True) if c in numeric else Column(h) for c, h in cols]
    if number_rows:
        head.insert(0, Column("TT", CENTER, True))
    rows = []
    for i, (_, row) in enumerate(df.iterrows(), start=1):
        cells = [Cell(str(i))] if number_rows else []
        for col, _ in cols:
            value = row.get(col)
            text = formats[col](value) if col in formats else text_of(value)
            extra = cell_style[col](row) if col in cell_style else None
            cells.append(Cell(text, **(extra or {})))
        rows.append(cells)
    return Table(head, rows, **table)


def datum(value, number_format: str | None = None) -> Cell:
    """A spreadsheet cell: the value itself (missing: empty), its number format, and a text."""
    if is_missing(value):
        return Cell("")
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return Cell(_plain(value), value=value, number_format=number_format)


def _plain(value) -> str:
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int | float):
        whole = float(value).is_integer()
        return fmt.number(value, decimals=0 if whole else 1)
    if isinstance(value, dt.datetime | dt.date):
        return fmt.date_vn(value)
    return str(value)


# ---- JSON -------------------------------------------------------------------------------------

_TYPES = {
    cls.__name__: cls
    for cls in (
        Heading,
        Paragraph,
        DashList,
        Cell,
        Column,
        Table,
        Figure,
        DocumentHeader,
        Closing,
        Section,
        Document,
    )
}


def to_data(obj):
    """A JSON-ready copy: dataclasses as {"type": name, ...}, bytes as base64, dates as ISO."""
    if is_dataclass(obj) and not isinstance(obj, type):
        out = {"type": type(obj).__name__}
        for f in fields(obj):
            out[f.name] = to_data(getattr(obj, f.name))
        return out
    if isinstance(obj, bytes):
        return {"base64": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, dt.datetime):
        return {"datetime": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {"date": obj.isoformat()}
    if isinstance(obj, list | tuple):
        return [to_data(x) for x in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_data(v) for k, v in obj.items()}
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def from_data(data):
    """The inverse of ``to_data``."""
    if isinstance(data, list):
        return [from_data(x) for x in data]
    if not isinstance(data, Mapping):
        return data
    if set(data) == {"base64"}:
        return base64.b64decode(data["base64"])
    if set(data) == {"datetime"}:
        return dt.datetime.fromisoformat(data["datetime"])
    if set(data) == {"date"}:
        return dt.date.fromisoformat(data["date"])
    kind = data.get("type")
    if kind in _TYPES:
        cls = _TYPES[kind]
        names = {f.name for f in fields(cls)}
        return cls(**{k: from_data(v) for k, v in data.items() if k in names})
    return {k: from_data(v) for k, v in data.items()}


def kept_table(*args, **kwargs) -> Table:
    """``frame_table`` kept whole on one page with its caption and note (a short table)."""
    return frame_table(*args, keep_together=True, **kwargs)

"""The last pass over a document's words: Vietnamese quotes and spaces that must not break.

Labels, settings and messages come with straight quotes from CSV and TOML files that offices
edit; the printed document uses “...”. A number and its unit, and "Bảng 2", "Biểu đồ 1",
"Phụ lục 1", stay on one line.
"""

from __future__ import annotations

import re
from dataclasses import is_dataclass

from hoctap.report.blocks import Cell, DashList, Document, DocumentHeader, Heading, Paragraph, Table

NBSP = "\u00a0"
_QUOTED = re.compile(r'"([^"\n]*)"')
_KEEP = re.compile(r"\b(Bảng|Biểu đồ|Phụ lục|điểm) (?=[\d%])")
_UNIT = re.compile(r"(\d) (%|điểm)")


def words(text: str | None) -> str | None:
    """“Quotes” for pairs of straight quotes; no line break inside "Bảng 2" or "3,2 điểm"."""
    if not text:
        return text
    text = _QUOTED.sub(r"“\1”", text)
    text = _KEEP.sub(lambda m: m.group(1).replace(" ", NBSP) + NBSP, text)
    return _UNIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text)


def _cell(c: Cell) -> None:
    c.text = words(c.text)


def document(doc: Document) -> Document:
    """Apply ``words`` to every text of the document, in place; returns it."""
    for b in doc.blocks():
        if isinstance(b, Heading | Paragraph):
            b.text = words(b.text)
        elif isinstance(b, DashList):
            b.items = [words(i) for i in b.items]
        elif isinstance(b, Table):
            b.caption, b.note = words(b.caption), words(b.note)
            for row in [*(b.header_rows or []), *b.rows]:
                for c in row:
                    _cell(c)
            for col in b.columns:
                col.header = words(col.header)
        elif isinstance(b, DocumentHeader):
            b.summary = words(b.summary)
        elif is_dataclass(b) and hasattr(b, "caption"):
            b.caption = words(b.caption)
    return doc


__all__ = ["NBSP", "document", "words"]

"""A problem located in a workbook, and Excel cell addresses: shared by every reading step."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dfield


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


def col_letter(index: int) -> str:
    """0-based column index to Excel letters."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def col_index(letters: str) -> int:
    """Excel letters to a 0-based column index."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1

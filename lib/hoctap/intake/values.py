"""Cell value parsers: each returns a value, ``None`` (missing) or a typed ``Problem``; never raises.

The rules are those of submission-template.md, "Value rules". A parser never guesses silently:
a percentage or a fraction in a count cell is a problem, not a converted number; so are NaN, an
infinity and a count too large to be real (it would also overflow the Int64 tables downstream).
A problem's ``detail`` is Vietnamese: it is shown to the school inside the message.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from hoctap import programme
from hoctap.intake.schema import ORG_TYPES, SCHOOL_LEVELS
from hoctap.text import clean_text, fold


@dataclass(frozen=True)
class Problem:
    """Why a cell could not be read; ``code`` is a rule code of resources/rules.csv."""

    code: str
    detail: str = ""


class FormulaNoValue:
    """Placeholder for a formula cell saved without its cached value (workbook.py sets it)."""

    __slots__ = ("formula",)

    def __init__(self, formula: str = ""):
        self.formula = formula

    def __repr__(self) -> str:  # shown in issues.csv
        return f"={self.formula}" if self.formula else "=?"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FormulaNoValue) and other.formula == self.formula

    def __hash__(self) -> int:
        return hash(("FormulaNoValue", self.formula))

    def __reduce__(self):
        return (FormulaNoValue, (self.formula,))

    def problem(self) -> Problem:
        return Problem("formula_no_cache")


# Excel's error values (and LibreOffice's "Err:NNN"), with what each means to a school.
ERROR_MEANINGS = {
    "#DIV/0!": "chia cho 0",
    "#N/A": "công thức không tìm thấy giá trị cần tra",
    "#VALUE!": "công thức dùng một giá trị sai kiểu, ví dụ chữ thay cho số",
    "#REF!": "công thức trỏ tới ô đã bị xóa",
    "#NAME?": "công thức có tên hàm hoặc tên vùng không nhận ra",
    "#NUM!": "phép tính không ra số hợp lệ",
    "#NULL!": "hai vùng ô trong công thức không giao nhau",
    "#SPILL!": "kết quả công thức bị chặn bởi ô khác",
    "#CALC!": "công thức không tính được",
    "#GETTING_DATA": "công thức chưa lấy xong dữ liệu",
}
_LO_ERROR = re.compile(r"^Err:\d{3}$")


class CellError:
    """Placeholder for a cell holding a spreadsheet error value (#DIV/0!, #N/A...).

    calamine reads such a cell as empty, so prepare.py finds it in the file and workbook.py
    puts this in the grid: an error must never pass for a missing figure.
    """

    __slots__ = ("value", "formula")

    def __init__(self, value: str = "", formula: str = ""):
        self.value = value
        self.formula = formula

    @classmethod
    def from_text(cls, text: str) -> CellError | None:
        """The error a text cell shows ("#DIV/0!" typed or exported as text), else None."""
        shown = clean_text(text).upper()
        if shown in ERROR_MEANINGS or _LO_ERROR.match(clean_text(text)):
            return cls(clean_text(text))
        return None

    def __str__(self) -> str:  # shown in issues.csv
        return self.value or "#?"

    def __repr__(self) -> str:
        return f"CellError({self.value!r}, {self.formula!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellError) and (other.value, other.formula) == (
            self.value,
            self.formula,
        )

    def __hash__(self) -> int:
        return hash(("CellError", self.value, self.formula))

    def __reduce__(self):
        return (CellError, (self.value, self.formula))

    def problem(self) -> Problem:
        meaning = ERROR_MEANINGS.get(self.value.upper(), "")
        if not meaning and _LO_ERROR.match(self.value):
            meaning = "lỗi tính toán của LibreOffice"
        meaning = meaning or "lỗi của bảng tính"
        shown = self.formula if self.formula.upper() != self.value.upper() else ""
        return Problem("cell_error", f"={shown}: {meaning}" if shown else meaning)


def _unread(value: object) -> Problem | None:
    """The problem of a cell that holds no value to parse: a formula never computed, an error
    value (a placeholder, or the same text as an export shows it); None for any other cell."""
    if isinstance(value, (FormulaNoValue, CellError)):
        return value.problem()
    if isinstance(value, str) and ("#" in value or "Err:" in value):
        error = CellError.from_text(value)
        return error.problem() if error is not None else None
    return None


# No village, school or organization has ten million households, people or members: a larger
# count is a typing slip (extra digits, a phone or ID number pasted in), never a figure.
MAX_COUNT = 10_000_000
_NAN_DETAIL = "ô chứa giá trị lỗi của bảng tính, không phải số"
_UNREADABLE = "không đọc được giá trị của ô"


def _blank(value: object) -> bool:
    """Empty cell: missing. NaN is not blank: it is a spreadsheet error value (a problem)."""
    if value is None:
        return True
    return isinstance(value, str) and not value.strip() and not value.replace("\u200b", "").strip()


def _nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _too_large(n: int) -> Problem:
    return Problem("count_too_large", f"lớn hơn {MAX_COUNT:,}".replace(",", "."))


_ZERO_WORDS = {"-", "–", "—", "--", "không", "không có", "khong", "khong co", "0"}
_NUM_UNIT = re.compile(r"^([+-]?\s*[0-9][0-9.,\s]*)\s*([^\W\d_][^\d]*)?$")
_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")
_PLAIN = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d*[.,]\d+$")


def _count_from_number(x: float | int) -> int | Problem:
    if isinstance(x, float):
        if math.isnan(x):
            return Problem("bad_count", _NAN_DETAIL)
        if math.isinf(x):
            return Problem("bad_count", "giá trị vô cực, không phải số")
        if not x.is_integer():
            if 0 < x < 1:
                return Problem("percent_in_count", "là số thập phân nhỏ hơn 1")
            if x < 0:
                return Problem("negative_count")
            return Problem("bad_count", "số có phần thập phân")
        if x > MAX_COUNT:
            return _too_large(x)
        x = int(x)
    if x < 0:
        return Problem("negative_count")
    if x > MAX_COUNT:
        return _too_large(x)
    return int(x)


def parse_count(value: object) -> int | None | Problem:
    """A whole number >= 0; empty is missing (None), dashes and "không" are 0."""
    try:
        if (unread := _unread(value)) is not None:
            return unread
        if _blank(value):
            return None
        if isinstance(value, bool):
            return Problem("bad_count", "giá trị đúng/sai")
        if isinstance(value, (int, float)):
            return _count_from_number(value)
        if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta)):
            return Problem("bad_count", "ngày tháng")
        text = clean_text(value).lower()
        if text in _ZERO_WORDS:
            return 0
        if "%" in text:
            return Problem("percent_in_count", "có dấu phần trăm")
        m = _NUM_UNIT.match(text)
        if not m:
            return Problem("bad_count", "không phải số")
        num = m.group(1).replace(" ", "")
        negative = num.startswith("-")
        num = num.lstrip("+-")
        if _PLAIN.match(num):
            n = int(num)
        elif _GROUPED.match(num) and len({c for c in num if c in ".,"}) == 1:
            n = int(num.replace(".", "").replace(",", ""))
        elif _DECIMAL.match(num):
            x = float(num.replace(",", "."))
            if x.is_integer():
                n = int(x)
            else:
                return _count_from_number(-x if negative else x)
        else:
            return Problem("bad_count", "không phải số")
        if negative and n != 0:
            return Problem("negative_count")
        return _too_large(n) if n > MAX_COUNT else n
    except Exception:  # a parser must never stop a run
        return Problem("bad_count", _UNREADABLE)


_YES = {"co", "dat", "x", "1", "yes", "true", "10"}
_NO = {"khong", "chuadat", "chua", "0", "no", "false", "00"}
_TICKS = {"✓", "✔", "☑", "✅"}


_YESNO_CACHE: dict[str, bool | Problem] = {}


def _yesno_text(value: str) -> bool | Problem:
    text = clean_text(value)
    if text in _TICKS:
        return True
    key = fold(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    return Problem("bad_yesno")


def parse_yesno(value: object) -> bool | None | Problem:
    """Có/Đạt/x/1/✓/yes/true or Không/Chưa đạt/Chưa/0/no/false; empty is missing."""
    try:
        if (unread := _unread(value)) is not None:
            return unread
        if _blank(value):
            return None
        if isinstance(value, bool):
            return value
        if _nan(value):
            return Problem("bad_yesno")
        if isinstance(value, (int, float)):
            if value == 1:
                return True
            if value == 0:
                return False
            return Problem("bad_yesno")
        if not isinstance(value, str):
            return Problem("bad_yesno")
        hit = _YESNO_CACHE.get(value)
        if hit is None:
            hit = _yesno_text(value)
            if len(_YESNO_CACHE) < 10_000:
                _YESNO_CACHE[value] = hit
        return hit
    except Exception:
        return Problem("bad_yesno", _UNREADABLE)


_DMY = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t].*)?$")
_LONG = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_NO_DATE = "không nhận ra ngày, tháng, năm"


def _checked_date(y: int, m: int, d: int) -> dt.date | Problem:
    try:
        out = dt.date(y, m, d)
    except ValueError:
        return Problem("bad_date", "ngày không tồn tại")
    if not 2000 <= out.year <= 2100:
        return Problem("bad_date", "năm phải từ 2000 đến 2100")
    return out


def parse_date(value: object) -> dt.date | None | Problem:
    """dd/mm/yyyy text (also "ngày 5 tháng 12 năm 2024"), an Excel date or serial number."""
    try:
        if (unread := _unread(value)) is not None:
            return unread
        if _blank(value):
            return None
        if isinstance(value, bool):
            return Problem("bad_date", "giá trị đúng/sai")
        if isinstance(value, dt.datetime):
            return _checked_date(value.year, value.month, value.day)
        if isinstance(value, dt.date):
            return _checked_date(value.year, value.month, value.day)
        if isinstance(value, int):
            if not 20000 <= value <= 80000:
                return Problem("bad_date", "số này không phải một ngày")
            return _EXCEL_EPOCH + dt.timedelta(days=value)
        if isinstance(value, float):
            if not math.isfinite(value):
                return Problem("bad_date", _NAN_DETAIL)
            if not 20000 <= value <= 80000:
                return Problem("bad_date", "số này không phải một ngày")
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        if not isinstance(value, str):
            return Problem("bad_date", _NO_DATE)
        text = clean_text(value)
        m = _DMY.match(text)
        if m:
            return _checked_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _YMD.match(text.lower())
        if m:
            return _checked_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _LONG.search(fold_spaced(text))
        if m:
            return _checked_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return Problem("bad_date", _NO_DATE)
    except Exception:
        return Problem("bad_date", _UNREADABLE)


def fold_spaced(text: str) -> str:
    """Folded text that keeps word boundaries (fold() removes spaces)."""
    return " ".join(fold(word) for word in clean_text(text).split(" "))


def parse_year(value: object) -> int | None | Problem:
    """A report year 2021-2030 (also "Năm 2024")."""
    try:
        if (unread := _unread(value)) is not None:
            return unread
        if _blank(value):
            return None
        if isinstance(value, bool):
            return Problem("bad_year")
        if isinstance(value, (dt.date, dt.datetime)):
            year = value.year
        elif isinstance(value, int):
            year = value
        elif isinstance(value, float):
            if not (math.isfinite(value) and value.is_integer()):
                return Problem("bad_year")
            year = int(value)
        elif isinstance(value, str):
            found = re.findall(r"(?<!\d)(\d{4})(?!\d)", clean_text(value))
            if len(found) != 1:
                return Problem("bad_year")
            year = int(found[0])
        else:
            return Problem("bad_year")
        if not programme.in_programme(year):
            return Problem("bad_year", f"ngoài {programme.PERIOD}")
        return year
    except Exception:
        return Problem("bad_year", _UNREADABLE)


def parse_text(value: object) -> str | None | Problem:
    """Trimmed, collapsed, NFC text; a whole float such as 12.0 (a code typed as a number) is "12"."""
    try:
        if (unread := _unread(value)) is not None:
            return unread
        if _blank(value):
            return None
        if isinstance(value, bool):
            return "Có" if value else "Không"
        if _nan(value):
            return Problem("bad_text", _NAN_DETAIL)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return clean_text(value) or None
    except Exception:
        return Problem("bad_text", _UNREADABLE)


def _choice(value: object, choices: tuple[str, ...], code: str) -> str | None | Problem:
    text = parse_text(value)
    if text is None or isinstance(text, Problem):
        return text
    key = fold(text)
    for choice in choices:
        if fold(choice) == key:
            return choice
    return Problem(code)


_LEVEL_ALIASES = {
    "mamnon": "Mầm non",
    "mn": "Mầm non",
    "tieuhoc": "Tiểu học",
    "th": "Tiểu học",
    "trunghoccoso": "THCS",
    "trunghocphothong": "THPT",
    "thvathcs": "TH&THCS",
    "tieuhocvatrunghoccoso": "TH&THCS",
    "gdnngdtx": "GDNN-GDTX",
}


def parse_level(value: object) -> str | None | Problem:
    """One of the school levels of the spec (abbreviations accepted)."""
    try:
        out = _choice(value, SCHOOL_LEVELS, "bad_level")
        if isinstance(out, Problem) and out.code == "bad_level":
            return _LEVEL_ALIASES.get(fold(parse_text(value) or ""), out)
        return out
    except Exception:
        return Problem("bad_level", _UNREADABLE)


def parse_org_type(value: object) -> str | None | Problem:
    try:
        return _choice(value, ORG_TYPES, "bad_org_type")
    except Exception:
        return Problem("bad_org_type", _UNREADABLE)


PARSERS = {
    "count": parse_count,
    "yesno": parse_yesno,
    "date": parse_date,
    "year": parse_year,
    "text": parse_text,
    "level": parse_level,
    "org_type": parse_org_type,
}


def parse(kind: str, value: object):
    """Dispatch on a schema field kind; unknown kinds are read as text."""
    return PARSERS.get(kind, parse_text)(value)

"""Vietnamese formatting of numbers, percentages and dates for reports and tables.

Thousands dot, decimal comma (12.345; 69,4%), dates dd/mm/yyyy in tables and
"ngày 10 tháng 12 năm 2026" in prose. Missing values (None, NaN, pd.NA, NaT) print "—".

Babel (``format_decimal`` with locale ``vi``) supplies the separators so they follow CLDR, not a
hand-written rule. The rounding is ours: babel rounds half-to-even (0,25 -> "0,2"), while tables
in Vietnamese administrative reports round half-up, and the percentages must also never land
on the wrong side of a target. So we quantize a ``Decimal`` first (half-up, from the float's
shortest repr, so 0.15 is 0,2 and not 0,1 from binary noise) and let babel only lay it out.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

DASH = "—"
LOCALE = "vi"
MAX_DECIMALS = 6


def is_missing(x: object) -> bool:
    """None, NaN, pd.NA and NaT: everything a table may hold for "no value"."""
    if x is None:
        return True
    try:
        import pandas as pd

        if x is pd.NA or x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    if isinstance(x, float) and math.isnan(x):
        return True
    try:
        return bool(x != x)  # numpy NaN and friends
    except (TypeError, ValueError):
        return False


def _to_decimal(x: object) -> Decimal:
    if hasattr(x, "item") and not isinstance(x, Decimal):  # numpy scalar
        x = x.item()
    if isinstance(x, Decimal):
        return x
    if isinstance(x, int):
        return Decimal(x)
    return Decimal(repr(float(x)))


def _quantize(value: Decimal, decimals: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    q = value.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)
    return q + 0 if q == 0 else q  # drop a negative zero ("-0,0")


def _layout(value: Decimal, decimals: int) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)


def number(x: object, decimals: int = 0) -> str:
    """12345 -> "12.345"; 1234.5 with decimals=1 -> "1.234,5"; missing -> "—"."""
    if is_missing(x):
        return DASH
    return _layout(_quantize(_to_decimal(x), decimals), decimals)


def pct(rate: object, decimals: int = 1, target: object = None, status: str | None = None) -> str:
    """A rate on the 0-100 scale: 69.4 -> "69,4%"; missing -> "—".

    With a target, decimals are added until the printed figure sits on the same side of the
    target as the true rate: 69.96 against 70 prints "69,96%", never "70,0%" (which would
    contradict "Chưa đạt"). ``status`` is accepted so callers can pass the row as is; the side
    is decided by the true rate, which is what the status was computed from. If even
    MAX_DECIMALS digits are not enough, the last digit is rounded toward the true side.
    """
    if is_missing(rate):
        return DASH
    value = _to_decimal(rate)
    if is_missing(target):
        return _layout(_quantize(value, decimals), decimals) + "%"
    tgt = _to_decimal(target)
    below = value < tgt
    for places in range(decimals, MAX_DECIMALS + 1):
        shown = _quantize(value, places)
        if (shown < tgt) == below:
            return _layout(shown, places) + "%"
    shown = _quantize(value, MAX_DECIMALS, ROUND_FLOOR if below else ROUND_CEILING)
    return _layout(shown, MAX_DECIMALS) + "%"


def pp(delta: object, decimals: int = 1) -> str:
    """A change in percentage points with its sign: 3.21 -> "+3,2 điểm %", -0.5 -> "-0,5 điểm %".

    A change that rounds to zero prints "0,0 điểm %" without a sign.
    """
    if is_missing(delta):
        return DASH
    shown = _quantize(_to_decimal(delta), decimals)
    sign = "+" if shown > 0 else ""
    return f"{sign}{_layout(shown, decimals)} điểm %"


def _as_date(d: object) -> dt.date | None:
    if is_missing(d):
        return None
    if isinstance(d, str):
        d = d.strip()
        if not d:
            return None
        return dt.date.fromisoformat(d[:10])
    if hasattr(d, "to_pydatetime"):  # pandas Timestamp
        d = d.to_pydatetime()
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    raise TypeError(f"not a date: {d!r}")


def date_vn(d: object) -> str:
    """10 Dec 2026 -> "10/12/2026" (tables); missing -> "—"."""
    day = _as_date(d)
    if day is None:
        return DASH
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def date_words(d: object) -> str:
    """10 Dec 2026 -> "ngày 10 tháng 12 năm 2026" (prose, the place-and-date line).

    Days below 10 and the months 1 and 2 take a leading zero ("ngày 05 tháng 01 năm 2026"), as
    Nghị định 30/2020/NĐ-CP (Phụ lục I) requires for administrative documents.
    """
    day = _as_date(d)
    if day is None:
        return DASH
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def to_date(value: object) -> dt.date | None:
    """A date given as a notebook parameter or a CSV cell ("2025-06-30", a date, blank -> None)."""
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])

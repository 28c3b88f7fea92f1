"""Vietnamese words for the exploration's numbers and indicators, shared by the coverage flags'
notes, the tables, the figures and the reading, so that a rate prints the same everywhere.

Every helper prints "—" for a missing value instead of failing: a commune without a denominator
is a row to show, not an error.
"""

from __future__ import annotations

import math

from hoctap import fmt
from hoctap.analysis.exploration.statistics import as_float
from hoctap.analysis.indicators import BY_CODE

# What the funnel says of a commune, by band (statistics.funnel_band).
BANDS = {
    "above_998": "cao hơn, vượt giới hạn 99,8%",
    "above_95": "cao hơn, vượt giới hạn 95%",
    "within": "trong giới hạn dao động ngẫu nhiên",
    "below_95": "thấp hơn, vượt giới hạn 95%",
    "below_998": "thấp hơn, vượt giới hạn 99,8%",
}


def indicator_style(code: str) -> dict:
    """Label, short label, colour, hatch, marker and units of an indicator, from INDICATORS."""
    if code not in BY_CODE:
        raise KeyError(f"chỉ tiêu không có trong danh mục: {code}")
    i = BY_CODE[code]
    return {
        "code": code,
        "label": i.label,
        "short_label": i.short_label,
        "colour": i.colour,
        "hatch": i.hatch,
        "marker": i.marker,
        "units": i.units,
    }


def pct_text(x) -> str:
    """A rate: 69.44 -> "69,4%"."""
    return fmt.pct(x) if not math.isnan(as_float(x)) else "—"


def num_text(x, decimals: int = 0) -> str:
    """A count: 12345 -> "12.345"."""
    return fmt.number(x, decimals) if not math.isnan(as_float(x)) else "—"


def frac_text(x, n) -> str:
    """Numerator over denominator, the counts beside every rate: "3/3"."""
    return f"{num_text(x)}/{num_text(n)}"


def target_text(x) -> str:
    """A target as set in the plan: 80 -> "80%", 62.5 -> "62,5%"."""
    v = as_float(x)
    if math.isnan(v):
        return "—"
    return num_text(v, 0 if v.is_integer() else 1) + "%"


def distance_text(x: float) -> str:
    """A distance in percentage points without sign, for prose that says "tăng"/"giảm"."""
    return f"{fmt.number(abs(x), 1)} điểm %"


def signed_pp_text(x) -> str:
    """A change with its sign: "+3,2 điểm %"."""
    return fmt.pp(x) if not math.isnan(as_float(x)) else "—"


def ci_text(lo, hi) -> str:
    """An interval: "43,9% – 100,0%"."""
    return "—" if math.isnan(as_float(lo)) else f"{pct_text(lo)} – {pct_text(hi)}"

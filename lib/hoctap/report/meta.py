"""What the report modules need from ``hoctap.fmt`` and ``hoctap.analysis.indicators``, in their terms.

Formatting rules live in ``fmt`` and indicator definitions (labels, colours, hatches, markers)
in ``indicators``; this module only adapts them to table cells and prose.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hoctap import fmt
from hoctap.analysis.indicators import INDICATORS
from hoctap.fmt import DASH, is_missing
from hoctap.text import fold

__all__ = [
    "DASH",
    "Meta",
    "date_vn",
    "date_words",
    "decimal",
    "indicator_meta",
    "is_missing",
    "number",
    "pct",
    "pp_words",
    "signed",
    "target_pct",
    "vn_key",
]


def vn_key(name) -> tuple[str, str]:
    """Sort key close to Vietnamese alphabetical order ("Đất Bằng" among the D's, not after Z)."""
    text = "" if is_missing(name) else str(name)
    return (fold(text), text)


def decimal(x, places: int = 1) -> str:
    """12345.67 -> "12.345,7"; missing -> "—"."""
    return fmt.number(x, decimals=places)


def number(x) -> str:
    """A count: whole numbers without decimals; a fractional count (a split by share) with one."""
    if is_missing(x):
        return DASH
    value = float(x)
    return fmt.number(value, decimals=0 if value.is_integer() else 1)


def pct(rate, target=None, status=None) -> str:
    status = None if is_missing(status) or not str(status).strip() else str(status)
    return fmt.pct(rate, target=None if is_missing(target) else target, status=status)


def target_pct(x) -> str:
    """A target such as 70 -> "70%", 62.5 -> "62,5%"."""
    if is_missing(x):
        return DASH
    return number(x) + "%"


def date_vn(d) -> str:
    if not is_missing(d) and hasattr(d, "date") and callable(d.date):
        d = d.date()
    return fmt.date_vn(d)


def date_words(d: dt.date) -> str:
    return fmt.date_words(d)


def signed(x) -> str:
    """Change in points for a table cell under a "(điểm %)" header: +3,2 / -1,5 / 0,0."""
    return DASH if is_missing(x) else fmt.pp(x).removesuffix(" điểm %")


def pp_words(delta) -> str:
    """Change in percentage points as words: "tăng 3,2 điểm %", "giảm 0,5 điểm %"."""
    if is_missing(delta):
        return ""
    delta = float(delta)
    if round(delta, 1) == 0:
        return "không thay đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {decimal(abs(delta), 1)} điểm %"


@dataclass(frozen=True)
class Meta:
    code: str
    label: str
    short_label: str
    colour: str
    hatch: str
    marker: str
    subject: str  # what the numerator counts, for prose: "hộ gia đình đạt danh hiệu ..."


# What each numerator counts, as the report's sentences name it.
SUBJECTS = {
    "family_title_rate": 'hộ gia đình đạt danh hiệu "Gia đình học tập"',
    "clan_title_rate": 'dòng họ đạt danh hiệu "Dòng họ học tập"',
    "community_title_rate": 'thôn, buôn, tổ dân phố đạt danh hiệu "Cộng đồng học tập"',
    "school_unit_title_rate": 'trường học đạt danh hiệu "Đơn vị học tập"',
    "unit_title_rate": 'cơ quan, tổ chức, trường học đạt danh hiệu "Đơn vị học tập"',
    "worker_citizen_rate": 'người lao động trong gia đình, dòng họ, cộng đồng học tập đạt danh hiệu "Công dân học tập"',
    "school_staff_citizen_rate": 'cán bộ, giáo viên, nhân viên của các trường đạt "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
    "unit_staff_citizen_rate": 'cán bộ, công chức, viên chức trong các "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
    "member_policy_rate": "hội viên khuyến học được học tập, quán triệt chủ trương",
    "cadre_clc_it_rate": "cán bộ làm công tác khuyến học tham gia hoạt động trung tâm học tập cộng đồng và được bồi dưỡng công nghệ thông tin",
}


def indicator_meta() -> dict[str, Meta]:
    """Metadata per indicator code, in the order of the plan."""
    return {
        i.code: Meta(
            i.code,
            i.label,
            i.short_label,
            i.colour,
            i.hatch,
            i.marker,
            SUBJECTS.get(i.code, i.label[0].lower() + i.label[1:]),
        )
        for i in INDICATORS
    }

"""Bridges to ``hoctap.fmt`` and ``hoctap.indicators``.

The report uses the shared formatting functions and indicator metadata when they exist; the
fallbacks below follow the same contract (Vietnamese number format, "—" for undefined) so the
report can be built and tested on its own.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

DASH = "—"


def is_missing(x) -> bool:
    if x is None:
        return True
    try:
        import pandas as pd

        if x is pd.NA or x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        return isinstance(x, float) and math.isnan(x)
    except TypeError:
        return False


def vn_key(name) -> tuple[str, str]:
    """Sort key close to Vietnamese alphabetical order ("Đất Bằng" among the D's, not after Z)."""
    from hoctap.text import fold

    text = "" if is_missing(name) else str(name)
    return (fold(text), text)


def decimal(x, places: int = 1) -> str:
    """12345.67 -> "12.345,7"; missing -> "—"."""
    if is_missing(x):
        return DASH
    text = f"{float(x):,.{places}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _fallback_number(x) -> str:
    if is_missing(x):
        return DASH
    value = float(x)
    if value.is_integer():
        return decimal(value, 0)
    return decimal(value, 1)


def _fallback_pct(rate, target=None, status=None) -> str:
    """One decimal, more when rounding would contradict the status (69.96 vs 70 -> "69,96%")."""
    if is_missing(rate):
        return DASH
    rate = float(rate)
    places = 1
    if not is_missing(target):
        target = float(target)
        below = rate < target
        while places < 4:
            shown = round(rate, places)
            if (shown < target) == below:
                break
            places += 1
    return decimal(rate, places) + "%"


def _fallback_date_words(d: dt.date) -> str:
    return f"ngày {d.day} tháng {d.month} năm {d.year}"


def _fallback_date_vn(d) -> str:
    if is_missing(d):
        return DASH
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


try:  # the shared module, when it exists
    from hoctap import fmt as _fmt  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the other engineer's progress
    _fmt = None


def number(x) -> str:
    if is_missing(x):
        return DASH
    if hasattr(x, "item"):  # numpy scalar
        x = x.item()
    if isinstance(x, float) and x.is_integer():
        x = int(x)  # counts read from CSV come back as floats when a column has blanks
    if _fmt is not None and hasattr(_fmt, "number"):
        return _fmt.number(x)
    return _fallback_number(x)


def pct(rate, target=None, status=None) -> str:
    if is_missing(rate):
        return DASH
    if _fmt is not None and hasattr(_fmt, "pct"):
        return _fmt.pct(
            float(rate),
            target=None if is_missing(target) else float(target),
            status=None if is_missing(status) or not str(status).strip() else str(status),
        )
    return _fallback_pct(rate, target, status)


def target_pct(x) -> str:
    """A target such as 70 -> "70%", 62.5 -> "62,5%"."""
    if is_missing(x):
        return DASH
    value = float(x)
    return (decimal(value, 0) if value.is_integer() else decimal(value, 1)) + "%"


def date_vn(d) -> str:
    if is_missing(d):
        return DASH
    if hasattr(d, "date") and callable(d.date):
        d = d.date()
    if _fmt is not None and hasattr(_fmt, "date_vn"):
        return _fmt.date_vn(d)
    return _fallback_date_vn(d)


def date_words(d: dt.date) -> str:
    if _fmt is not None and hasattr(_fmt, "date_words"):
        return _fmt.date_words(d)
    return _fallback_date_words(d)


def pp_words(delta) -> str:
    """Change in percentage points as words: "tăng 3,2 điểm %", "giảm 0,5 điểm %"."""
    if is_missing(delta):
        return ""
    delta = float(delta)
    if round(delta, 1) == 0:
        return "không thay đổi"
    return f"{'tăng' if delta > 0 else 'giảm'} {decimal(abs(delta), 1)} điểm %"


# ---- indicator metadata -------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    code: str
    label: str
    short_label: str
    colour: str
    hatch: str
    marker: str
    subject: str  # what the numerator counts, for prose: "hộ gia đình đạt danh hiệu ..."


# Colour-blind safe palette (Okabe-Ito + greys), hatches and markers for black-and-white print.
_FALLBACK = [
    Meta(
        "family_title_rate",
        'Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập"',
        "Gia đình học tập",
        "#0072B2",
        "///",
        "o",
        'hộ gia đình đạt danh hiệu "Gia đình học tập"',
    ),
    Meta(
        "clan_title_rate",
        'Tỷ lệ dòng họ đạt danh hiệu "Dòng họ học tập"',
        "Dòng họ học tập",
        "#E69F00",
        "\\\\\\",
        "s",
        'dòng họ đạt danh hiệu "Dòng họ học tập"',
    ),
    Meta(
        "community_title_rate",
        'Tỷ lệ thôn, buôn, tổ dân phố đạt danh hiệu "Cộng đồng học tập"',
        "Cộng đồng học tập",
        "#009E73",
        "xxx",
        "^",
        'thôn, buôn, tổ dân phố đạt danh hiệu "Cộng đồng học tập"',
    ),
    Meta(
        "school_unit_title_rate",
        'Tỷ lệ trường học đạt danh hiệu "Đơn vị học tập"',
        "Trường ĐVHT",
        "#CC79A7",
        "...",
        "D",
        'trường học đạt danh hiệu "Đơn vị học tập"',
    ),
    Meta(
        "unit_title_rate",
        'Tỷ lệ cơ quan, tổ chức, trường học, doanh nghiệp đạt danh hiệu "Đơn vị học tập"',
        "Đơn vị học tập",
        "#D55E00",
        "---",
        "v",
        'cơ quan, tổ chức, trường học đạt danh hiệu "Đơn vị học tập"',
    ),
    Meta(
        "worker_citizen_rate",
        'Tỷ lệ người lao động trong GĐHT, DHHT, CĐHT đạt danh hiệu "Công dân học tập"',
        "CDHT (người lao động)",
        "#56B4E9",
        "|||",
        "P",
        'người lao động trong gia đình, dòng họ, cộng đồng học tập đạt danh hiệu "Công dân học tập"',
    ),
    Meta(
        "school_staff_citizen_rate",
        'Tỷ lệ cán bộ, giáo viên, nhân viên trong trường đạt "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
        "CDHT (CB, GV, NV)",
        "#F0E442",
        "+++",
        "X",
        'cán bộ, giáo viên, nhân viên của các trường đạt "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
    ),
    Meta(
        "unit_staff_citizen_rate",
        'Tỷ lệ cán bộ, công chức, viên chức trong "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
        "CDHT (CB, CC, VC)",
        "#7F7F7F",
        "oo",
        "h",
        'cán bộ, công chức, viên chức trong các "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
    ),
    Meta(
        "member_policy_rate",
        "Tỷ lệ hội viên khuyến học được học tập, quán triệt chủ trương",
        "Hội viên quán triệt",
        "#332288",
        "//..",
        "*",
        "hội viên khuyến học được học tập, quán triệt chủ trương",
    ),
    Meta(
        "cadre_clc_it_rate",
        "Tỷ lệ cán bộ làm công tác khuyến học tham gia hoạt động TTHTCĐ và được bồi dưỡng CNTT",
        "Cán bộ KH bồi dưỡng CNTT",
        "#B07AA1",
        "\\\\..",
        "p",
        "cán bộ làm công tác khuyến học tham gia hoạt động trung tâm học tập cộng đồng và được bồi dưỡng công nghệ thông tin",
    ),
]


def _shared_indicators() -> dict[str, object]:
    try:
        from hoctap.indicators import INDICATORS  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - module missing or still being written
        return {}
    items = INDICATORS.values() if isinstance(INDICATORS, dict) else INDICATORS
    out = {}
    for item in items:
        code = item.get("code") if isinstance(item, dict) else getattr(item, "code", None)
        if code:
            out[code] = item
    return out


def _field(item, name: str):
    if item is None:
        return None
    value = item.get(name) if isinstance(item, dict) else getattr(item, name, None)
    return value or None


def indicator_meta() -> dict[str, Meta]:
    """Metadata per indicator code, in the order of the plan; shared values win."""
    shared = _shared_indicators()
    out: dict[str, Meta] = {}
    for fb in _FALLBACK:
        item = shared.get(fb.code)
        out[fb.code] = Meta(
            code=fb.code,
            label=_field(item, "label") or fb.label,
            short_label=_field(item, "short_label") or fb.short_label,
            colour=_field(item, "colour") or _field(item, "color") or fb.colour,
            hatch=_field(item, "hatch") or fb.hatch,
            marker=_field(item, "marker") or fb.marker,
            subject=fb.subject,
        )
    palette = ["#4E79A7", "#F28E2B", "#59A14F", "#E15759"]
    for i, (code, item) in enumerate(shared.items()):
        if code not in out:
            label = _field(item, "label") or code
            out[code] = Meta(
                code,
                label,
                _field(item, "short_label") or label,
                _field(item, "colour") or palette[i % 4],
                _field(item, "hatch") or "//",
                _field(item, "marker") or "o",
                label[0].lower() + label[1:],
            )
    return out

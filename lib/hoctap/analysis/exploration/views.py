"""The Vietnamese tables and sentences notebook 05 shows: headers in Vietnamese, every rate with
its counts, figures formatted the Vietnamese way ("69,4%", "3/3", "+3,2 điểm %").

Each ``table_*`` takes the frame of one comparison and only formats it: no figure is computed
here, so the table and the chart beside it cannot disagree.
"""

from __future__ import annotations

import math

import pandas as pd

from hoctap.analysis.exploration.comparisons import Exploration
from hoctap.analysis.exploration.labels import (
    BANDS,
    ci_text,
    frac_text,
    indicator_style,
    num_text,
    pct_text,
    signed_pp_text,
    target_text,
)
from hoctap.analysis.exploration.statistics import as_float
from hoctap.fmt import date_vn


def _zip(*columns):
    return zip(*columns, strict=False)


def describe(data: Exploration, indicator: str) -> str:
    """What is being explored, in Vietnamese (markdown): indicator, years, geography, sample."""
    st = indicator_style(indicator)
    communes = data.commune_names()
    text = [
        f"**Chỉ tiêu:** {st['label']}.",
        f"**Các năm có số liệu:** {', '.join(str(y) for y in data.years)}; so sánh chính cho năm {data.year}.",
        f"**Địa giới:** {len(communes)} xã, thị trấn có hiệu lực ngày "
        f"{date_vn(data.geography_date)} ({', '.join(sorted(communes.values()))}); số liệu các năm "
        "trước được chuyển sang địa giới này theo bảng thay đổi địa giới (commune_changes.csv).",
    ]
    if data.reference.synthetic:  # one decision, Reference's, for every document and view
        text.append(
            "**Lưu ý:** đây là **dữ liệu giả lập** (bộ số liệu mẫu); tên trường, tên thôn "
            "và mọi con số không phải số liệu thật."
        )
    return "\n\n".join(text)


def flags_message(fl: pd.DataFrame) -> str:
    """One Vietnamese sentence on the coverage flags (markdown), shown above their table."""
    n = int(fl["flag"].sum())
    if not n:
        return (
            "Không có xã, năm nào có tỷ lệ thay đổi mạnh hơn xu hướng chung cùng lúc với độ "
            "bao phủ báo cáo thay đổi nhiều."
        )
    return f"Có **{n}** trường hợp (xã, năm) cần kiểm tra nguồn số liệu trước khi kết luận:"


def table_communes(ct: pd.DataFrame) -> pd.DataFrame:
    """``commune_table`` for reading: counts beside every rate, interval, funnel verdict, gap."""
    return pd.DataFrame(
        {
            "Xã": ct["geo_name"],
            "Đạt/tổng số": [frac_text(a, b) for a, b in _zip(ct["numerator"], ct["denominator"])],
            "Tỷ lệ": [pct_text(x) for x in ct["rate_pct"]],
            "Khoảng tin cậy 95%": [ci_text(a, b) for a, b in _zip(ct["ci_low"], ct["ci_high"])],
            "So với toàn địa bàn": [
                BANDS[b] if not math.isnan(as_float(r)) else "—" for b, r in _zip(ct["band"], ct["rate_pct"])
            ],
            "Chỉ tiêu": [
                f"{target_text(t)} ({int(y)})" if not math.isnan(as_float(t)) else "—"
                for t, y in _zip(ct["target_pct"], ct["target_year"])
            ],
            "Cách chỉ tiêu": [signed_pp_text(x) for x in ct["gap_pp"]],
            "Trường báo cáo/phải báo cáo": [
                frac_text(a, b) for a, b in _zip(ct["schools_reporting"], ct["schools_base"])
            ],
            "Thôn có số liệu/đã biết": [
                frac_text(a, b) for a, b in _zip(ct["villages_reporting"], ct["villages_base"])
            ],
        }
    ).set_index("Xã")


def table_changes(ch: pd.DataFrame) -> pd.DataFrame:
    """Rates by commune and year, each with its change from the year before; "*" marks a change
    larger than chance (95%)."""
    cells = {}
    for r in ch.itertuples():
        text = pct_text(r.rate_pct)
        if not math.isnan(as_float(r.change_pp)):
            change = signed_pp_text(r.change_pp).replace(" điểm %", "")
            text += f" ({change}{'*' if r.beyond_chance else ''})"
        cells.setdefault(r.geo_name, {})[int(r.year)] = text
    out = pd.DataFrame.from_dict(cells, orient="index").sort_index()
    out = out[sorted(out.columns)].fillna("—")  # a commune-year without data reads "—", not NaN
    out.index.name = "Xã"
    out.columns = [f"Năm {c}" for c in out.columns]
    return out


def table_breakdown(bd: pd.DataFrame, group_title: str) -> pd.DataFrame:
    """A breakdown for reading: group, counts, rate, interval."""
    return pd.DataFrame(
        {
            group_title: bd["group"],
            "Đạt/tổng số": [frac_text(a, b) for a, b in _zip(bd["numerator"], bd["denominator"])],
            "Tỷ lệ": [pct_text(x) for x in bd["rate_pct"]],
            "Khoảng tin cậy 95%": [ci_text(a, b) for a, b in _zip(bd["ci_low"], bd["ci_high"])],
        }
    ).set_index(group_title)


def table_registered(rva: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``registered_vs_awarded`` for reading (its first column holds the commune codes)."""
    return pd.DataFrame(
        {
            "Xã": [names.get(c, c) for c in rva.iloc[:, 0]],
            "Tổng số hộ": [num_text(x) for x in rva["households_total"]],
            "Hộ đăng ký": [
                f"{num_text(a)} ({pct_text(b)})" for a, b in _zip(rva["households_registered"], rva["registered_pct"])
            ],
            "Hộ đạt": [
                f"{num_text(a)} ({pct_text(b)})" for a, b in _zip(rva["households_family_title"], rva["awarded_pct"])
            ],
            "Đạt trên số đăng ký": [pct_text(x) for x in rva["awarded_of_registered_pct"]],
            "Hộ đạt vượt số đăng ký": [num_text(x) for x in rva["awarded_unregistered"]],
        }
    ).set_index("Xã")


def table_relationship(rel: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Two indicators per commune with their counts."""
    sx, sy = indicator_style(x)["short_label"], indicator_style(y)["short_label"]
    return pd.DataFrame(
        {
            "Xã": rel["geo_name"],
            sx: [
                f"{pct_text(r)} ({frac_text(a, b)})"
                for r, a, b in _zip(rel["rate_x_pct"], rel["numerator_x"], rel["denominator_x"])
            ],
            sy: [
                f"{pct_text(r)} ({frac_text(a, b)})"
                for r, a, b in _zip(rel["rate_y_pct"], rel["numerator_y"], rel["denominator_y"])
            ],
        }
    ).set_index("Xã")


def table_flags(fl: pd.DataFrame, only_flagged: bool = True) -> pd.DataFrame:
    """Coverage signals for reading: flagged commune-years (or all) with both coverages."""
    d = fl.loc[fl["flag"]] if only_flagged else fl
    return pd.DataFrame(
        {
            "Xã": d["geo_name"],
            "Năm": d["year"].astype(int).astype(str),
            "Tỷ lệ": [pct_text(x) for x in d["rate_pct"]],
            "Thay đổi tỷ lệ": [signed_pp_text(x) for x in d["rate_change_pp"]],
            "Trường báo cáo": [
                f"{pct_text(a)} ({signed_pp_text(b)})"
                for a, b in _zip(d["schools_coverage_pct"], d["schools_coverage_change_pp"])
            ],
            "Thôn có số liệu": [
                f"{pct_text(a)} ({signed_pp_text(b)})"
                for a, b in _zip(d["villages_coverage_pct"], d["villages_coverage_change_pp"])
            ],
            "Ghi chú": d["reason"],
        }
    ).set_index(["Xã", "Năm"])

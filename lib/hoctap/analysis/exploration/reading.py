"""A first written reading of the exploration, in Vietnamese, marked as a draft.

It is generated from the same frames as the tables and figures, so that the analyst starts
from what the numbers allow to say (and what chance does not rule out), then replaces it with
their own judgement before it goes into a report.
"""

from __future__ import annotations

import math

import pandas as pd

from hoctap.analysis.exploration.labels import (
    BANDS,
    distance_text,
    frac_text,
    indicator_style,
    num_text,
    pct_text,
    target_text,
)
from hoctap.analysis.exploration.statistics import as_float

# Ends every reading: the text is a starting point, not a finding.
DRAFT_NOTE = "*Đoạn này được sinh tự động từ số liệu; người phân tích thay bằng nhận định của mình.*"


def _band_words(band: str) -> str:
    if band == "within":
        return "khoảng cách này nằm trong giới hạn dao động ngẫu nhiên (95%), chưa đủ để nói là khác biệt thật"
    level = "99,8%" if band.endswith("998") else "95%"
    return f"khoảng cách này vượt giới hạn {level} của biểu đồ phễu, khó giải thích bằng ngẫu nhiên"


def draft_reading(ct: pd.DataFrame, changes: pd.DataFrame, flags: pd.DataFrame, indicator: str, year: int) -> str:
    """A short Vietnamese reading of the figures (markdown), for the analyst to replace.

    It names the commune furthest behind and the one furthest ahead with their counts, says
    whether their distance from the area rate is beyond chance, lists the communes outside the
    funnel limits, the changes larger than chance and the changes that coincide with coverage.
    """
    st = indicator_style(indicator)
    data = ct.dropna(subset=["rate_pct"])
    if data.empty:
        return f"Năm {year} chưa có xã nào có số liệu cho chỉ tiêu {st['label']}."
    area = data["area_rate_pct"].iloc[0]
    low, high = data.iloc[0], data.iloc[-1]
    out = [f"**{st['label']}, năm {year}.** Toàn địa bàn đạt {pct_text(area)}."]
    tgt = as_float(low["target_pct"])
    for what, r in (("thấp nhất", low), ("cao nhất", high)):
        gap = r["rate_pct"] - area
        s = (
            f"{what.capitalize()} là **{r['geo_name']}**: {pct_text(r['rate_pct'])} "
            f"({frac_text(r['numerator'], r['denominator'])}, khoảng tin cậy 95% từ "
            f"{pct_text(r['ci_low'])} đến {pct_text(r['ci_high'])}), "
            f"{'thấp' if gap < 0 else 'cao'} hơn toàn địa bàn {distance_text(abs(gap))}; "
            f"{_band_words(r['band'])}."
        )
        if not math.isnan(tgt):
            g = r["gap_pp"]
            s += f" So với chỉ tiêu {target_text(tgt)} (năm {int(r['target_year'])}), " + (
                f"còn thiếu {distance_text(abs(g))}." if g < 0 else f"đã vượt {distance_text(g)}."
            )
        out.append(s)
        if len(data) == 1:
            break
    outside = data.loc[data["band"] != "within"]
    if len(outside):
        out.append(
            "Khác biệt với toàn địa bàn vượt mức ngẫu nhiên: "
            + "; ".join(f"{r.geo_name} ({BANDS[r.band]})" for r in outside.itertuples())
            + "."
        )
    else:
        out.append(
            "Không xã nào khác toàn địa bàn vượt giới hạn 95%: chênh lệch giữa các xã năm "
            "nay có thể chỉ là dao động ngẫu nhiên."
        )
    ch = changes.loc[(changes["year"] == int(year)) & changes["beyond_chance"]]
    if len(ch):
        out.append(
            f"So với năm {int(year) - 1}, thay đổi vượt mức ngẫu nhiên ở: "
            + "; ".join(
                f"{r.geo_name} ({'tăng' if r.change_pp > 0 else 'giảm'} {distance_text(abs(r.change_pp))})"
                for r in ch.itertuples()
            )
            + "."
        )
    fl = flags.loc[(flags["year"] == int(year)) & flags["flag"]]
    if len(fl):
        out.append(
            "Cần kiểm tra trước khi kết luận (tỷ lệ thay đổi cùng lúc với độ bao phủ báo "
            "cáo): " + "; ".join(f"{r.geo_name}" for r in fl.itertuples()) + "."
        )
    low_cov = data.loc[data["schools_coverage_pct"] < 80]
    if len(low_cov):
        out.append(
            "Độ bao phủ dưới 80% số trường phải báo cáo: "
            + "; ".join(
                f"{r.geo_name} ({num_text(r.schools_reporting)}/{num_text(r.schools_base)} trường)"
                for r in low_cov.itertuples()
            )
            + "."
        )
    out.append(DRAFT_NOTE)
    return "\n\n".join(out)

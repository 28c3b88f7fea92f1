"""The indicator tables in Vietnamese for the analyst reading notebook 02."""

from __future__ import annotations

import pandas as pd

from hoctap.analysis.indicators import BY_CODE, CODES


def area_view(table: pd.DataFrame) -> pd.DataFrame:
    """The area rows as a reader checks them: Vietnamese headers, Vietnamese number format."""
    from hoctap import fmt

    area = table[table["geo_level"] == "area"]
    rows = []
    for r in area.itertuples():
        target = "" if pd.isna(r.target_pct) else f"{fmt.number(r.target_pct)}% (năm {int(r.target_year)})"
        rows.append(
            {
                "Chỉ tiêu": BY_CODE[r.indicator].label,
                "Số đạt": fmt.number(r.numerator),
                "Tổng số": fmt.number(r.denominator),
                "Tỷ lệ": fmt.pct(r.rate_pct, target=None if pd.isna(r.target_pct) else r.target_pct),
                "Chỉ tiêu kế hoạch": target,
                "Đánh giá": r.status if isinstance(r.status, str) else "",
                "Trường báo cáo": f"{fmt.number(r.schools_reporting)}/{fmt.number(r.schools_expected)}",
                "Thôn báo cáo": f"{fmt.number(r.villages_reporting)}/{fmt.number(r.villages_known)}",
            }
        )
    return pd.DataFrame(rows)


def commune_view(table: pd.DataFrame) -> pd.DataFrame:
    """Rates of every commune (rows) for every indicator (columns), printed the Vietnamese way."""
    from hoctap import fmt

    com = table[table["geo_level"] == "commune"]
    wide = com.pivot(index="geo_name", columns="indicator", values="rate_pct")
    wide = wide[[c for c in CODES if c in wide.columns]]
    out = wide.apply(lambda col: col.map(fmt.pct))
    out.columns = [BY_CODE[c].short_label for c in wide.columns]
    out.index.name = "Xã, thị trấn"
    return out


def coverage_view(table: pd.DataFrame) -> pd.DataFrame:
    """Who reported, per commune: the figures that say whether a rate can be trusted."""
    from hoctap import fmt

    com = table[table["geo_level"] == "commune"].drop_duplicates("geo_code")
    return pd.DataFrame(
        {
            "Xã, thị trấn": com["geo_name"],
            "Trường báo cáo / dự kiến": [
                f"{fmt.number(a)}/{fmt.number(b)}"
                for a, b in zip(com["schools_reporting"], com["schools_expected"], strict=True)
            ],
            "Tỷ lệ báo cáo": com["reporting_rate_pct"].map(fmt.pct),
            "Tỷ lệ đúng hạn": com["on_time_rate_pct"].map(fmt.pct),
            "Thôn báo cáo / đã biết": [
                f"{fmt.number(a)}/{fmt.number(b)}"
                for a, b in zip(com["villages_reporting"], com["villages_known"], strict=True)
            ],
        }
    ).reset_index(drop=True)

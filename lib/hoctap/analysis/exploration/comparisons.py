"""Communes compared on the indicator table: frames in, frames out.

Communes side by side (counts, intervals, funnel band, gap to target, coverage), their changes
from year to year, two indicators per commune, the coverage-moved flags, and the exploration's
data itself (every year of a range on one commune geography).

The indicator definitions and the geography carrying come from ``hoctap.analysis.indicators``,
``hoctap.analysis.geography`` and ``hoctap.analysis.periods``; this module only compares their results. Every
comparison keeps the counts beside the rate, because a small commune's 100% may be 3 of 3.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd

from hoctap.analysis.exploration.labels import distance_text
from hoctap.analysis.exploration.statistics import (
    beyond_chance,
    counts,
    funnel_band,
    funnel_z,
    gap_to_target,
    percent,
    two_proportion_z,
    wilson_interval,
)
from hoctap.analysis.indicators import governing_target, map_tables, read_year, villages_seen
from hoctap.analysis.periods import default_geography_date, period_table
from hoctap.fmt import to_date
from hoctap.reference import Reference

# The indicators counted over villages: the only ones village coverage and village breakdowns
# concern.
VILLAGE_INDICATORS = {
    "family_title_rate",
    "clan_title_rate",
    "community_title_rate",
    "worker_citizen_rate",
}


def indicator_rows(ind: pd.DataFrame, indicator: str, level: str, year: int | None = None) -> pd.DataFrame:
    """The rows of an indicators.csv-shaped table for one indicator, level and (optionally) year."""
    sel = (ind["indicator"] == indicator) & (ind["geo_level"] == level)
    if year is not None:
        sel &= ind["year"].astype(int) == int(year)
    return ind.loc[sel]


def _zip(a, b):
    return zip(a, b, strict=False)


# ---- communes side by side -----------------------------------------------------------------


def commune_table(ind: pd.DataFrame, indicator: str, year: int, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Communes side by side for one indicator and year, with what makes a rate readable.

    ``ind`` has the columns of ``indicators.csv`` (commune and area rows). Each commune keeps its
    numerator and denominator ("3/3"), its Wilson 95% interval, its position in the funnel around
    the area rate, its gap to the governing target (``targets``: Reference.targets; else the
    table's own target columns) and its coverage. Sorted from the lowest rate up.
    """
    com = indicator_rows(ind, indicator, "commune", year).copy()
    area = indicator_rows(ind, indicator, "area", year)
    if len(area):
        area_rate = percent(area["numerator"].iloc[0], area["denominator"].iloc[0])
    else:  # ratio of sums over the communes shown, never the mean of their rates
        area_rate = percent(com["numerator"].astype("Float64").sum(), com["denominator"].astype("Float64").sum())
    out = pd.DataFrame(
        {
            "geo_code": com["geo_code"].astype(str),
            "geo_name": com["geo_name"].astype(str),
        }
    ).reset_index(drop=True)
    out["numerator"] = counts(com["numerator"])
    out["denominator"] = counts(com["denominator"])
    pairs = list(_zip(out["numerator"], out["denominator"]))
    out["rate_pct"] = [percent(x, n) for x, n in pairs]
    ci = [wilson_interval(x, n) for x, n in pairs]
    out["ci_low"] = [c[0] for c in ci]
    out["ci_high"] = [c[1] for c in ci]
    out["area_rate_pct"] = area_rate
    out["z"] = [funnel_z(x, n, area_rate) for x, n in pairs]
    out["band"] = [funnel_band(z) for z in out["z"]]
    if targets is not None:
        gov = governing_target(targets, indicator, int(year))
        out["target_year"], out["target_pct"] = (float(gov[0]), gov[1]) if gov else (math.nan, math.nan)
    else:
        for c in ("target_year", "target_pct"):
            out[c] = pd.to_numeric(com.get(c), errors="coerce").astype(float).values
    out["gap_pp"] = gap_to_target(out["rate_pct"], out["target_pct"])
    for what in ("schools", "villages"):
        rep = com.get(f"{what}_reporting")
        base = com.get(f"{what}_expected" if what == "schools" else f"{what}_known")
        missing = [pd.NA] * len(com)
        out[f"{what}_reporting"] = counts(rep.values if rep is not None else missing).values
        out[f"{what}_base"] = counts(base.values if base is not None else missing).values
        out[f"{what}_coverage_pct"] = [percent(a, b) for a, b in _zip(out[f"{what}_reporting"], out[f"{what}_base"])]
    return out.sort_values(["rate_pct", "geo_name"], na_position="first").reset_index(drop=True)


def year_changes(ind: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Year-over-year change of each commune's rate, in percentage points, and whether it is
    larger than chance (|z| > 1.96 in a two-proportion test), so noise is not read as progress."""
    com = indicator_rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    com = com.sort_values(["geo_code", "year"])
    rows = []
    for code, g in com.groupby("geo_code", sort=True):
        prev = None
        for r in g.itertuples():
            rate = percent(r.numerator, r.denominator)
            row = {
                "geo_code": code,
                "geo_name": r.geo_name,
                "year": r.year,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "rate_pct": rate,
                "prev_rate_pct": math.nan,
                "change_pp": math.nan,
                "z": math.nan,
                "beyond_chance": False,
            }
            if prev is not None and prev.year == r.year - 1:
                row["prev_rate_pct"] = percent(prev.numerator, prev.denominator)
                row["change_pp"] = rate - row["prev_rate_pct"]
                row["z"] = two_proportion_z(prev.numerator, prev.denominator, r.numerator, r.denominator)
                row["beyond_chance"] = beyond_chance(row["z"])
            rows.append(row)
            prev = r
    out = pd.DataFrame(
        rows,
        columns=[
            "geo_code",
            "geo_name",
            "year",
            "numerator",
            "denominator",
            "rate_pct",
            "prev_rate_pct",
            "change_pp",
            "z",
            "beyond_chance",
        ],
    )
    out["numerator"] = counts(out["numerator"])
    out["denominator"] = counts(out["denominator"])
    return out


def relationship(ind: pd.DataFrame, x: str, y: str, year: int) -> pd.DataFrame:
    """Two indicators per commune in one year (rates with their denominators), for a scatter.

    With a handful of communes a correlation is a hint, never a finding: ``pearson`` on the
    result gives it, the notebook prints the number of communes beside it.
    """
    a = indicator_rows(ind, x, "commune", year)[["geo_code", "geo_name", "numerator", "denominator"]]
    b = indicator_rows(ind, y, "commune", year)[["geo_code", "numerator", "denominator"]]
    m = a.merge(b, on="geo_code", suffixes=("_x", "_y"), how="inner")
    out = pd.DataFrame({"geo_code": m["geo_code"].astype(str), "geo_name": m["geo_name"].astype(str)})
    for s in ("x", "y"):
        out[f"numerator_{s}"] = counts(m[f"numerator_{s}"]).values
        out[f"denominator_{s}"] = counts(m[f"denominator_{s}"]).values
        out[f"rate_{s}_pct"] = [percent(p, q) for p, q in _zip(out[f"numerator_{s}"], out[f"denominator_{s}"])]
    return out.sort_values("geo_name").reset_index(drop=True)


def furthest_behind(ct: pd.DataFrame) -> str | None:
    """The commune with the lowest defined rate in a ``commune_table`` (its geo_code)."""
    data = ct.dropna(subset=["rate_pct"])
    return None if data.empty else str(data.iloc[0]["geo_code"])


def rate_of(ct: pd.DataFrame, code: str | None = None) -> float:
    """The area rate of a ``commune_table``, or one commune's rate (``code``); NaN if absent."""
    if ct.empty:
        return math.nan
    if code is None:
        return float(ct["area_rate_pct"].iloc[0])
    hit = ct.loc[ct["geo_code"] == code, "rate_pct"]
    return float(hit.iloc[0]) if len(hit) else math.nan


def partner_indicator(indicator: str, compare_with: str = "") -> str:
    """The indicator to set against ``indicator`` in the scatter: ``compare_with`` when given,
    else family titles against worker citizens (the plan links the two), or family titles."""
    if compare_with and compare_with != indicator:
        return compare_with
    return "worker_citizen_rate" if indicator == "family_title_rate" else "family_title_rate"


# ---- data-quality signals -----------------------------------------------------------------


def coverage_flags(ind: pd.DataFrame, indicator: str, rate_pp: float = 5.0, coverage_pp: float = 10.0) -> pd.DataFrame:
    """Commune-years whose rate moved, beyond the area's own movement, while coverage moved too.

    ``excess_change_pp`` is the commune's change minus the area's change that year (the area's
    rows of ``ind``; 0 when absent), so a district-wide rise is not suspicious. When it reaches
    ``rate_pp`` points in a year where school coverage (schools reporting / expected) or
    village coverage (villages reporting / known) changed by ``coverage_pp`` points or more,
    the movement may come from who reported rather than from progress: ``flag`` is True and
    ``reason`` says so in Vietnamese. Village coverage counts only for the indicators counted
    over villages; ``coverage_change_pp`` is the larger (in size) of the coverage changes that
    count.
    """
    kinds = ("schools_coverage",)
    if indicator in VILLAGE_INDICATORS:
        kinds += ("villages_coverage",)
    area = indicator_rows(ind, indicator, "area").copy()
    area_rate = {int(r.year): percent(r.numerator, r.denominator) for r in area.itertuples()}
    com = indicator_rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    com = com.sort_values(["geo_code", "year"])
    rows = []
    for code, g in com.groupby("geo_code", sort=True):
        prev = None
        for r in g.itertuples():
            row = {
                "geo_code": code,
                "geo_name": r.geo_name,
                "year": r.year,
                "rate_pct": percent(r.numerator, r.denominator),
                "schools_coverage_pct": percent(r.schools_reporting, r.schools_expected),
                "villages_coverage_pct": percent(r.villages_reporting, r.villages_known),
            }
            follows = prev is not None and prev["year"] == r.year - 1
            for k in ("rate", "schools_coverage", "villages_coverage"):
                row[f"{k}_change_pp"] = row[f"{k}_pct"] - prev[f"{k}_pct"] if follows else math.nan
            area_change = area_rate.get(r.year, math.nan) - area_rate.get(r.year - 1, math.nan)
            row["excess_change_pp"] = row["rate_change_pp"] - (0.0 if math.isnan(area_change) else area_change)
            moved = abs(row["excess_change_pp"]) >= rate_pp
            changes = [(k, row[f"{k}_change_pp"]) for k in kinds if not math.isnan(row[f"{k}_change_pp"])]
            row["coverage_change_pp"] = max(changes, key=lambda kv: abs(kv[1]))[1] if changes else math.nan
            cov = [(k, v) for k, v in changes if abs(v) >= coverage_pp]
            row["flag"] = bool(moved and cov)
            row["reason"] = _flag_reason(row["excess_change_pp"], cov) if row["flag"] else ""
            rows.append(row)
            prev = row
    cols = [
        "geo_code",
        "geo_name",
        "year",
        "rate_pct",
        "rate_change_pp",
        "excess_change_pp",
        "schools_coverage_pct",
        "schools_coverage_change_pp",
        "villages_coverage_pct",
        "villages_coverage_change_pp",
        "coverage_change_pp",
        "flag",
        "reason",
    ]
    return pd.DataFrame(rows, columns=cols)


def _flag_reason(rate_change: float, cov: list[tuple[str, float]]) -> str:
    """The Vietnamese note of a flag: how far the rate moved beyond the area and how coverage
    moved."""
    what = {
        "schools_coverage": "tỷ lệ trường báo cáo",
        "villages_coverage": "tỷ lệ thôn, buôn có số liệu",
    }
    parts = [f"{what[k]} {'tăng' if v > 0 else 'giảm'} {distance_text(abs(v))}" for k, v in cov]
    return (
        f"Tỷ lệ {'tăng' if rate_change > 0 else 'giảm'} {distance_text(abs(rate_change))} "
        "so với xu hướng chung của toàn địa bàn, cùng năm "
        + " và ".join(parts)
        + ": thay đổi có thể do thay đổi nguồn báo cáo, cần kiểm tra."
    )


# ---- the exploration's data: every year on one geography --------------------------------


@dataclass
class Exploration:
    """What the notebook explores: every year of the range on one commune geography.

    ``indicators`` has the columns of indicators.csv for every year with processed tables;
    ``mapped[year]`` the unit tables (schools, villages, orgs) of that year with ``geo_code`` and
    ``weight`` on the same geography (hoctap.analysis.indicators.map_tables), for the breakdowns;
    ``completeness[year]`` that year's completeness.csv (or None).
    """

    reference: Reference
    geography_date: dt.date
    years: list[int]
    indicators: pd.DataFrame
    mapped: dict[int, dict[str, pd.DataFrame]]
    completeness: dict[int, pd.DataFrame | None]

    @property
    def year(self) -> int:
        """The latest year with data: the one the comparisons are about."""
        return self.years[-1]

    def commune_names(self) -> dict[str, str]:
        com = self.indicators.loc[self.indicators["geo_level"] == "commune"]
        return dict(_zip(com["geo_code"].astype(str), com["geo_name"].astype(str)))


def load(ws, year_from: int, year_to: int, geography_date=None) -> Exploration:
    """Every year of ``year_from``..``year_to`` with processed tables, on the communes valid on
    ``geography_date`` (empty: the end of ``year_to`` or today, whichever is earlier).

    The indicator table is hoctap.analysis.periods.period_table (the same figures as a period review);
    the unit tables are mapped with hoctap.analysis.indicators.map_tables for the breakdowns.
    """
    reference = Reference(ws.reference_dir)
    on = to_date(geography_date) or default_geography_date(int(year_to))
    table, years, _missing = period_table(ws, int(year_from), int(year_to), on, reference)
    seen = villages_seen(ws, sorted(y for y in ws.processed_years() if y <= int(year_to)))
    mapped, completeness = {}, {}
    for y in years:
        tables = read_year(ws, y)
        completeness[y] = tables.pop("completeness")
        mapped[y] = map_tables(tables, reference, on, seen)
    return Exploration(reference, on, years, table, mapped, completeness)

"""Period reviews (sơ kết 2021-2025, tổng kết 2021-2030): every year on one geography.

Writes processed/periods/<kind>-<from>-<to>/ with
- indicators.csv: the annual indicators.csv columns for every year of the period with data, all
  carried to one geography (``geography_date`` says which);
- summary.csv: per geography and indicator, first and last year, change, the period's target and
  result, a least-squares projection to 2030 (flagged as a projection, never a result);
- candidates.csv: exemplary communes and schools proposed for commendation, with a reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from hoctap import catalog, programme
from hoctap.analysis import indicators as ind
from hoctap.analysis.ranking import benchmark
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError
from hoctap.fmt import is_missing, number, pct, pp
from hoctap.paths import Workspace
from hoctap.reference import Reference

PERIOD_TARGET_YEAR = programme.REVIEW_TARGET_YEAR
PROJECTION_YEAR = programme.END_YEAR
MIN_SCHOOL_COVERAGE = 0.90
BAD_STATUS = (ind.STATUS_NOT_MET, ind.STATUS_BEHIND)

SUMMARY_COLUMNS = list(catalog.SUMMARY_COLUMNS)
CANDIDATE_COLUMNS = list(catalog.CANDIDATE_COLUMNS)


@dataclass
class PeriodResult:
    kind: str
    year_from: int
    year_to: int
    geography_date: dt.date
    folder: Path
    years: list[int]  # years of the period with processed data
    missing_years: list[int]  # years of the period without processed data
    indicators: pd.DataFrame
    summary: pd.DataFrame
    candidates: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # rows that only the area total could hold

    @property
    def last_year(self) -> int:
        return self.years[-1]


def period_target_year(kind: str, year_to: int) -> int:
    """2025 for a sơ kết, 2030 for a tổng kết; otherwise the period's last year."""
    return PERIOD_TARGET_YEAR.get(kind, year_to)


def default_geography_date(year_to: int, today: dt.date | None = None) -> dt.date:
    """The communes valid at the period's end (31 December), or today if that is earlier."""
    return min(dt.date(year_to, 12, 31), today or dt.date.today())


def projection(years, rates, to_year: int = PROJECTION_YEAR) -> float:
    """Least-squares line through (year, rate) where the rate is defined, at ``to_year``, clipped 0-100.

    NaN with fewer than two years of data: a line through one point says nothing.
    """
    pts = [(int(y), float(r)) for y, r in zip(years, rates, strict=True) if r is not None and not pd.isna(r)]
    if len({y for y, _ in pts}) < 2:
        return math.nan
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    return float(min(100.0, max(0.0, slope * to_year + intercept)))


def period_table(
    ws: Workspace,
    year_from: int,
    year_to: int,
    geography_date: dt.date,
    reference: Reference | None = None,
) -> tuple[pd.DataFrame, list[int], list[int]]:
    """Every year of the period with data, on one geography, with status; plus years with/without data.

    Years from 2021 before the period are read too, only for the straight-line baseline.
    """
    reference = reference or Reference(ws.reference_dir)
    available = set(ws.processed_years())
    seen = ind.villages_seen(ws, sorted(y for y in available if y <= year_to))
    frames, years, missing, notes = [], [], [], []
    for year in range(min(ind.PROGRAMME_START, year_from), year_to + 1):
        tables = ind.read_year(ws, year, required=False) if year in available else None
        if tables is None:
            if year >= year_from:
                missing.append(year)
            continue
        comp = tables.pop("completeness")
        frames.append(ind.aggregate(tables, reference, year, geography_date, comp, seen))
        if year >= year_from:
            years.append(year)
            notes += frames[-1].attrs.get("unplaced", [])
    if not years:
        raise HoctapError(
            f"Chưa có số liệu đã làm sạch của năm nào trong giai đoạn {year_from}-{year_to}: "
            f"hãy chạy `hoctap clean --year Y` cho các năm {year_from}-{year_to} trước."
        )
    table = pd.concat(frames, ignore_index=True)
    history = table[table["year"] < year_from]
    in_period = table[table["year"] >= year_from]
    result = ind._tidy(ind.assess(in_period, reference.targets, history))
    result.attrs["unplaced"] = notes
    return result, years, missing


def summarise(table: pd.DataFrame, targets: pd.DataFrame, kind: str, year_to: int) -> pd.DataFrame:
    """One row per (geography, indicator): first/last year with data, change, result, projection."""
    target_year = period_target_year(kind, year_to)
    rows = []
    for (level, geo, code), g in table.groupby(["geo_level", "geo_code", "indicator"], sort=False):
        g = g.sort_values("year")
        defined = g[g["rate_pct"].notna()]
        t = targets[(targets["indicator"] == code) & (targets["target_year"] == target_year)]
        tp = float(t["target_pct"].iloc[0]) if len(t) else math.nan
        out = {
            "geo_level": level,
            "geo_code": geo,
            "geo_name": g["geo_name"].iloc[0],
            "indicator": code,
            "label": ind.BY_CODE[code].label if code in ind.BY_CODE else code,
            "first_year": pd.NA,
            "first_rate_pct": math.nan,
            "last_year": pd.NA,
            "last_rate_pct": math.nan,
            "change_pp": math.nan,
            "period_target_year": target_year if len(t) else pd.NA,
            "period_target_pct": tp,
            "result_status": None,
            "judged_target_year": pd.NA,
            "judged_target_pct": math.nan,
            "margin_pp": math.nan,
            "projection_year": PROJECTION_YEAR,
            "projection_2030_pct": math.nan,
            "is_projection": True,
            "years_with_data": len(defined),
            "geography_date": g["geography_date"].iloc[0],
        }
        if len(defined):
            first, last = defined.iloc[0], defined.iloc[-1]
            out.update(
                first_year=int(first["year"]),
                first_rate_pct=float(first["rate_pct"]),
                last_year=int(last["year"]),
                last_rate_pct=float(last["rate_pct"]),
                change_pp=float(last["rate_pct"]) - float(first["rate_pct"]),
            )
            # The result is the last year's own status (``ranking`` module: one rule everywhere);
            # the period's target is shown beside it, and judged_* name what was judged against.
            if not is_missing(last["status"]):
                out["result_status"] = str(last["status"])
                out["judged_target_year"] = last["target_year"]
                out["judged_target_pct"] = float(last["target_pct"])
                out["margin_pp"] = float(last["rate_pct"]) - float(benchmark(defined.tail(1)).iloc[0])
            if int(last["year"]) < PROJECTION_YEAR:
                out["projection_2030_pct"] = projection(defined["year"], defined["rate_pct"])
        rows.append(out)
    df = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for col in (
        "first_year",
        "last_year",
        "period_target_year",
        "judged_target_year",
        "years_with_data",
        "projection_year",
    ):
        df[col] = pd.array(df[col].tolist(), dtype="Int64")
    df["result_status"] = pd.array(df["result_status"].tolist(), dtype="string")
    return df


def commune_candidates(
    table: pd.DataFrame,
    targets: pd.DataFrame,
    kind: str,
    year_to: int,
    min_coverage: float = MIN_SCHOOL_COVERAGE,
) -> pd.DataFrame:
    """Communes meeting every target of the period at its last year with data, school coverage >= 90%.

    A target "applies" when targets.csv has one for the period's target year; a commune whose
    rate for it is undefined (no data) cannot show it met it and is not proposed. Ranked by the
    mean margin over target (percentage points), ties by name.
    """
    target_year = period_target_year(kind, year_to)
    applicable = targets[targets["target_year"] == target_year].set_index("indicator")["target_pct"]
    com = table[table["geo_level"] == "commune"]
    if not len(com) or not len(applicable):
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    last_year = int(com.loc[com["rate_pct"].notna(), "year"].max()) if com["rate_pct"].notna().any() else None
    if last_year is None:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    end = com[com["year"] == last_year]
    rows = []
    for geo, g in end.groupby("geo_code", sort=False):
        g = g.set_index("indicator")
        expected = float(g["schools_expected"].iloc[0])
        coverage = float(g["schools_reporting"].iloc[0]) / expected if expected else math.nan
        if not coverage >= min_coverage:
            continue
        margins = {}
        for code, tp in applicable.items():
            r = g["rate_pct"].get(code, math.nan)
            if pd.isna(r) or r < tp:
                break
            margins[code] = float(r) - float(tp)
        else:
            mean_margin = float(np.mean(list(margins.values())))
            rows.append(
                {
                    "candidate_kind": "commune",
                    "code": geo,
                    "name": g["geo_name"].iloc[0],
                    "commune_code": geo,
                    "commune_name": g["geo_name"].iloc[0],
                    "score_pct": mean_margin,
                    "reason": (
                        f"Đạt cả {len(margins)} chỉ tiêu năm {target_year} áp dụng (số liệu năm {last_year}), vượt bình quân "
                        f"{pp(mean_margin).replace('+', '')} so với chỉ tiêu; {number(g['schools_reporting'].iloc[0])}/"
                        f"{number(expected)} trường báo cáo ({pct(100 * coverage)})."
                    ),
                    "geography_date": g["geography_date"].iloc[0],
                }
            )
    df = pd.DataFrame(rows, columns=[c for c in CANDIDATE_COLUMNS if c != "rank"])
    df = df.sort_values(["score_pct", "name"], ascending=[False, True], kind="stable").reset_index(drop=True)
    df.insert(1, "rank", pd.array(range(1, len(df) + 1), dtype="Int64"))
    return df[CANDIDATE_COLUMNS]


def school_candidates(ws: Workspace, years: list[int], reference: Reference, geography_date: dt.date) -> pd.DataFrame:
    """Schools with the "Đơn vị học tập" title (status used) in every year of the period with data.

    Ranked by the staff citizen rate of the last year (Σ staff_citizen / Σ staff_total), then by
    school id; a school without staff figures that year ranks last.
    """
    per_year = []
    for year in years:
        df = ind._used(Catalog(ws).read("schools", year=year))
        titled = df[ind._yes(df["school_unit_title"]).fillna(False).astype(bool)]
        per_year.append(titled.assign(year=year))
    if not per_year:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    ids = set.intersection(*(set(d["school_id"].dropna()) for d in per_year))
    last = per_year[-1]
    last = last[last["school_id"].isin(ids)].drop_duplicates("school_id")
    registry = ind._registry_commune(reference)
    from hoctap.analysis.geography import map_units

    rows = []
    for r in last.itertuples(index=False):
        total, cit = r.staff_total, r.staff_citizen
        score = ind.rate(cit, total) if not (pd.isna(total) or pd.isna(cit)) else math.nan
        placed = map_units(
            pd.DataFrame({"commune_code": [r.commune_code]}),
            reference,
            geography_date,
            hints=[pd.Series([registry.get(r.school_id)])],
        )
        commune = placed["geo_code"].iloc[0] if len(placed) == 1 else None
        names = reference.schools.set_index("school_id")["name"]
        name = names.get(r.school_id, r.school_name)
        rows.append(
            {
                "candidate_kind": "school",
                "code": r.school_id,
                "name": name,
                "commune_code": commune,
                "commune_name": reference.commune_label(commune) if commune else None,
                "score_pct": score,
                "reason": (
                    f'Đạt danh hiệu "Đơn vị học tập" tất cả {len(years)} năm có số liệu ({years[0]}-{years[-1]}); '
                    f'tỷ lệ cán bộ, giáo viên, nhân viên đạt "Công dân học tập" năm {years[-1]}: {pct(score)}'
                    + (f" ({number(cit)}/{number(total)} người)." if not math.isnan(score) else ".")
                ),
                "geography_date": geography_date.isoformat(),
            }
        )
    df = pd.DataFrame(rows, columns=[c for c in CANDIDATE_COLUMNS if c != "rank"])
    df["_missing"] = df["score_pct"].isna()
    df = df.sort_values(["_missing", "score_pct", "code"], ascending=[True, False, True], kind="stable")
    df = df.drop(columns="_missing").reset_index(drop=True)
    df.insert(1, "rank", pd.array(range(1, len(df) + 1), dtype="Int64"))
    return df[CANDIDATE_COLUMNS]


def build_period(
    ws: Workspace, kind: str, year_from: int, year_to: int, geography_date: dt.date | None = None
) -> PeriodResult:
    """Compute and write the period tables; years without processed data are listed, not invented."""
    if year_from > year_to:
        raise HoctapError(f"Giai đoạn không hợp lệ: năm đầu {year_from} sau năm cuối {year_to}.")
    reference = Reference(ws.reference_dir)
    geo = geography_date or default_geography_date(year_to)
    table, years, missing = period_table(ws, year_from, year_to, geo, reference)
    summary = summarise(table, reference.targets, kind, year_to)
    candidates = pd.concat(
        [
            c
            for c in (
                commune_candidates(table, reference.targets, kind, year_to),
                school_candidates(ws, years, reference, geo),
            )
            if len(c)
        ]
        or [pd.DataFrame(columns=CANDIDATE_COLUMNS)],
        ignore_index=True,
    )
    folder = ws.period(kind, year_from, year_to)
    cat, keys = Catalog(ws), {"kind": kind, "year_from": year_from, "year_to": year_to}
    files = [
        cat.write("period_indicators", table, **keys),
        cat.write("period_summary", summary, **keys),
        cat.write("period_candidates", candidates, **keys),
        cat.write("period_notes", "".join(f"{n}\n" for n in table.attrs.get("unplaced", [])), **keys),
    ]
    return PeriodResult(
        kind,
        year_from,
        year_to,
        geo,
        folder,
        years,
        missing,
        table,
        summary,
        candidates,
        files,
        notes=list(table.attrs.get("unplaced", [])),
    )


# ---- helpers for reports and notebooks ----------------------------------------------------


def ranking(table: pd.DataFrame, indicator: str, year: int | None = None) -> pd.DataFrame:
    """Communes by rate for one indicator in ``year`` (default: the last year with data), best first.

    Communes with an undefined rate are left out; equal rates share a rank ("min" method).
    """
    com = table[(table["geo_level"] == "commune") & (table["indicator"] == indicator) & table["rate_pct"].notna()]
    if year is None:
        if not len(com):
            return com.assign(rank=pd.Series([], dtype="Int64"))
        year = int(com["year"].max())
    com = com[com["year"] == year].sort_values(["rate_pct", "geo_name"], ascending=[False, True], kind="stable")
    return com.assign(rank=com["rate_pct"].rank(method="min", ascending=False).astype("Int64")).reset_index(drop=True)


def most_improved(summary: pd.DataFrame, indicator: str, n: int = 5) -> pd.DataFrame:
    """Communes with the largest change in percentage points (at least two years with data)."""
    s = summary[(summary["geo_level"] == "commune") & (summary["indicator"] == indicator)]
    s = s[(s["years_with_data"] >= 2) & s["change_pp"].notna()]
    return (
        s.sort_values(["change_pp", "geo_name"], ascending=[False, True], kind="stable").head(n).reset_index(drop=True)
    )


def behind_target(table: pd.DataFrame, year: int | None = None) -> dict[str, pd.DataFrame]:
    """Per indicator, the communes "Chưa đạt" or "Chậm tiến độ" in ``year`` (default the last), furthest behind first."""
    com = table[table["geo_level"] == "commune"]
    if year is None and len(com):
        year = int(com["year"].max())
    com = com[(com["year"] == year) & com["status"].isin(BAD_STATUS)]
    out = {}
    for code in ind.CODES:
        sub = com[com["indicator"] == code]
        gap = sub["rate_pct"] - sub["trajectory_pct"].where(sub["trajectory_pct"].notna(), sub["target_pct"])
        out[code] = sub.assign(gap_pp=gap).sort_values(["gap_pp", "geo_name"], kind="stable").reset_index(drop=True)
    return out

"""Exploring why communes differ (notebook 05): one function per computation, one per figure.

The indicator definitions, the geography carrying and the indicator colours come from
``hoctap.indicators``, ``hoctap.geography`` and ``hoctap.periods``; this module only compares
their results. Every comparison keeps the counts beside the rate, and says whether a difference
is larger than chance would make it (Wilson intervals, funnel limits), because a small
commune's 100% may be 3 of 3.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

from .fmt import to_date
from .reference import Reference

# Two-sided normal quantiles of the funnel plot's control limits (Spiegelhalter 2005).
Z95 = NormalDist().inv_cdf(0.975)  # 1.95996...
Z998 = NormalDist().inv_cdf(0.999)  # 3.09023...

BANDS = {
    "above_998": "cao hơn, vượt giới hạn 99,8%",
    "above_95": "cao hơn, vượt giới hạn 95%",
    "within": "trong giới hạn dao động ngẫu nhiên",
    "below_95": "thấp hơn, vượt giới hạn 95%",
    "below_998": "thấp hơn, vượt giới hạn 99,8%",
}


def _f(x) -> float:
    """A count or rate as float; missing (None, NA, NaN) as NaN."""
    if x is None or x is pd.NA:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


# ---- chance ------------------------------------------------------------------------------


def wilson_interval(successes, n, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in percent; (NaN, NaN) when n is 0 or missing.

    Wilson rather than the normal interval because it stays inside 0-100% and is honest at
    the edges: 3 of 3 gives 43.9%-100%, not 100%-100%.
    """
    x, n = _f(successes), _f(n)
    if not n or math.isnan(n) or math.isnan(x):
        return (math.nan, math.nan)
    p = x / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half) * 100, min(1.0, centre + half) * 100)


def funnel_limits(area_rate_pct, denominators, z: tuple[float, ...] = (Z95, Z998)) -> pd.DataFrame:
    """Control limits around the area rate for each denominator (normal approximation to the
    binomial), clipped to 0-100%: a commune outside them differs by more than chance."""
    p = _f(area_rate_pct) / 100
    rows = []
    for n in denominators:
        n = _f(n)
        row = {"denominator": n}
        for zz, name in zip(z, ("95", "998"), strict=False):
            se = math.sqrt(p * (1 - p) / n) if n and n > 0 else math.nan
            row[f"lower_{name}"] = max(0.0, p - zz * se) * 100
            row[f"upper_{name}"] = min(1.0, p + zz * se) * 100
        rows.append(row)
    return pd.DataFrame(rows, columns=["denominator", "lower_95", "upper_95", "lower_998", "upper_998"])


def funnel_z(numerator, denominator, area_rate_pct) -> float:
    """How many standard errors (under the area rate) a commune's rate lies from the area rate."""
    x, n, p = _f(numerator), _f(denominator), _f(area_rate_pct) / 100
    if not n or math.isnan(n) or math.isnan(x) or math.isnan(p) or p <= 0 or p >= 1:
        return math.nan
    return (x / n - p) / math.sqrt(p * (1 - p) / n)


def funnel_band(z: float) -> str:
    """The key of ``BANDS`` for a funnel z-score; "within" when it cannot be computed."""
    if z is None or math.isnan(z) or abs(z) <= Z95:
        return "within"
    side = "above" if z > 0 else "below"
    return f"{side}_998" if abs(z) > Z998 else f"{side}_95"


def two_proportion_z(x1, n1, x2, n2) -> float:
    """z of the change between two rates (pooled two-proportion test); NaN when undefined.

    Years share most of the same households, so the test is a rough guide to "larger than
    chance", not an exact probability.
    """
    x1, n1, x2, n2 = map(_f, (x1, n1, x2, n2))
    if not n1 or not n2 or any(math.isnan(v) for v in (x1, n1, x2, n2)):
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    if pooled <= 0 or pooled >= 1:
        return math.nan
    return (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))


# ---- communes side by side -----------------------------------------------------------------


def _rows(ind: pd.DataFrame, indicator: str, level: str, year: int | None = None) -> pd.DataFrame:
    sel = (ind["indicator"] == indicator) & (ind["geo_level"] == level)
    if year is not None:
        sel &= ind["year"].astype(int) == int(year)
    return ind.loc[sel]


def _counts(values) -> pd.Series:
    """Counts as Int64 when whole (the usual case), as Float64 when a split share made fractions."""
    f = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce").astype("Float64")
    whole = f.dropna()
    return f.round().astype("Int64") if bool((whole == whole.round()).all()) else f


def _pct(part, whole) -> float:
    part, whole = _f(part), _f(whole)
    return part / whole * 100 if whole and not math.isnan(whole) and not math.isnan(part) else math.nan


def commune_table(ind: pd.DataFrame, indicator: str, year: int, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """Communes side by side for one indicator and year, with what makes a rate readable.

    ``ind`` has the columns of ``indicators.csv`` (commune and area rows). Each commune keeps its
    numerator and denominator ("3/3"), its Wilson 95% interval, its position in the funnel around
    the area rate, its gap to the governing target (``targets``: Reference.targets; else the
    table's own target columns) and its coverage. Sorted from the lowest rate up.
    """
    com = _rows(ind, indicator, "commune", year).copy()
    area = _rows(ind, indicator, "area", year)
    if len(area):
        area_rate = _pct(area["numerator"].iloc[0], area["denominator"].iloc[0])
    else:  # ratio of sums over the communes shown, never the mean of their rates
        area_rate = _pct(com["numerator"].astype("Float64").sum(), com["denominator"].astype("Float64").sum())
    out = pd.DataFrame({
        "geo_code": com["geo_code"].astype(str),
        "geo_name": com["geo_name"].astype(str),
    }).reset_index(drop=True)
    out["numerator"] = _counts(com["numerator"])
    out["denominator"] = _counts(com["denominator"])
    out["rate_pct"] = [_pct(x, n) for x, n in zip(out["numerator"], out["denominator"], strict=False)]
    ci = [wilson_interval(x, n) for x, n in zip(out["numerator"], out["denominator"], strict=False)]
    out["ci_low"] = [c[0] for c in ci]
    out["ci_high"] = [c[1] for c in ci]
    out["area_rate_pct"] = area_rate
    out["z"] = [funnel_z(x, n, area_rate) for x, n in zip(out["numerator"], out["denominator"], strict=False)]
    out["band"] = [funnel_band(z) for z in out["z"]]
    if targets is not None:
        from .indicators import governing_target

        gov = governing_target(targets, indicator, int(year))
        out["target_year"], out["target_pct"] = (float(gov[0]), gov[1]) if gov else (math.nan, math.nan)
    else:
        out["target_year"] = pd.to_numeric(com.get("target_year"), errors="coerce").astype(float).values
        out["target_pct"] = pd.to_numeric(com.get("target_pct"), errors="coerce").astype(float).values
    out["gap_pp"] = out["rate_pct"] - out["target_pct"]
    for what in ("schools", "villages"):
        rep = com.get(f"{what}_reporting")
        base = com.get(f"{what}_expected" if what == "schools" else f"{what}_known")
        out[f"{what}_reporting"] = _counts(rep.values if rep is not None else [pd.NA] * len(com)).values
        out[f"{what}_base"] = _counts(base.values if base is not None else [pd.NA] * len(com)).values
        out[f"{what}_coverage_pct"] = [_pct(a, b) for a, b in zip(out[f"{what}_reporting"], out[f"{what}_base"], strict=False)]
    return out.sort_values(["rate_pct", "geo_name"], na_position="first").reset_index(drop=True)


def year_changes(ind: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """Year-over-year change of each commune's rate, in percentage points, and whether it is
    larger than chance (|z| > 1.96 in a two-proportion test), so noise is not read as progress."""
    com = _rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    com = com.sort_values(["geo_code", "year"])
    rows = []
    for code, g in com.groupby("geo_code", sort=True):
        prev = None
        for r in g.itertuples():
            rate = _pct(r.numerator, r.denominator)
            row = {"geo_code": code, "geo_name": r.geo_name, "year": r.year,
                   "numerator": r.numerator, "denominator": r.denominator, "rate_pct": rate,
                   "prev_rate_pct": math.nan, "change_pp": math.nan, "z": math.nan, "beyond_chance": False}
            if prev is not None and prev.year == r.year - 1:
                row["prev_rate_pct"] = _pct(prev.numerator, prev.denominator)
                row["change_pp"] = rate - row["prev_rate_pct"]
                row["z"] = two_proportion_z(prev.numerator, prev.denominator, r.numerator, r.denominator)
                row["beyond_chance"] = bool(not math.isnan(row["z"]) and abs(row["z"]) > Z95)
            rows.append(row)
            prev = r
    out = pd.DataFrame(rows, columns=["geo_code", "geo_name", "year", "numerator", "denominator", "rate_pct",
                                      "prev_rate_pct", "change_pp", "z", "beyond_chance"])
    out["numerator"] = _counts(out["numerator"])
    out["denominator"] = _counts(out["denominator"])
    return out


# ---- data-quality signals -----------------------------------------------------------------


def coverage_flags(ind: pd.DataFrame, indicator: str, rate_pp: float = 5.0, coverage_pp: float = 10.0) -> pd.DataFrame:
    """Commune-years whose rate moved, beyond the area's own movement, while coverage moved too.

    ``excess_change_pp`` is the commune's change minus the area's change that year (the area's
    rows of ``ind``; 0 when absent), so a district-wide rise is not suspicious. When it reaches
    ``rate_pp`` points in a year where school coverage (schools reporting / expected) or
    village coverage (villages reporting / known) changed by ``coverage_pp`` points or more,
    the movement may come from who reported rather than from progress: ``flag`` is True and
    ``reason`` says so in Vietnamese. Village coverage counts only for the indicators counted
    over villages; ``coverage_change_pp`` is the larger (in size) of the coverage changes that count.
    """
    # Village coverage only matters to the indicators counted over villages.
    kinds = ("schools_coverage", "villages_coverage") if indicator in VILLAGE_INDICATORS else ("schools_coverage",)
    area = _rows(ind, indicator, "area").copy()
    area_rate = {int(r.year): _pct(r.numerator, r.denominator) for r in area.itertuples()}
    com = _rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    com = com.sort_values(["geo_code", "year"])
    rows = []
    for code, g in com.groupby("geo_code", sort=True):
        prev = None
        for r in g.itertuples():
            row = {
                "geo_code": code, "geo_name": r.geo_name, "year": r.year,
                "rate_pct": _pct(r.numerator, r.denominator),
                "schools_coverage_pct": _pct(r.schools_reporting, r.schools_expected),
                "villages_coverage_pct": _pct(r.villages_reporting, r.villages_known),
            }
            for k in ("rate", "schools_coverage", "villages_coverage"):
                row[f"{k}_change_pp"] = (row[f"{k}_pct"] - prev[f"{k}_pct"]) if prev and prev["year"] == r.year - 1 \
                    else math.nan
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
    cols = ["geo_code", "geo_name", "year", "rate_pct", "rate_change_pp", "excess_change_pp", "schools_coverage_pct",
            "schools_coverage_change_pp", "villages_coverage_pct", "villages_coverage_change_pp",
            "coverage_change_pp", "flag", "reason"]
    return pd.DataFrame(rows, columns=cols)


def _pp(x: float) -> str:
    """A distance in percentage points without sign, for prose that says "tăng"/"giảm"."""
    from .fmt import number

    return f"{number(abs(x), 1)} điểm %"


def _flag_reason(rate_change: float, cov: list[tuple[str, float]]) -> str:
    """The Vietnamese note of a flag: how far the rate moved beyond the area and how coverage moved."""
    what = {"schools_coverage": "tỷ lệ trường báo cáo", "villages_coverage": "tỷ lệ thôn, buôn có số liệu"}
    parts = [f"{what[k]} {'tăng' if v > 0 else 'giảm'} {_pp(abs(v))}" for k, v in cov]
    return (f"Tỷ lệ {'tăng' if rate_change > 0 else 'giảm'} {_pp(abs(rate_change))} so với xu hướng chung "
            "của toàn địa bàn, cùng năm "
            + " và ".join(parts) + ": thay đổi có thể do thay đổi nguồn báo cáo, cần kiểm tra.")


# ---- breakdowns that explain --------------------------------------------------------------


def registered_vs_awarded(villages: pd.DataFrame, by: str = "commune_code") -> pd.DataFrame:
    """Households registered for "Gia đình học tập" against households awarded it, per ``by``.

    A commune can be behind because few households register, or because few registered ones
    are awarded; the two call for different actions. Only ``used`` rows with all three counts
    enter, so the three shares have the same base. ``awarded_unregistered`` sums, per village,
    the households awarded beyond those registered (a warning in the cleaning rules). Rows of
    mapped tables (hoctap.indicators.map_tables) count with their ``weight`` (a split's share).
    """
    v = villages
    if "status" in v.columns:
        v = v.loc[(v["status"] == "used").fillna(False).astype(bool)]
    cols = ["households_total", "households_registered", "households_family_title"]
    v = v.dropna(subset=cols)
    w = v["weight"].astype(float) if "weight" in v.columns else pd.Series(1.0, index=v.index)
    over = (v["households_family_title"].astype(float) - v["households_registered"].astype(float)).clip(lower=0)
    v = v.assign(**{c: v[c].astype(float) * w for c in cols}, awarded_unregistered=over * w)
    g = v.groupby(by, sort=True)[cols + ["awarded_unregistered"]].sum().reset_index()
    for c in [*cols, "awarded_unregistered"]:
        g[c] = _counts(g[c]).values
    g["registered_pct"] = [_pct(a, b) for a, b in zip(g["households_registered"], g["households_total"], strict=False)]
    g["awarded_pct"] = [_pct(a, b) for a, b in zip(g["households_family_title"], g["households_total"], strict=False)]
    g["awarded_of_registered_pct"] = [_pct(a, b) for a, b in zip(g["households_family_title"],
                                                                  g["households_registered"], strict=False)]
    return g


def pearson(x, y) -> float:
    """Pearson correlation of two equal-length sequences, NaN pairs dropped; NaN below 3 pairs."""
    pairs = [(float(a), float(b)) for a, b in zip(x, y, strict=False) if not (math.isnan(_f(a)) or math.isnan(_f(b)))]
    if len(pairs) < 3:
        return math.nan
    mx = sum(a for a, _ in pairs) / len(pairs)
    my = sum(b for _, b in pairs) / len(pairs)
    sxy = sum((a - mx) * (b - my) for a, b in pairs)
    sxx = sum((a - mx) ** 2 for a, _ in pairs)
    syy = sum((b - my) ** 2 for _, b in pairs)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


def relationship(ind: pd.DataFrame, x: str, y: str, year: int) -> pd.DataFrame:
    """Two indicators per commune in one year (rates with their denominators), for a scatter.

    With a handful of communes a correlation is a hint, never a finding: ``pearson`` on the
    result gives it, the notebook prints the number of communes beside it.
    """
    a = _rows(ind, x, "commune", year)[["geo_code", "geo_name", "numerator", "denominator"]]
    b = _rows(ind, y, "commune", year)[["geo_code", "numerator", "denominator"]]
    m = a.merge(b, on="geo_code", suffixes=("_x", "_y"), how="inner")
    out = pd.DataFrame({"geo_code": m["geo_code"].astype(str), "geo_name": m["geo_name"].astype(str)})
    for s in ("x", "y"):
        out[f"numerator_{s}"] = _counts(m[f"numerator_{s}"]).values
        out[f"denominator_{s}"] = _counts(m[f"denominator_{s}"]).values
        out[f"rate_{s}_pct"] = [_pct(p, q) for p, q in zip(out[f"numerator_{s}"], out[f"denominator_{s}"], strict=False)]
    return out.sort_values("geo_name").reset_index(drop=True)


# ---- the exploration's data: every year on one geography --------------------------------


@dataclass
class Exploration:
    """What the notebook explores: every year of the range on one commune geography.

    ``indicators`` has the columns of indicators.csv for every year with processed tables;
    ``mapped[year]`` the unit tables (schools, villages, orgs) of that year with ``geo_code`` and
    ``weight`` on the same geography (hoctap.indicators.map_tables), for the breakdowns;
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
        return dict(zip(com["geo_code"].astype(str), com["geo_name"].astype(str), strict=False))


def load(ws, year_from: int, year_to: int, geography_date=None) -> Exploration:
    """Every year of ``year_from``..``year_to`` with processed tables, on the communes valid on
    ``geography_date`` (empty: the end of ``year_to`` or today, whichever is earlier).

    The indicator table is hoctap.periods.period_table (the same figures as a period review);
    the unit tables are mapped with hoctap.indicators.map_tables for the breakdowns.
    """
    from .indicators import map_tables, read_year, villages_seen
    from .periods import default_geography_date, period_table

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


def describe(data: Exploration, indicator: str) -> str:
    """What is being explored, in Vietnamese (markdown): indicator, years, geography, sample."""
    from .fmt import date_vn

    st = indicator_style(indicator)
    communes = data.commune_names()
    text = [
        f"**Chỉ tiêu:** {st['label']}.",
        f"**Các năm có số liệu:** {', '.join(str(y) for y in data.years)}; so sánh chính cho năm {data.year}.",
        f"**Địa giới:** {len(communes)} xã, thị trấn có hiệu lực ngày {date_vn(data.geography_date)} "
        f"({', '.join(sorted(communes.values()))}); số liệu các năm trước được chuyển sang địa giới này "
        "theo bảng thay đổi địa giới (commune_changes.csv).",
    ]
    if is_synthetic(data.reference):
        text.append("**Lưu ý:** đây là **dữ liệu giả lập** (bộ số liệu mẫu); tên trường, tên thôn và mọi con số "
                    "không phải số liệu thật.")
    return "\n\n".join(text)


def is_synthetic(reference: Reference) -> bool:
    """True when the school registry is the demo's synthetic one (every note says so)."""
    notes = reference.schools.get("note")
    return notes is not None and len(notes) > 0 and notes.astype(str).str.contains("giả lập").all()


# ---- breakdowns through the indicator definitions -----------------------------------------


def breakdown(mapped: dict[str, pd.DataFrame], indicator: str, labels: dict[str, pd.Series],
              commune: str | None = None) -> pd.DataFrame:
    """The indicator recomputed per group: ``labels[table]`` gives each row of that unit table
    (aligned with ``mapped[table]``) its group; rows with no label are left out.

    The numerators and denominators come from hoctap.indicators.contributions (the indicator
    definitions, weights and status rules), with the group put where the commune would be, so
    a group's rate is a ratio of sums exactly as a commune's is. ``commune`` keeps only the rows
    of that commune (geo_code).
    """
    from .indicators import contributions

    relabelled = {}
    for name, df in mapped.items():
        df = df.copy()
        lab = labels.get(name)
        lab = pd.Series(pd.NA, index=df.index, dtype="string") if lab is None else lab.astype("string")
        if commune is not None:
            lab = lab.where(df["geo_code"].astype("string") == commune)
        df["geo_code"] = lab.values
        relabelled[name] = df.loc[df["geo_code"].notna()]
    c = contributions(relabelled)
    c = c.loc[c["indicator"] == indicator]
    g = c.groupby("geo_code", sort=True)[["numerator", "denominator"]].sum().reset_index()
    g = g.rename(columns={"geo_code": "group"})
    g["group"] = g["group"].astype(str)
    g["rate_pct"] = [_pct(a, b) for a, b in zip(g["numerator"], g["denominator"], strict=False)]
    ci = [wilson_interval(a, b) for a, b in zip(g["numerator"], g["denominator"], strict=False)]
    g["ci_low"] = [x[0] for x in ci]
    g["ci_high"] = [x[1] for x in ci]
    return g[["group", "numerator", "denominator", "rate_pct", "ci_low", "ci_high"]]


def _school_labels(mapped: dict[str, pd.DataFrame], by_school: dict[str, str]) -> dict[str, pd.Series]:
    return {name: df["school_id"].astype("string").map(by_school) if "school_id" in df else None
            for name, df in mapped.items()}


UNKNOWN_LEVEL = "Không rõ cấp học"


def school_levels(reference: Reference, schools: pd.DataFrame) -> dict[str, str]:
    """Each school's level: the registry's, else the submission's "Cấp học", else unknown."""
    out = {}
    if schools is not None and "school_level" in schools:
        for sid, lvl in zip(schools["school_id"].astype(str), schools["school_level"], strict=False):
            if isinstance(lvl, str) and lvl.strip():
                out[sid] = lvl.strip()
    reg = reference.schools
    for sid, lvl in zip(reg["school_id"].astype(str), reg["level"], strict=False):
        if isinstance(lvl, str) and lvl.strip():
            out[sid] = lvl.strip()
    if schools is not None:
        for sid in schools["school_id"].astype(str):
            out.setdefault(sid, UNKNOWN_LEVEL)
    return out


def breakdown_by_level(data: Exploration, indicator: str, year: int, commune: str | None = None) -> pd.DataFrame:
    """The indicator by school level: villages and organizations count under the level of the
    school that reported them, schools under their own."""
    from .schema import SCHOOL_LEVELS

    mapped = data.mapped[year]
    levels = school_levels(data.reference, mapped["schools"])
    out = breakdown(mapped, indicator, _school_labels(mapped, levels), commune)
    order = {lvl: i for i, lvl in enumerate(SCHOOL_LEVELS)}
    out = out.assign(_o=out["group"].map(lambda g: order.get(g, len(order))))
    return out.sort_values(["_o", "group"]).drop(columns="_o").reset_index(drop=True)


ON_TIME = "Nộp đúng hạn"
LATE = "Nộp muộn"


def breakdown_by_timeliness(data: Exploration, indicator: str, year: int, commune: str | None = None) -> pd.DataFrame:
    """The indicator for figures from schools that reported on time against late ones
    (completeness.csv ``on_time``): late reporters may be the weaker schools."""
    comp = data.completeness.get(year)
    if comp is None or not len(comp):
        return breakdown({}, indicator, {}, commune)
    submitted = comp.loc[comp["submitted"].astype(str).str.lower().isin(["true", "1"])]
    by_school = {str(s): (ON_TIME if str(t).lower() in ("true", "1") else LATE)
                 for s, t in zip(submitted["school_id"], submitted["on_time"], strict=False)}
    mapped = data.mapped[year]
    return breakdown(mapped, indicator, _school_labels(mapped, by_school), commune)


VILLAGE_INDICATORS = {"family_title_rate", "clan_title_rate", "community_title_rate", "worker_citizen_rate"}


def breakdown_by_village(data: Exploration, indicator: str, year: int, commune: str) -> pd.DataFrame:
    """The indicator for each village of one commune (village-based indicators only; empty
    otherwise), lowest first: which villages pull the commune down."""
    mapped = data.mapped[year]
    if indicator not in VILLAGE_INDICATORS:
        return breakdown({}, indicator, {}, commune)
    v = mapped["villages"]
    out = breakdown({"villages": v}, indicator, {"villages": v["village"].astype("string")}, commune)
    return out.sort_values(["rate_pct", "group"], na_position="first").reset_index(drop=True)


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


def flags_message(fl: pd.DataFrame) -> str:
    """One Vietnamese sentence on the coverage flags (markdown), shown above their table."""
    n = int(fl["flag"].sum())
    if not n:
        return ("Không có xã, năm nào có tỷ lệ thay đổi mạnh hơn xu hướng chung cùng lúc với độ bao phủ báo cáo "
                "thay đổi nhiều.")
    return f"Có **{n}** trường hợp (xã, năm) cần kiểm tra nguồn số liệu trước khi kết luận:"


def partner_indicator(indicator: str, compare_with: str = "") -> str:
    """The indicator to set against ``indicator`` in the scatter: ``compare_with`` when given,
    else family titles against worker citizens (the plan links the two), or family titles."""
    if compare_with and compare_with != indicator:
        return compare_with
    return "worker_citizen_rate" if indicator == "family_title_rate" else "family_title_rate"


# ---- tables for reading (Vietnamese headers, formatted figures) ---------------------------


def _signed_pp(x) -> str:
    from .fmt import pp

    return pp(x) if not math.isnan(_f(x)) else "—"


def _ci_text(lo, hi) -> str:
    return "—" if math.isnan(_f(lo)) else f"{_pct_text(lo)} – {_pct_text(hi)}"


def table_communes(ct: pd.DataFrame) -> pd.DataFrame:
    """``commune_table`` for reading: counts beside every rate, interval, funnel verdict, gap."""
    return pd.DataFrame({
        "Xã": ct["geo_name"],
        "Đạt/tổng số": [_frac(a, b) for a, b in zip(ct["numerator"], ct["denominator"], strict=False)],
        "Tỷ lệ": [_pct_text(x) for x in ct["rate_pct"]],
        "Khoảng tin cậy 95%": [_ci_text(a, b) for a, b in zip(ct["ci_low"], ct["ci_high"], strict=False)],
        "So với toàn địa bàn": [BANDS[b] if not math.isnan(_f(r)) else "—" for b, r in zip(ct["band"], ct["rate_pct"], strict=False)],
        "Chỉ tiêu": [f"{_target_text(t)} ({int(y)})" if not math.isnan(_f(t)) else "—"
                     for t, y in zip(ct["target_pct"], ct["target_year"], strict=False)],
        "Cách chỉ tiêu": [_signed_pp(x) for x in ct["gap_pp"]],
        "Trường báo cáo/phải báo cáo": [_frac(a, b) for a, b in zip(ct["schools_reporting"], ct["schools_base"], strict=False)],
        "Thôn có số liệu/đã biết": [_frac(a, b) for a, b in zip(ct["villages_reporting"], ct["villages_base"], strict=False)],
    }).set_index("Xã")


def table_changes(ch: pd.DataFrame) -> pd.DataFrame:
    """Rates by commune and year, each with its change from the year before; "*" marks a change
    larger than chance (95%)."""
    cells = {}
    for r in ch.itertuples():
        text = _pct_text(r.rate_pct)
        if not math.isnan(_f(r.change_pp)):
            text += f" ({_signed_pp(r.change_pp).replace(' điểm %', '')}{'*' if r.beyond_chance else ''})"
        cells.setdefault(r.geo_name, {})[int(r.year)] = text
    out = pd.DataFrame.from_dict(cells, orient="index").sort_index()
    out = out[sorted(out.columns)]
    out.index.name = "Xã"
    out.columns = [f"Năm {c}" for c in out.columns]
    return out


def table_breakdown(bd: pd.DataFrame, group_title: str) -> pd.DataFrame:
    """A breakdown for reading: group, counts, rate, interval."""
    return pd.DataFrame({
        group_title: bd["group"],
        "Đạt/tổng số": [_frac(a, b) for a, b in zip(bd["numerator"], bd["denominator"], strict=False)],
        "Tỷ lệ": [_pct_text(x) for x in bd["rate_pct"]],
        "Khoảng tin cậy 95%": [_ci_text(a, b) for a, b in zip(bd["ci_low"], bd["ci_high"], strict=False)],
    }).set_index(group_title)


def table_registered(rva: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """``registered_vs_awarded`` for reading (its first column holds the commune codes)."""
    return pd.DataFrame({
        "Xã": [names.get(c, c) for c in rva.iloc[:, 0]],
        "Tổng số hộ": [_num_text(x) for x in rva["households_total"]],
        "Hộ đăng ký": [f"{_num_text(a)} ({_pct_text(b)})" for a, b in zip(rva["households_registered"],
                                                                      rva["registered_pct"], strict=False)],
        "Hộ đạt": [f"{_num_text(a)} ({_pct_text(b)})" for a, b in zip(rva["households_family_title"],
                                                                  rva["awarded_pct"], strict=False)],
        "Đạt trên số đăng ký": [_pct_text(x) for x in rva["awarded_of_registered_pct"]],
        "Hộ đạt vượt số đăng ký": [_num_text(x) for x in rva["awarded_unregistered"]],
    }).set_index("Xã")


def table_relationship(rel: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Two indicators per commune with their counts."""
    sx, sy = indicator_style(x)["short_label"], indicator_style(y)["short_label"]
    return pd.DataFrame({
        "Xã": rel["geo_name"],
        sx: [f"{_pct_text(r)} ({_frac(a, b)})" for r, a, b in zip(rel["rate_x_pct"], rel["numerator_x"],
                                                                 rel["denominator_x"], strict=False)],
        sy: [f"{_pct_text(r)} ({_frac(a, b)})" for r, a, b in zip(rel["rate_y_pct"], rel["numerator_y"],
                                                                 rel["denominator_y"], strict=False)],
    }).set_index("Xã")


def table_flags(fl: pd.DataFrame, only_flagged: bool = True) -> pd.DataFrame:
    """Coverage signals for reading: flagged commune-years (or all) with both coverages."""
    d = fl.loc[fl["flag"]] if only_flagged else fl
    return pd.DataFrame({
        "Xã": d["geo_name"],
        "Năm": d["year"].astype(int).astype(str),
        "Tỷ lệ": [_pct_text(x) for x in d["rate_pct"]],
        "Thay đổi tỷ lệ": [_signed_pp(x) for x in d["rate_change_pp"]],
        "Trường báo cáo": [f"{_pct_text(a)} ({_signed_pp(b)})" for a, b in zip(d["schools_coverage_pct"],
                                                                         d["schools_coverage_change_pp"], strict=False)],
        "Thôn có số liệu": [f"{_pct_text(a)} ({_signed_pp(b)})" for a, b in zip(d["villages_coverage_pct"],
                                                                          d["villages_coverage_change_pp"], strict=False)],
        "Ghi chú": d["reason"],
    }).set_index(["Xã", "Năm"])


# ---- figures ------------------------------------------------------------------------------
# Each figure function returns a matplotlib Figure with a Vietnamese title. The indicator's
# colour, hatch and marker come from hoctap.indicators.INDICATORS; shapes, hatches and direct
# labels carry the meaning so that a black-and-white print reads the same.

RC = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.unicode_minus": False,
    "hatch.linewidth": 0.5,
}
WIDTH_IN = 8.0
GREY = "#555555"


def _plt():
    """pyplot, on the Agg backend unless the caller (e.g. Jupyter) already chose one."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def indicator_style(code: str) -> dict:
    """Label, short label, colour, hatch, marker and units of an indicator, from INDICATORS."""
    from .indicators import BY_CODE

    if code not in BY_CODE:
        raise KeyError(f"chỉ tiêu không có trong danh mục: {code}")
    i = BY_CODE[code]
    return {"code": code, "label": i.label, "short_label": i.short_label, "colour": i.colour,
            "hatch": i.hatch, "marker": i.marker, "units": i.units}


def _pct_text(x) -> str:
    from .fmt import pct

    return pct(x) if not math.isnan(_f(x)) else "—"


def _target_text(x) -> str:
    """A target as set in the plan: 80 -> "80%", 62.5 -> "62,5%"."""
    v = _f(x)
    if math.isnan(v):
        return "—"
    return _num_text(v, 0 if v.is_integer() else 1) + "%"


def _num_text(x, decimals: int = 0) -> str:
    from .fmt import number

    return number(x, decimals) if not math.isnan(_f(x)) else "—"


def _frac(x, n) -> str:
    return f"{_num_text(x)}/{_num_text(n)}"


def _tidy(ax, axis: str = "x") -> None:
    ax.grid(axis=axis, color="#bbbbbb", linewidth=0.4, linestyle=":")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _pct_axis(ax, axis: str = "x", lo: float = 0, hi: float = 100) -> None:
    ticks = [t for t in range(0, 101, 20) if lo <= t <= hi]
    (ax.set_xticks if axis == "x" else ax.set_yticks)(ticks)
    (ax.set_xticklabels if axis == "x" else ax.set_yticklabels)([f"{t}%" for t in ticks])


def fig_communes(ct: pd.DataFrame, indicator: str, year: int):
    """Each commune's rate with its Wilson 95% interval and its count, the area rate and target."""
    plt = _plt()
    st = indicator_style(indicator)
    n = len(ct)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.38 * n + 1.8), layout="constrained")
        for i, r in enumerate(ct.itertuples()):
            if math.isnan(r.rate_pct):
                ax.text(1, i, "— (không có mẫu số)", va="center", fontsize=8)
                continue
            ax.plot([r.ci_low, r.ci_high], [i, i], color="#000000", linewidth=1.2)
            for end in (r.ci_low, r.ci_high):
                ax.plot([end, end], [i - 0.15, i + 0.15], color="#000000", linewidth=1.2)
            ax.plot(r.rate_pct, i, marker=st["marker"], markersize=8, color=st["colour"],
                    markeredgecolor="#000000", linestyle="none")
            ax.text(101.5, i, f"{_pct_text(r.rate_pct)} ({_frac(r.numerator, r.denominator)})",
                    va="center", fontsize=8)
        area = ct["area_rate_pct"].iloc[0] if n else math.nan
        if not math.isnan(area):
            ax.axvline(area, color=GREY, linewidth=1.2)
            ax.text(area, n - 0.3, f"Toàn địa bàn {_pct_text(area)}", ha="center", va="bottom", fontsize=8,
                    color=GREY, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        tgt = ct["target_pct"].dropna()
        if len(tgt):
            t = float(tgt.iloc[0])
            ax.axvline(t, color="#000000", linestyle="--", linewidth=1.1)
            ax.text(t, -0.9, f"Chỉ tiêu {_target_text(t)}", ha="center", va="top", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_yticks(range(n))
        ax.set_yticklabels(ct["geo_name"].tolist())
        ax.set_ylim(-1.4, n + 0.2)
        ax.set_xlim(0, 130)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ (%); đoạn thẳng: khoảng tin cậy 95% (Wilson); trong ngoặc: tử số/mẫu số")
        _tidy(ax)
        ax.set_title(f"{st['short_label']}: các xã năm {year}, tỷ lệ và khoảng tin cậy 95%")
    return fig


_BAND_MARKER = {"above_998": "^", "above_95": "^", "within": "o", "below_95": "v", "below_998": "v"}


def fig_funnel(ct: pd.DataFrame, indicator: str, year: int):
    """Funnel plot: rate against denominator, with 95% and 99.8% limits around the area rate.

    The denominator axis turns logarithmic when communes differ in size by more than 50 times,
    so that a small commune is not squeezed against the axis.
    """
    from matplotlib.lines import Line2D

    plt = _plt()
    st = indicator_style(indicator)
    data = ct.dropna(subset=["rate_pct"])
    data = data.loc[data["denominator"].astype(float) > 0]
    area = float(ct["area_rate_pct"].iloc[0]) if len(ct) else math.nan
    dens = data["denominator"].astype(float)
    nmax = float(dens.max()) if len(data) else 10.0
    nmin = float(dens.min()) if len(data) else 1.0
    log = nmax / max(nmin, 1.0) > 50
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.4), layout="constrained")
        lo_n = max(1.0, nmin * 0.7) if log else max(1.0, nmax / 300)
        hi_n = nmax * 1.4
        grid = [lo_n * (hi_n / lo_n) ** (k / 300) for k in range(301)]
        lim = funnel_limits(area, grid)
        ax.axhline(area, color=GREY, linewidth=1.2)
        for side in ("lower", "upper"):
            ax.plot(lim["denominator"], lim[f"{side}_95"], color="#000000", linestyle="--", linewidth=0.9)
            ax.plot(lim["denominator"], lim[f"{side}_998"], color="#000000", linestyle=":", linewidth=1.2)
        # Communes on the same point (same count and rate) share one marker and one label.
        points: dict[tuple[float, float], list] = {}
        for r in data.itertuples():
            points.setdefault((float(r.denominator), round(r.rate_pct, 9)), []).append(r)
        for (den, rate), rs in points.items():
            band = rs[0].band
            ax.plot(den, rate, marker=_BAND_MARKER[band], markersize=8,
                    color=st["colour"] if band != "within" else "white", markeredgecolor="#000000", linestyle="none")
            ax.annotate(", ".join(r.geo_name for r in rs), (den, rate), xytext=(5, 4), textcoords="offset points",
                        fontsize=7.5)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_formatter(lambda v, _p: _num_text(v))
            ax.set_xlim(lo_n, hi_n)
        else:
            ax.set_xlim(0, hi_n)
            ax.xaxis.set_major_formatter(lambda v, _p: _num_text(v))
        rates = data["rate_pct"].tolist()
        if math.isnan(area):
            ax.set_ylim(0, 105)
        else:
            ax.set_ylim(max(0, min([area - 20, *rates]) - 5), min(105, max([area + 20, *rates]) + 5))
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.set_xlabel(f"Mẫu số ({st['units'] or 'số đơn vị'}){', thang logarit' if log else ''}: "
                      "mẫu số càng lớn, giới hạn càng hẹp")
        ax.set_ylabel("Tỷ lệ (%)")
        handles = [
            Line2D([0], [0], color=GREY, linewidth=1.2, label=f"Toàn địa bàn {_pct_text(area)}"),
            Line2D([0], [0], color="#000000", linestyle="--", linewidth=0.9, label="Giới hạn 95%"),
            Line2D([0], [0], color="#000000", linestyle=":", linewidth=1.2, label="Giới hạn 99,8%"),
            Line2D([0], [0], marker="^", color=st["colour"], markeredgecolor="#000000", linestyle="none",
                   label="Cao hơn, vượt mức ngẫu nhiên"),
            Line2D([0], [0], marker="v", color=st["colour"], markeredgecolor="#000000", linestyle="none",
                   label="Thấp hơn, vượt mức ngẫu nhiên"),
            Line2D([0], [0], marker="o", color="white", markeredgecolor="#000000", linestyle="none",
                   label="Trong giới hạn ngẫu nhiên"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=7.5, frameon=False)
        _tidy(ax, "y")
        ax.set_title(f"Biểu đồ phễu: {st['short_label']} theo xã năm {year}")
    return fig


_LINESTYLES = ["-", "--", "-.", ":"]


def fig_trends(ind: pd.DataFrame, indicator: str, year_from: int, year_to: int):
    """One small panel per commune: its rate by year with the 95% interval, beside the area rate."""
    plt = _plt()
    st = indicator_style(indicator)
    com = _rows(ind, indicator, "commune").copy()
    com["year"] = com["year"].astype(int)
    area = _rows(ind, indicator, "area").copy()
    area["year"] = area["year"].astype(int)
    area = area.sort_values("year")
    area_rate = [_pct(a, b) for a, b in zip(area["numerator"], area["denominator"], strict=False)]
    names = com.groupby("geo_code")["geo_name"].first().sort_values()
    ncol = min(4, max(1, len(names)))
    nrow = max(1, math.ceil(len(names) / ncol))
    years = list(range(int(year_from), int(year_to) + 1))
    with plt.rc_context(RC):
        fig, axes = plt.subplots(nrow, ncol, figsize=(WIDTH_IN, 2.2 * nrow + 0.8), sharex=True, sharey=True,
                                 layout="constrained", squeeze=False)
        for k, (code, name) in enumerate(names.items()):
            ax = axes[k // ncol][k % ncol]
            g = com.loc[com["geo_code"] == code].sort_values("year")
            rate = [_pct(a, b) for a, b in zip(g["numerator"], g["denominator"], strict=False)]
            ci = [wilson_interval(a, b) for a, b in zip(g["numerator"], g["denominator"], strict=False)]
            ax.fill_between(g["year"], [c[0] for c in ci], [c[1] for c in ci], facecolor="none",
                            edgecolor=st["colour"], hatch=st["hatch"], linewidth=0)
            ax.plot(area["year"], area_rate, color=GREY, linestyle="--", linewidth=1)
            ax.plot(g["year"], rate, color=st["colour"], marker=st["marker"], markeredgecolor="#000000",
                    linewidth=1.6)
            if len(rate) and not math.isnan(rate[-1]):
                ax.annotate(_pct_text(rate[-1]), (g["year"].iloc[-1], rate[-1]), xytext=(0, 6),
                            textcoords="offset points", ha="center", fontsize=7)
            ax.set_title(name, fontsize=9)
            _tidy(ax, "y")
        for k in range(len(names), nrow * ncol):
            axes[k // ncol][k % ncol].set_visible(False)
        ax0 = axes[0][0]
        ax0.set_xticks(years)
        ax0.set_xticklabels([str(y) if (y - years[0]) % 2 == 0 else "" for y in years], fontsize=7)
        ax0.set_ylim(0, 100)
        _pct_axis(ax0, "y")
        fig.suptitle(f"Diễn biến {st['short_label']} theo xã, {year_from}-{year_to}", fontsize=10,
                     fontweight="bold")
        fig.supxlabel("Đường liền có dấu: tỷ lệ của xã; vùng gạch chéo: khoảng tin cậy 95%; "
                      "nét gạch: toàn địa bàn", fontsize=8)
    return fig


def fig_breakdown(bd: pd.DataFrame, indicator: str, title: str, group_label: str = "group",
                  reference_pct: float | None = None, reference_label: str = "Toàn địa bàn"):
    """Bars of a breakdown (``rate_pct``, ``numerator``, ``denominator`` per ``group_label``),
    hatched in the indicator's colour, with the interval and the count written on each bar, and
    an optional reference line (the area's or the commune's rate) to read each group against."""
    from matplotlib import patheffects

    halo = [patheffects.withStroke(linewidth=3.2, foreground="white")]
    plt = _plt()
    st = indicator_style(indicator)
    bd = bd.reset_index(drop=True)
    n = len(bd)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.4 * max(n, 2) + 1.5), layout="constrained")
        if not n:
            ax.text(50, 0.5, "Không có số liệu cho cách phân tích này", ha="center", va="center")
        for i, r in bd.iterrows():
            y = n - 1 - i
            rate = _f(r["rate_pct"])
            if math.isnan(rate):
                ax.text(1, y, "— (không có mẫu số)", va="center", fontsize=8)
                continue
            lo, hi = wilson_interval(r["numerator"], r["denominator"])
            ax.barh(y, rate, height=0.62, color=st["colour"], hatch=st["hatch"], edgecolor="#000000", linewidth=0.7)
            ax.plot([lo, hi], [y, y], color="#000000", linewidth=1.2, path_effects=halo)
            ax.text(max(hi, rate) + 1.5, y, f"{_pct_text(rate)} ({_frac(r['numerator'], r['denominator'])})",
                    va="center", fontsize=8)
        if reference_pct is not None and not math.isnan(_f(reference_pct)):
            ax.axvline(reference_pct, color="#000000", linestyle="--", linewidth=1.1)
            ax.text(reference_pct, max(n, 2) - 0.45, f"{reference_label} {_pct_text(reference_pct)}", ha="center",
                    va="bottom", fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        ax.set_yticks(range(n))
        ax.set_yticklabels([str(v) for v in reversed(bd[group_label].tolist())])
        ax.set_ylim(-0.6, max(n, 2) + 0.2)
        ax.set_xlim(0, 128)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ (%); đoạn thẳng: khoảng tin cậy 95%; trong ngoặc: tử số/mẫu số")
        _tidy(ax)
        ax.set_title(title)
    return fig


def fig_registered(rva: pd.DataFrame, year: int, names: dict[str, str] | None = None):
    """Per commune: share of households registered, and share awarded, side by side."""
    plt = _plt()
    st = indicator_style("family_title_rate")
    rva = rva.reset_index(drop=True)
    n = len(rva)
    label = [(names or {}).get(c, c) for c in rva.iloc[:, 0]]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 0.62 * n + 1.8), layout="constrained")
        for i, r in rva.iterrows():
            y = n - 1 - i
            ax.barh(y + 0.19, r["registered_pct"], height=0.36, color="white", hatch="...", edgecolor="#000000",
                    linewidth=0.7)
            ax.barh(y - 0.19, r["awarded_pct"], height=0.36, color=st["colour"], hatch=st["hatch"],
                    edgecolor="#000000", linewidth=0.7)
            ax.text(_f(r["registered_pct"]) + 1.2, y + 0.19,
                    f"đăng ký {_pct_text(r['registered_pct'])} ({_frac(r['households_registered'], r['households_total'])})",
                    va="center", fontsize=7.5)
            ax.text(_f(r["awarded_pct"]) + 1.2, y - 0.19,
                    f"đạt {_pct_text(r['awarded_pct'])}, bằng {_pct_text(r['awarded_of_registered_pct'])} số hộ đăng ký",
                    va="center", fontsize=7.5)
        ax.set_yticks(range(n))
        ax.set_yticklabels(list(reversed(label)))
        ax.set_xlim(0, 150)
        _pct_axis(ax)
        ax.set_xlabel("Tỷ lệ trên tổng số hộ (%); chấm: đăng ký; gạch màu: đạt danh hiệu")
        _tidy(ax)
        ax.set_title(f'Hộ đăng ký và hộ đạt "Gia đình học tập" theo xã năm {year}')
    return fig


def fig_relationship(rel: pd.DataFrame, x: str, y: str, year: int):
    """Scatter of two indicators across communes, each point labelled with its commune and
    drawn with both 95% intervals, so a pattern among a few communes is not over-read."""
    plt = _plt()
    sx, sy = indicator_style(x), indicator_style(y)
    r = pearson(rel["rate_x_pct"], rel["rate_y_pct"])
    d = rel.dropna(subset=["rate_x_pct", "rate_y_pct"]).sort_values("rate_y_pct").reset_index(drop=True)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.6), layout="constrained")
        xs, ys = [], []
        for k, row in d.iterrows():
            xlo, xhi = wilson_interval(row["numerator_x"], row["denominator_x"])
            ylo, yhi = wilson_interval(row["numerator_y"], row["denominator_y"])
            ax.plot([xlo, xhi], [row["rate_y_pct"]] * 2, color=GREY, linewidth=0.9)
            ax.plot([row["rate_x_pct"]] * 2, [ylo, yhi], color=GREY, linewidth=0.9)
            ax.plot(row["rate_x_pct"], row["rate_y_pct"], marker=sx["marker"], markersize=9, color=sx["colour"],
                    markeredgecolor="#000000", linestyle="none", zorder=3)
            left = k % 2 == 1  # alternate sides so that neighbours' labels do not collide
            ax.annotate(row["geo_name"], (row["rate_x_pct"], row["rate_y_pct"]), xytext=(-8 if left else 8, 0),
                        textcoords="offset points", ha="right" if left else "left", va="center", fontsize=8,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.8})
            xs += [xlo, xhi]
            ys += [ylo, yhi]
        xs, ys = [v for v in xs if not math.isnan(v)], [v for v in ys if not math.isnan(v)]
        for setter, vals in ((ax.set_xlim, xs), (ax.set_ylim, ys)):
            if vals:
                lo, hi = min(vals), max(vals)
                pad = max(3.0, (hi - lo) * 0.25)
                setter(max(0, lo - pad), min(100, hi + pad))
        ax.xaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.yaxis.set_major_formatter(lambda v, _p: f"{v:.0f}%")
        ax.set_xlabel(f"{sx['short_label']} (%)")
        ax.set_ylabel(f"{sy['short_label']} (%)")
        note = (f"Hệ số tương quan Pearson r = {_num_text(r, 2)} trên {len(d)} xã"
                if not math.isnan(r) else f"Chưa đủ xã để tính hệ số tương quan ({len(d)} xã)")
        ax.text(0.01, 0.99, note + "; đoạn thẳng xám: khoảng tin cậy 95%.\nTương quan không phải quan hệ nhân quả; "
                "với ít xã, đây chỉ là gợi ý.", transform=ax.transAxes, va="top", fontsize=7.5)
        _tidy(ax, "both")
        ax.set_title(f"{sx['short_label']} và {sy['short_label']} theo xã năm {year}")
    return fig


def fig_coverage(flags: pd.DataFrame, indicator: str, rate_pp: float = 5.0, coverage_pp: float = 10.0):
    """Each commune-year: change of coverage against the rate's change beyond the area's; the
    flagged ones (both moved) drawn as filled crosses and labelled, the rest as open circles."""
    plt = _plt()
    st = indicator_style(indicator)
    d = flags.dropna(subset=["excess_change_pp"])
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 5.4), layout="constrained")
        ax.axhspan(-rate_pp, rate_pp, color="#eeeeee", zorder=0)
        ax.axvspan(-coverage_pp, coverage_pp, color="#eeeeee", zorder=0)
        ax.axhline(0, color=GREY, linewidth=0.6)
        ax.axvline(0, color=GREY, linewidth=0.6)
        for r in d.itertuples():
            cov = 0.0 if math.isnan(r.coverage_change_pp) else r.coverage_change_pp
            if r.flag:
                ax.plot(cov, r.excess_change_pp, marker="X", markersize=10, color=st["colour"],
                        markeredgecolor="#000000", linestyle="none", zorder=3)
                ax.annotate(f"{r.geo_name} {r.year}", (cov, r.excess_change_pp), xytext=(7, -3),
                            textcoords="offset points", fontsize=7.5, fontweight="bold")
            else:
                ax.plot(cov, r.excess_change_pp, marker="o", markersize=5, color="white", markeredgecolor=GREY,
                        linestyle="none", zorder=2)
        ax.set_xlabel("Thay đổi độ bao phủ so với năm trước (điểm %; trường báo cáo hoặc thôn có số liệu, "
                      "lấy thay đổi lớn hơn)")
        ax.set_ylabel(f"Thay đổi {st['short_label']} so với\nxu hướng chung toàn địa bàn (điểm %)")
        handles = [
            plt.Line2D([0], [0], marker="X", markersize=9, color=st["colour"], markeredgecolor="#000000",
                       linestyle="none", label="Cần kiểm tra: tỷ lệ và độ bao phủ cùng thay đổi mạnh"),
            plt.Line2D([0], [0], marker="o", color="white", markeredgecolor=GREY, linestyle="none",
                       label="Không có dấu hiệu"),
            plt.Rectangle((0, 0), 1, 1, color="#eeeeee",
                          label=f"Vùng xám: dưới {_num_text(rate_pp)} điểm % (tỷ lệ) hoặc "
                                f"{_num_text(coverage_pp)} điểm % (độ bao phủ)"),
        ]
        fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=7.5, frameon=False)
        _tidy(ax, "both")
        ax.set_title(f"Tỷ lệ thay đổi cùng lúc với độ bao phủ báo cáo: {st['short_label']}")
    return fig


def figure_title(fig) -> str:
    """The title drawn on a figure (suptitle, else the first axes title)."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


class Chart:
    """A figure for the notebook: a PNG with its drawn title as the text alternative.

    Jupyter and papermill store it as an ``image/png`` output whose ``text/plain`` is the title,
    whatever matplotlib backend the kernel runs; the figure is closed once rendered.
    """

    def __init__(self, fig, dpi: int = 110):
        import io

        plt = _plt()
        self.title = figure_title(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Title": self.title, "Software": None})
        plt.close(fig)
        self.png = buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/png": self.png, "text/plain": f"Hình: {self.title}"}

    def save(self, path) -> None:
        from .io import write_bytes

        write_bytes(path, self.png)


# ---- a first written reading ----------------------------------------------------------------


def _band_words(band: str) -> str:
    if band == "within":
        return "khoảng cách này nằm trong giới hạn dao động ngẫu nhiên (95%), chưa đủ để nói là khác biệt thật"
    level = "99,8%" if band.endswith("998") else "95%"
    return f"khoảng cách này vượt giới hạn {level} của biểu đồ phễu, khó giải thích bằng ngẫu nhiên"


def reading(ct: pd.DataFrame, changes: pd.DataFrame, flags: pd.DataFrame, indicator: str, year: int) -> str:
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
    out = [f"**{st['label']}, năm {year}.** Toàn địa bàn đạt {_pct_text(area)}."]
    tgt = _f(low["target_pct"])
    for what, r in (("thấp nhất", low), ("cao nhất", high)):
        gap = r["rate_pct"] - area
        s = (f"{what.capitalize()} là **{r['geo_name']}**: {_pct_text(r['rate_pct'])} "
             f"({_frac(r['numerator'], r['denominator'])}, khoảng tin cậy 95% từ {_pct_text(r['ci_low'])} "
             f"đến {_pct_text(r['ci_high'])}), {'thấp' if gap < 0 else 'cao'} hơn toàn địa bàn {_pp(abs(gap))}; "
             f"{_band_words(r['band'])}.")
        if not math.isnan(tgt):
            g = r["gap_pp"]
            s += (f" So với chỉ tiêu {_target_text(tgt)} (năm {int(r['target_year'])}), "
                  + (f"còn thiếu {_pp(abs(g))}." if g < 0 else f"đã vượt {_pp(g)}."))
        out.append(s)
        if len(data) == 1:
            break
    outside = data.loc[data["band"] != "within"]
    if len(outside):
        out.append("Khác biệt với toàn địa bàn vượt mức ngẫu nhiên: " + "; ".join(
            f"{r.geo_name} ({BANDS[r.band]})" for r in outside.itertuples()) + ".")
    else:
        out.append("Không xã nào khác toàn địa bàn vượt giới hạn 95%: chênh lệch giữa các xã năm nay có thể "
                   "chỉ là dao động ngẫu nhiên.")
    ch = changes.loc[(changes["year"] == int(year)) & changes["beyond_chance"]]
    if len(ch):
        out.append(f"So với năm {int(year) - 1}, thay đổi vượt mức ngẫu nhiên ở: " + "; ".join(
            f"{r.geo_name} ({'tăng' if r.change_pp > 0 else 'giảm'} {_pp(abs(r.change_pp))})"
            for r in ch.itertuples()) + ".")
    fl = flags.loc[(flags["year"] == int(year)) & flags["flag"]]
    if len(fl):
        out.append("Cần kiểm tra trước khi kết luận (tỷ lệ thay đổi cùng lúc với độ bao phủ báo cáo): "
                   + "; ".join(f"{r.geo_name}" for r in fl.itertuples()) + ".")
    low_cov = data.loc[data["schools_coverage_pct"] < 80]
    if len(low_cov):
        out.append("Độ bao phủ dưới 80% số trường phải báo cáo: " + "; ".join(
            f"{r.geo_name} ({_num_text(r.schools_reporting)}/{_num_text(r.schools_base)} trường)"
            for r in low_cov.itertuples()) + ".")
    out.append("*Đoạn này được sinh tự động từ số liệu; người phân tích thay bằng nhận định của mình.*")
    return "\n\n".join(out)

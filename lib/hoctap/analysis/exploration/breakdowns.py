"""The indicator recomputed for groups of units (school level, village, on time or late), and
registered against awarded households: frames of unit tables in, frames out.

The groups go through ``hoctap.analysis.indicators.contributions`` (the indicator definitions, weights
and status rules), so a group's rate is a ratio of sums exactly as a commune's is.
"""

from __future__ import annotations

import pandas as pd

from hoctap.analysis.exploration.comparisons import VILLAGE_INDICATORS, Exploration
from hoctap.analysis.exploration.statistics import counts, percent, wilson_interval
from hoctap.analysis.indicators import contributions
from hoctap.intake.schema import SCHOOL_LEVELS
from hoctap.reference import Reference

UNKNOWN_LEVEL = "Không rõ cấp học"
ON_TIME = "Nộp đúng hạn"
LATE = "Nộp muộn"


def _zip(a, b):
    return zip(a, b, strict=False)


def breakdown(
    mapped: dict[str, pd.DataFrame],
    indicator: str,
    labels: dict[str, pd.Series],
    commune: str | None = None,
) -> pd.DataFrame:
    """The indicator recomputed per group: ``labels[table]`` gives each row of that unit table
    (aligned with ``mapped[table]``) its group; rows with no label are left out.

    The numerators and denominators come from hoctap.analysis.indicators.contributions (the indicator
    definitions, weights and status rules), with the group put where the commune would be, so
    a group's rate is a ratio of sums exactly as a commune's is. ``commune`` keeps only the rows
    of that commune (geo_code).
    """
    relabelled = {}
    for name, df in mapped.items():
        df = df.copy()
        lab = labels.get(name)
        if lab is None:
            lab = pd.Series(pd.NA, index=df.index, dtype="string")
        else:
            lab = lab.astype("string")
        if commune is not None:
            lab = lab.where(df["geo_code"].astype("string") == commune)
        df["geo_code"] = lab.values
        relabelled[name] = df.loc[df["geo_code"].notna()]
    c = contributions(relabelled)
    c = c.loc[c["indicator"] == indicator]
    g = c.groupby("geo_code", sort=True)[["numerator", "denominator"]].sum().reset_index()
    g = g.rename(columns={"geo_code": "group"})
    g["group"] = g["group"].astype(str)
    g["rate_pct"] = [percent(a, b) for a, b in _zip(g["numerator"], g["denominator"])]
    ci = [wilson_interval(a, b) for a, b in _zip(g["numerator"], g["denominator"])]
    g["ci_low"] = [x[0] for x in ci]
    g["ci_high"] = [x[1] for x in ci]
    return g[["group", "numerator", "denominator", "rate_pct", "ci_low", "ci_high"]]


def _school_labels(mapped: dict[str, pd.DataFrame], by_school: dict[str, str]) -> dict[str, pd.Series]:
    return {
        name: df["school_id"].astype("string").map(by_school) if "school_id" in df else None
        for name, df in mapped.items()
    }


def school_levels(reference: Reference, schools: pd.DataFrame) -> dict[str, str]:
    """Each school's level: the registry's, else the submission's "Cấp học", else unknown."""
    out = {}
    if schools is not None and "school_level" in schools:
        for sid, lvl in _zip(schools["school_id"].astype(str), schools["school_level"]):
            if isinstance(lvl, str) and lvl.strip():
                out[sid] = lvl.strip()
    reg = reference.schools
    for sid, lvl in _zip(reg["school_id"].astype(str), reg["level"]):
        if isinstance(lvl, str) and lvl.strip():
            out[sid] = lvl.strip()
    if schools is not None:
        for sid in schools["school_id"].astype(str):
            out.setdefault(sid, UNKNOWN_LEVEL)
    return out


def breakdown_by_level(data: Exploration, indicator: str, year: int, commune: str | None = None) -> pd.DataFrame:
    """The indicator by school level: villages and organizations count under the level of the
    school that reported them, schools under their own."""
    mapped = data.mapped[year]
    levels = school_levels(data.reference, mapped["schools"])
    out = breakdown(mapped, indicator, _school_labels(mapped, levels), commune)
    order = {lvl: i for i, lvl in enumerate(SCHOOL_LEVELS)}
    out = out.assign(_o=out["group"].map(lambda g: order.get(g, len(order))))
    return out.sort_values(["_o", "group"]).drop(columns="_o").reset_index(drop=True)


def breakdown_by_timeliness(data: Exploration, indicator: str, year: int, commune: str | None = None) -> pd.DataFrame:
    """The indicator for figures from schools that reported on time against late ones
    (completeness.csv ``on_time``): late reporters may be the weaker schools."""
    comp = data.completeness.get(year)
    if comp is None or not len(comp):
        return breakdown({}, indicator, {}, commune)
    submitted = comp.loc[comp["submitted"].astype(str).str.lower().isin(["true", "1"])]
    by_school = {
        str(s): (ON_TIME if str(t).lower() in ("true", "1") else LATE)
        for s, t in _zip(submitted["school_id"], submitted["on_time"])
    }
    mapped = data.mapped[year]
    return breakdown(mapped, indicator, _school_labels(mapped, by_school), commune)


def breakdown_by_village(data: Exploration, indicator: str, year: int, commune: str | None) -> pd.DataFrame:
    """The indicator for each village of one commune, lowest first: which villages pull the
    commune down. Empty for an indicator not counted over villages, or without a commune (none
    has a rate)."""
    if commune is None or indicator not in VILLAGE_INDICATORS:
        return breakdown({}, indicator, {}, commune)
    v = data.mapped[year]["villages"]
    out = breakdown({"villages": v}, indicator, {"villages": v["village"].astype("string")}, commune)
    return out.sort_values(["rate_pct", "group"], na_position="first").reset_index(drop=True)


# ---- registered against awarded households ------------------------------------------------


def registered_vs_awarded(villages: pd.DataFrame, by: str = "commune_code") -> pd.DataFrame:
    """Households registered for "Gia đình học tập" against households awarded it, per ``by``.

    A commune can be behind because few households register, or because few registered ones
    are awarded; the two call for different actions. Only ``used`` rows with all three counts
    enter, so the three shares have the same base. ``awarded_unregistered`` sums, per village,
    the households awarded beyond those registered (a warning in the cleaning rules). Rows of
    mapped tables (hoctap.analysis.indicators.map_tables) count with their ``weight`` (a split's share).
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
        g[c] = counts(g[c]).values
    g["registered_pct"] = [percent(a, b) for a, b in _zip(g["households_registered"], g["households_total"])]
    g["awarded_pct"] = [percent(a, b) for a, b in _zip(g["households_family_title"], g["households_total"])]
    g["awarded_of_registered_pct"] = [
        percent(a, b) for a, b in _zip(g["households_family_title"], g["households_registered"])
    ]
    return g

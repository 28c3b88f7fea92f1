"""The ten indicators of the plan: definitions, computation, targets, status and coverage.

Every rate is a ratio of sums over the units in a geography (never a mean of rates), stored
unrounded on the 0-100 scale; a zero denominator gives an undefined rate (NaN), never 0.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    """One indicator of the plan and how every report shows it.

    ``colour``/``hatch``/``marker`` are fixed per indicator so every chart, in colour or in
    black-and-white print, draws the same indicator the same way. Colours are the Okabe-Ito
    colour-blind-safe set plus darker tones (no pale yellow: it vanishes on paper).
    """

    code: str
    label: str
    short_label: str
    numerator_unit: str
    denominator_unit: str
    colour: str
    hatch: str
    marker: str

    @property
    def units(self) -> str:
        """What is counted, for table headers ("hộ", "người", ...)."""
        return self.denominator_unit


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "family_title_rate",
        'Tỷ lệ hộ gia đình đạt danh hiệu "Gia đình học tập"',
        "Gia đình học tập",
        "hộ",
        "hộ",
        "#0072B2",
        "///",
        "o",
    ),
    Indicator(
        "clan_title_rate",
        'Tỷ lệ dòng họ đạt danh hiệu "Dòng họ học tập"',
        "Dòng họ học tập",
        "dòng họ",
        "dòng họ",
        "#E69F00",
        "\\\\\\",
        "s",
    ),
    Indicator(
        "community_title_rate",
        'Tỷ lệ thôn, buôn, tổ dân phố đạt danh hiệu "Cộng đồng học tập"',
        "Cộng đồng học tập",
        "thôn, buôn, tổ dân phố",
        "thôn, buôn, tổ dân phố",
        "#009E73",
        "xxx",
        "^",
    ),
    Indicator(
        "school_unit_title_rate",
        'Tỷ lệ trường học đạt danh hiệu "Đơn vị học tập"',
        "Trường học ĐVHT",
        "trường",
        "trường",
        "#CC79A7",
        "...",
        "D",
    ),
    Indicator(
        "unit_title_rate",
        'Tỷ lệ cơ quan, tổ chức, trường học, doanh nghiệp đạt danh hiệu "Đơn vị học tập"',
        "Đơn vị học tập",
        "đơn vị",
        "đơn vị",
        "#D55E00",
        "---",
        "v",
    ),
    Indicator(
        "worker_citizen_rate",
        'Tỷ lệ người lao động trong GĐHT, DHHT, CĐHT đạt danh hiệu "Công dân học tập"',
        "CDHT (người lao động)",
        "người",
        "người",
        "#56B4E9",
        "|||",
        "P",
    ),
    Indicator(
        "school_staff_citizen_rate",
        'Tỷ lệ cán bộ, giáo viên, nhân viên trong trường đạt "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
        "CDHT (CB, GV, NV)",
        "người",
        "người",
        "#8C6D1F",
        "+++",
        "X",
    ),
    Indicator(
        "unit_staff_citizen_rate",
        'Tỷ lệ cán bộ, công chức, viên chức trong "Đơn vị học tập" đạt danh hiệu "Công dân học tập"',
        "CDHT (CB, CC, VC)",
        "người",
        "người",
        "#5F5F5F",
        "oo",
        "h",
    ),
    Indicator(
        "member_policy_rate",
        "Tỷ lệ hội viên khuyến học được học tập, quán triệt chủ trương",
        "Hội viên quán triệt",
        "hội viên",
        "hội viên",
        "#332288",
        "//..",
        "*",
    ),
    Indicator(
        "cadre_clc_it_rate",
        "Tỷ lệ cán bộ làm công tác khuyến học tham gia hoạt động TTHTCĐ và được bồi dưỡng CNTT",
        "Cán bộ KH bồi dưỡng CNTT",
        "cán bộ",
        "cán bộ",
        "#882255",
        "\\\\..",
        "p",
    ),
)

BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS)


# ---- computation -------------------------------------------------------------------------

import datetime as dt  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hoctap import programme  # noqa: E402
from hoctap.analysis import geography  # noqa: E402
from hoctap.catalog import INDICATOR_COLUMNS, INDICATOR_DIAGNOSTICS, Catalog  # noqa: E402
from hoctap.errors import HoctapError  # noqa: E402
from hoctap.paths import Workspace  # noqa: E402
from hoctap.reference import Reference  # noqa: E402
from hoctap.vocabulary import STATUS_BEHIND, STATUS_MET, STATUS_NOT_MET, STATUS_ON_TRACK  # noqa: E402, F401

PROGRAMME_START = programme.START_YEAR
AREA_CODE = "AREA"
USED = "used"
RATE_DIGITS = 10  # snap float noise (0.1 + 0.2) so "met exactly" is met; far below any print

COLUMNS = [*INDICATOR_COLUMNS, *INDICATOR_DIAGNOSTICS]  # the catalog's indicators.csv
COUNT_COLUMNS = ["schools", "villages", "orgs"]


@dataclass(frozen=True)
class _Part:
    """One table's share of an indicator.

    ``denominator`` None: the numerator is a yes/no field and each unit with an answer counts 1
    in the denominator. ``titled``: only units whose title field is yes (the staff indicators).
    """

    table: str
    numerator: str
    denominator: str | None = None
    titled: str | None = None


PARTS: dict[str, tuple[_Part, ...]] = {
    "family_title_rate": (_Part("villages", "households_family_title", "households_total"),),
    "clan_title_rate": (_Part("villages", "clans_title", "clans_total"),),
    "community_title_rate": (_Part("villages", "community_title"),),
    "school_unit_title_rate": (_Part("schools", "school_unit_title"),),
    "unit_title_rate": (_Part("schools", "school_unit_title"), _Part("orgs", "org_unit_title")),
    "worker_citizen_rate": (_Part("villages", "workers_citizen", "workers_total"),),
    "school_staff_citizen_rate": (_Part("schools", "staff_citizen", "staff_total", "school_unit_title"),),
    "unit_staff_citizen_rate": (
        _Part("schools", "staff_citizen", "staff_total", "school_unit_title"),
        _Part("orgs", "org_staff_citizen", "org_staff_total", "org_unit_title"),
    ),
    "member_policy_rate": (_Part("schools", "members_policy", "members_total"),),
    "cadre_clc_it_rate": (_Part("schools", "cadres_clc_it", "cadres_total"),),
}


def rate(numerator: float, denominator: float) -> float:
    """100 * numerator / denominator, NaN when the denominator is 0 (undefined, not 0)."""
    if denominator is None or pd.isna(denominator) or denominator == 0 or pd.isna(numerator):
        return math.nan
    return round(100.0 * float(numerator) / float(denominator), RATE_DIGITS)


def _used(df: pd.DataFrame | None) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame()
    if "status" not in df:
        return df
    return df[(df["status"] == USED).fillna(False).astype(bool)]


def _yes(series: pd.Series) -> pd.Series:
    """A yes/no column as booleans with <NA> kept (bool, boolean, or "True"/"False" text)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map({"true": True, "false": False, "1": True, "0": False, "có": True, "không": False})
    return mapped.astype("boolean")


def _registry_commune(reference: Reference) -> dict[str, str]:
    reg = reference.schools
    return dict(zip(reg["school_id"], reg["commune_code"], strict=False))


def map_tables(
    tables: dict[str, pd.DataFrame | None],
    reference: Reference,
    on: dt.date,
    seen: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Each unit table with ``geo_code`` and ``weight`` on the communes valid on ``on``.

    Hints for going backwards: a school's registry commune; a village's communes in other
    years (``seen``: commune_code, village_key), then its reporting school's registry commune.
    """
    registry = _registry_commune(reference)
    out = {}
    for name in COUNT_COLUMNS:
        df = tables.get(name)
        if df is None or not len(df):
            out[name] = pd.DataFrame(columns=[*(df.columns if df is not None else []), "geo_code", "weight"])
            continue
        hints = []
        if name == "villages" and seen is not None and len(seen) and "village_key" in df:
            history = (
                seen.dropna(subset=["commune_code", "village_key"])
                .groupby("village_key")["commune_code"]
                .agg(lambda s: tuple(sorted(set(s))))
            )
            hints.append(df["village_key"].map(history))
        if "school_id" in df:
            hints.append(df["school_id"].map(registry))
        out[name] = geography.map_units(df, reference, on, hints=hints)
    return out


def contributions(mapped: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Weighted numerator and denominator of every (row, indicator) that has the values it needs.

    A row missing a value leaves only the indicators that need that value; a row of another
    status than ``used`` leaves them all.
    """
    frames = []
    for code, parts in PARTS.items():
        for part in parts:
            df = _used(mapped.get(part.table))
            if not len(df) or part.numerator not in df:
                continue
            keep = pd.Series(True, index=df.index)
            if part.titled:
                keep &= _yes(df[part.titled]).fillna(False).astype(bool)
            if part.denominator is None:
                num = _yes(df[part.numerator])
                keep &= num.notna()
                den = pd.Series(1.0, index=df.index)
                num = num.astype("Float64")
            else:
                if part.denominator not in df:
                    continue
                num = pd.to_numeric(df[part.numerator], errors="coerce").astype("Float64")
                den = pd.to_numeric(df[part.denominator], errors="coerce").astype("Float64")
                keep &= num.notna() & den.notna()
            keep = keep.fillna(False).astype(bool)
            w = df["weight"].astype(float)
            frames.append(
                pd.DataFrame(
                    {
                        "indicator": code,
                        "geo_code": df.loc[keep, "geo_code"].astype("string"),
                        "numerator": (num[keep].astype(float) * w[keep]).astype(float),
                        "denominator": (den[keep].astype(float) * w[keep]).astype(float),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(
            {
                "indicator": [],
                "geo_code": pd.Series([], dtype="string"),
                "numerator": [],
                "denominator": [],
            }
        )
    return pd.concat(frames, ignore_index=True)


def _per_geo(values: pd.Series, geo: pd.Series) -> tuple[dict[str, float], float]:
    """Sum per commune and the area total (rows without a commune count only in the area)."""
    frame = pd.DataFrame({"geo": geo.astype("string").values, "v": values.astype(float).values})
    per = frame.dropna(subset=["geo"]).groupby("geo")["v"].sum().to_dict()
    return per, float(frame["v"].sum())


def _distinct_weight(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """One row per (geo_code, key...) with its largest weight: a unit seen twice counts once."""
    sub = df.dropna(subset=key)
    if not len(sub):
        return pd.DataFrame({"geo_code": pd.Series([], dtype="string"), "weight": pd.Series([], dtype=float)})
    return sub.groupby(["geo_code", *key], dropna=False)["weight"].max().reset_index()


def coverage(
    mapped: dict[str, pd.DataFrame],
    reference: Reference,
    year: int,
    on: dt.date,
    seen_mapped: pd.DataFrame | None = None,
    completeness: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage per commune valid on ``on`` and for the area (geo_code AREA).

    schools_reporting: schools whose figures enter (status used); schools_expected: registry
    schools active in ``year``, registry commune carried to ``on``; villages_reporting /
    villages_known: distinct villages used this year / seen in any year given (``seen_mapped``);
    reporting_rate_pct / on_time_rate_pct: from completeness.csv, submitted (on time) among the
    expected schools, per commune of the expected school.
    """
    out: dict[str, dict[str, float]] = {}

    def put(col: str, per: dict[str, float], total: float) -> None:
        for geo, v in per.items():
            out.setdefault(geo, {})[col] = v
        out.setdefault(AREA_CODE, {})[col] = total

    schools = _used(mapped["schools"])
    if len(schools):
        d = _distinct_weight(schools, ["school_id"])
        put("schools_reporting", *_per_geo(d["weight"], d["geo_code"]))
    expected = reference.schools_active(year)
    if len(expected):
        exp = geography.map_units(expected, reference, on)
        put("schools_expected", *_per_geo(exp["weight"], exp["geo_code"]))
    villages = _used(mapped["villages"])
    if len(villages):
        d = _distinct_weight(villages, ["village_key"])
        put("villages_reporting", *_per_geo(d["weight"], d["geo_code"]))
    known = [v for v in (seen_mapped, mapped["villages"]) if v is not None and len(v)]
    if known:
        d = _distinct_weight(pd.concat([k[["geo_code", "village_key", "weight"]] for k in known]), ["village_key"])
        put("villages_known", *_per_geo(d["weight"], d["geo_code"]))
    if completeness is not None and len(completeness):
        comp = completeness.copy()
        if "expected" in comp:
            comp = comp[_yes(comp["expected"]).fillna(False).astype(bool)]
        if len(comp):
            registry = _registry_commune(reference)
            code = (
                comp["commune_code"].astype("string")
                if "commune_code" in comp
                else pd.Series(pd.NA, index=comp.index, dtype="string")
            )
            comp["commune_code"] = code.fillna(comp["school_id"].map(registry).astype("string"))
            comp = geography.map_units(comp, reference, on, hints=[comp["school_id"].map(registry)])
            w = comp["weight"].astype(float)
            per_exp, tot_exp = _per_geo(w, comp["geo_code"])
            for col, flag in (("reporting_rate_pct", "submitted"), ("on_time_rate_pct", "on_time")):
                hit = _yes(comp[flag]).fillna(False).astype(float) if flag in comp else pd.Series(0.0, index=comp.index)
                per_hit, tot_hit = _per_geo(hit.values * w, comp["geo_code"])
                put(
                    col,
                    {g: rate(per_hit.get(g, 0.0), per_exp[g]) for g in per_exp},
                    rate(tot_hit, tot_exp),
                )
    return pd.DataFrame.from_dict(out, orient="index").rename_axis("geo_code").reset_index()


def aggregate(
    tables: dict[str, pd.DataFrame | None],
    reference: Reference,
    year: int,
    geography_date: dt.date | None = None,
    completeness: pd.DataFrame | None = None,
    seen: pd.DataFrame | None = None,
    area_name: str | None = None,
) -> pd.DataFrame:
    """Numerators, denominators, rates and coverage of one year on one geography, no status.

    One row per (commune valid on the date, indicator), communes without data included (rate
    undefined), then the area rows. The area figure is the sum over all rows, so it equals the
    sum of the communes' figures whenever every row has a commune.
    """
    on = geography_date or geography.year_date(reference, year)
    mapped = map_tables(tables, reference, on, seen)
    unplaced = [f"Năm {year}: {df.attrs['unplaced']}" for df in mapped.values() if df.attrs.get("unplaced")]
    seen_mapped = None
    if seen is not None and len(seen):
        seen_mapped = map_tables({"villages": seen}, reference, on, seen)["villages"]
    contrib = contributions(mapped)
    cover = coverage(mapped, reference, year, on, seen_mapped, completeness).set_index("geo_code")
    communes = list(reference.communes_valid_on(on))
    extra = sorted(set(contrib["geo_code"].dropna()) - set(communes))
    geos = [*communes, *extra]
    if area_name is None:
        area_name = geography.area_name_on(reference, on)
    rows = []
    for code in CODES:
        sub = contrib[contrib["indicator"] == code]
        per_num, tot_num = _per_geo(sub["numerator"], sub["geo_code"])
        per_den, tot_den = _per_geo(sub["denominator"], sub["geo_code"])
        for level, geo, name, num, den in [
            *[("commune", g, reference.commune_label(g), per_num.get(g, 0.0), per_den.get(g, 0.0)) for g in geos],
            ("area", AREA_CODE, area_name, tot_num, tot_den),
        ]:
            cov = cover.loc[geo] if geo in cover.index else {}
            rows.append(
                {
                    "year": int(year),
                    "geo_level": level,
                    "geo_code": geo,
                    "geo_name": name,
                    "indicator": code,
                    "label": BY_CODE[code].label,
                    "numerator": num,
                    "denominator": den,
                    "rate_pct": rate(num, den),
                    **{
                        c: float(cov.get(c, 0.0) if not pd.isna(cov.get(c, 0.0)) else 0.0)
                        for c in (
                            "schools_reporting",
                            "schools_expected",
                            "villages_reporting",
                            "villages_known",
                        )
                    },
                    **{c: float(cov.get(c, math.nan)) for c in ("reporting_rate_pct", "on_time_rate_pct")},
                    "geography_date": on.isoformat(),
                }
            )
    out = pd.DataFrame(rows)
    out.attrs["unplaced"] = unplaced  # rows counted in the area only: reports must say so
    return out


# ---- targets and status ------------------------------------------------------------------


def governing_target(targets: pd.DataFrame, indicator: str, year: int) -> tuple[int, float] | None:
    """The first target year >= ``year`` for the indicator, with its target; None when none."""
    t = targets[(targets["indicator"] == indicator) & (targets["target_year"] >= year)]
    if not len(t):
        return None
    row = t.sort_values("target_year").iloc[0]
    return int(row["target_year"]), float(row["target_pct"])


def trajectory(base_year: int, base_pct: float, target_year: int, target_pct: float, year: int) -> float:
    """The straight line from the baseline rate to the target, evaluated at ``year``."""
    if target_year == base_year:
        return target_pct
    value = base_pct + (target_pct - base_pct) * (year - base_year) / (target_year - base_year)
    return round(value, RATE_DIGITS)


def status(
    rate_pct: float,
    year: int,
    target_year: int | None,
    target_pct: float | None,
    base_year: int | None = None,
    base_pct: float | None = None,
) -> str | None:
    """Đạt / Chưa đạt at the target year; Đúng / Chậm tiến độ before it (straight line from the
    baseline); None without a rate or a target."""
    if target_year is None or target_pct is None or pd.isna(target_pct) or pd.isna(rate_pct):
        return None
    if year >= target_year:
        return STATUS_MET if rate_pct >= target_pct else STATUS_NOT_MET
    if base_year is None or base_pct is None or pd.isna(base_pct):
        base_year, base_pct = year, rate_pct
    expected = trajectory(base_year, base_pct, target_year, target_pct, year)
    return STATUS_ON_TRACK if rate_pct >= expected else STATUS_BEHIND


def baselines(history: pd.DataFrame) -> pd.DataFrame:
    """Per (geo_code, indicator): the first year from 2021 with a defined rate, and that rate."""
    h = history[(history["year"] >= PROGRAMME_START) & history["rate_pct"].notna()]
    if not len(h):
        return pd.DataFrame(columns=["geo_code", "indicator", "baseline_year", "baseline_pct"])
    first = h.sort_values("year").groupby(["geo_code", "indicator"], as_index=False).first()
    return first.rename(columns={"year": "baseline_year", "rate_pct": "baseline_pct"})[
        ["geo_code", "indicator", "baseline_year", "baseline_pct"]
    ]


def assess(table: pd.DataFrame, targets: pd.DataFrame, history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add target_year, target_pct, baseline, trajectory_pct and status to aggregated rows.

    ``history``: rows (year, geo_code, indicator, rate_pct) of any years on the same geography;
    the table's own rows are added, so a first year with data is its own baseline.
    """
    own = table[["year", "geo_code", "indicator", "rate_pct"]]
    hist = (
        own
        if history is None or not len(history)
        else pd.concat([history[["year", "geo_code", "indicator", "rate_pct"]], own], ignore_index=True)
    )
    base = baselines(hist).set_index(["geo_code", "indicator"])
    out = table.copy()
    cols: dict[str, list] = {
        k: []
        for k in (
            "target_year",
            "target_pct",
            "baseline_year",
            "baseline_pct",
            "trajectory_pct",
            "status",
        )
    }
    for r in out.itertuples(index=False):
        gov = governing_target(targets, r.indicator, int(r.year))
        b = base.loc[(r.geo_code, r.indicator)] if (r.geo_code, r.indicator) in base.index else None
        by = int(b["baseline_year"]) if b is not None and int(b["baseline_year"]) <= int(r.year) else None
        bp = float(b["baseline_pct"]) if by is not None else math.nan
        ty, tp = gov if gov else (None, math.nan)
        traj = math.nan
        if gov and ty > int(r.year) and by is not None:
            traj = trajectory(by, bp, ty, tp, int(r.year))
        cols["target_year"].append(ty)
        cols["target_pct"].append(tp)
        cols["baseline_year"].append(by)
        cols["baseline_pct"].append(bp)
        cols["trajectory_pct"].append(traj)
        cols["status"].append(
            # the baseline year is on its own line by definition: not judged (0% is not "on track")
            status(r.rate_pct, int(r.year), ty, tp, by, bp)
            if (by is not None and by < int(r.year)) or (gov and ty <= int(r.year))
            else None
        )
    for k, v in cols.items():
        if k in ("target_year", "baseline_year"):
            out[k] = pd.array(v, dtype="Int64")
        elif k == "status":
            out[k] = pd.array(v, dtype="string")
        else:
            out[k] = np.asarray(v, dtype=float)
    return out


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Columns in contract order; whole-number counts as Int64 (fractions only after a split)."""
    out = table.copy()
    for col in (
        "numerator",
        "denominator",
        "schools_reporting",
        "schools_expected",
        "villages_reporting",
        "villages_known",
    ):
        values = out[col].astype(float)
        if len(values) and np.allclose(values, values.round(), atol=1e-9, rtol=0):
            out[col] = values.round().astype("Int64")
    return out[[c for c in COLUMNS if c in out] + [c for c in out if c not in COLUMNS]]


def compute(
    schools: pd.DataFrame | None,
    villages: pd.DataFrame | None,
    orgs: pd.DataFrame | None,
    reference: Reference,
    year: int,
    geography_date: dt.date | None = None,
    completeness: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    seen: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every indicator of one year, per commune and for the area, with targets, status, coverage.

    Pure: DataFrames in (the processed tables' contract), DataFrame out (indicators.csv
    columns). ``geography_date`` defaults to the year's own geography. ``history`` holds earlier
    years' rates on the same geography (for the straight-line status); ``seen`` the village rows
    of every year considered (for villages_known).
    """
    table = aggregate(
        {"schools": schools, "villages": villages, "orgs": orgs},
        reference,
        year,
        geography_date,
        completeness,
        seen,
    )
    return _tidy(assess(table, reference.targets, history))


# ---- files -------------------------------------------------------------------------------


def read_year(ws: Workspace, year: int, required: bool = True) -> dict[str, pd.DataFrame | None] | None:
    """The processed tables of a year (schools, villages, orgs, completeness).

    Missing schools or villages: HoctapError telling to run the cleaning (or None when not
    ``required``). orgs and completeness are optional (no organizations reported, no ledger).
    """
    cat = Catalog(ws)
    missing = [cat.path(n, year=year).name for n in ("schools", "villages") if not cat.exists(n, year=year)]
    if missing:
        if not required:
            return None
        raise HoctapError(
            f"Chưa có số liệu đã làm sạch của năm {year} ({', '.join(missing)} trong {ws.processed(year)}): "
            f"hãy chạy `hoctap clean --year {year}` trước."
        )
    tables = {name: cat.read(name, optional=True, year=year) for name in COUNT_COLUMNS}
    tables["completeness"] = cat.read(
        "completeness",
        optional=True,
        year=year,
        dtype={"school_id": "string", "commune_code": "string"},
    )
    return tables


def villages_seen(ws: Workspace, years) -> pd.DataFrame:
    """commune_code, village_key, school_id, year of every village row of the given years."""
    frames = []
    cols = ["year", "commune_code", "village_key", "school_id"]
    for y in years:
        df = Catalog(ws).read("villages", optional=True, year=y)
        if df is not None:
            frames.append(df[cols].assign(year=int(y)))
    if not frames:
        return pd.DataFrame(columns=cols)
    return pd.concat(frames, ignore_index=True).drop_duplicates()


def history_on(
    ws: Workspace,
    reference: Reference,
    years,
    geography_date: dt.date,
    seen: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rates of the given years (those with processed data) carried to one geography, no status."""
    frames = []
    for y in years:
        tables = read_year(ws, y, required=False)
        if tables is None:
            continue
        comp = tables.pop("completeness")
        frames.append(aggregate(tables, reference, y, geography_date, comp, seen))
    if not frames:
        return pd.DataFrame(columns=["year", "geo_code", "indicator", "rate_pct"])
    return pd.concat(frames, ignore_index=True)


def build_year(ws: Workspace, year: int) -> pd.DataFrame:
    """Compute year ``year``'s indicators on its own geography and write processed/<year>/indicators.csv.

    Earlier years (from 2021) are read and carried to this year's geography for the baseline of
    the straight-line status; villages known are those seen up to this year.
    """
    reference = Reference(ws.reference_dir)
    tables = read_year(ws, year)
    on = geography.year_date(reference, year)
    years_before = [y for y in ws.processed_years() if PROGRAMME_START <= y < year]
    seen = villages_seen(ws, [y for y in ws.processed_years() if y <= year])
    history = history_on(ws, reference, years_before, on, seen)
    result = compute(
        tables["schools"],
        tables["villages"],
        tables["orgs"],
        reference,
        year,
        on,
        tables["completeness"],
        history,
        seen,
    )
    Catalog(ws).write("indicators", result, year=year)
    return result

"""The data of a 5-year or 10-year review (sơ kết 2021-2025, tổng kết 2021-2030).

The period tables (``processed/periods/<kind>-<from>-<to>/``) are written by
``hoctap.analysis.periods.build_period`` before the review is built; ``load`` only reads them, with each
year's ledgers, into a ``PeriodData``. The helpers here derive what the sections print (coverage
over the years, results per indicator, the geography in words) using the columns those tables
are written with (``periods.SUMMARY_COLUMNS``, ``periods.CANDIDATE_COLUMNS``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from hoctap import programme as programme_calendar
from hoctap.analysis import periods
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError
from hoctap.fmt import to_date
from hoctap.paths import Workspace
from hoctap.reference import Reference
from hoctap.report.data import ReportData, as_bool, issue_settings, latest_report_date, units_word
from hoctap.report.meta import DASH, date_vn, date_words, is_missing, pct, target_pct
from hoctap.vocabulary import (
    ACCEPTED,
    ERROR,
    REJECTED,
    STATUS_BEHIND,
    STATUS_MET,
    STATUS_NOT_MET,
    STATUS_ON_TRACK,
    SUPERSEDED,
    WARNING,
)

PERIOD_TARGET_YEAR = programme_calendar.REVIEW_TARGET_YEAR
PROJECTION_YEAR = programme_calendar.END_YEAR
KIND_WORDS = {
    programme_calendar.SO_KET: ("Sơ kết", "sơ kết", 5),
    programme_calendar.TONG_KET: ("Tổng kết", "tổng kết", 10),
}
COVERAGE_SHIFT_PP = 10.0  # a change in the reporting rate this large is worth a sentence


def year_span(years: list[int]) -> str:
    """[2021, 2022, 2023, 2025] -> "2021-2023, 2025"."""
    if not years:
        return DASH
    parts, start, prev = [], years[0], years[0]
    for y in list(years[1:]) + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


@dataclass(kw_only=True)
class PeriodData(ReportData):
    kind: str
    year_from: int
    year_to: int
    geography_date: dt.date
    indicators: pd.DataFrame  # processed/periods/.../indicators.csv
    summary: pd.DataFrame  # processed/periods/.../summary.csv
    candidates: pd.DataFrame  # processed/periods/.../candidates.csv
    completeness: dict[int, pd.DataFrame] = field(default_factory=dict)
    intake: dict[int, pd.DataFrame] = field(default_factory=dict)
    issues: dict[int, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # rows only the area total holds (notes.txt)

    # -- the period ----------------------------------------------------------------------
    @property
    def stem(self) -> str:
        return f"{self.kind}-{self.year_from}-{self.year_to}"

    @property
    def years(self) -> list[int]:
        """Years of the period that have data."""
        return sorted(int(y) for y in self.indicators["year"].dropna().unique())

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def last_year(self) -> int:
        return self.years[-1]

    @property
    def missing_years(self) -> list[int]:
        return [y for y in range(self.year_from, self.year_to + 1) if y not in self.years]

    @property
    def is_over(self) -> bool:
        """True when the period's last year has data; else the review is "to date"."""
        return self.last_year >= self.year_to

    @property
    def target_year(self) -> int:
        return PERIOD_TARGET_YEAR.get(self.kind, self.year_to)

    @property
    def words(self) -> tuple[str, str, int]:
        """("Sơ kết", "sơ kết", 5): the review's name, capitalised and not, and its length."""
        n = self.year_to - self.year_from + 1
        return KIND_WORDS.get(self.kind, ("Tổng kết", "tổng kết", n))

    # -- tables --------------------------------------------------------------------------
    @property
    def area(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "area"].copy()

    @property
    def communes(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "commune"].copy()

    def summary_at(self, level: str) -> pd.DataFrame:
        if not len(self.summary):
            return pd.DataFrame(columns=periods.SUMMARY_COLUMNS)
        return self.summary[self.summary["geo_level"] == level].copy()

    @property
    def data_date(self) -> dt.date | None:
        """The figures' date: the latest report date of an accepted submission of the last year."""
        return self.data_date_until(latest_report_date(self.intake.get(self.last_year))) if self.years else None

    def source_caption(self) -> str:
        when = f"; số liệu tính đến ngày {date_vn(self.data_date)}" if self.data_date else ""
        return (
            "Nguồn: tổng hợp báo cáo hằng năm của các trường học, các năm "
            f"{year_span(self.years)}{when}; {geography_words(self, short=True)}."
        )

    def summary_line(self) -> str:
        plan = self.settings.get("plan", {})
        programme = plan.get("programme", programme_calendar.NAME)
        cap, _low, n = self.words
        period = f"Chương trình “{programme}” giai đoạn {self.year_from}-{self.year_to}"
        if self.is_over:
            return f"{cap} {n} năm thực hiện {period}"
        return f"Kết quả thực hiện {period} (tính đến năm {self.last_year})"

    def provenance_facts(self):
        geo = f"ngày {date_vn(self.geography_date)} ({geography_words(self, short=True)})"
        return (
            [
                ("Loại báo cáo", f"{self.words[0]} {self.words[2]} năm ({self.kind})"),
                ("Giai đoạn", f"{self.year_from}-{self.year_to}"),
                ("Các năm có số liệu", year_span(self.years)),
                ("Địa giới hành chính dùng cho mọi năm", geo),
            ],
            [("Bảng số liệu giai đoạn", str(PurePath("processed", "periods", self.stem)))],
        )

    def input_files(self):
        return sorted(self.intake.items())


def report_title(d: PeriodData) -> str:
    """A review at its period's end is a "sơ kết"/"tổng kết"; before, a progress report "to date"."""
    cap, _low, n = d.words
    if d.is_over:
        return f"Báo cáo {cap.lower()} {n} năm Chương trình học tập suốt đời giai đoạn {d.year_from}-{d.year_to}"
    return (
        f"Báo cáo kết quả thực hiện Chương trình học tập suốt đời giai đoạn {d.year_from}-{d.year_to} "
        f"(tính đến năm {d.last_year})"
    )


def load(ws: Workspace, kind: str, year_from: int, year_to: int, geography_date=None, issue_date=None) -> PeriodData:
    """Read the period tables (written by ``periods.build_period``) and each year's ledgers, with
    the settings valid on the issue date (given, else today)."""
    geo = to_date(geography_date)
    cat = Catalog(ws)
    keys = {"kind": kind, "year_from": int(year_from), "year_to": int(year_to)}
    indicators = cat.read("period_indicators", optional=True, **keys)
    if indicators is None or not len(indicators):
        raise HoctapError(f"chưa có bảng giai đoạn {cat.path('period_indicators', **keys)}")
    summary = cat.read("period_summary", optional=True, **keys)
    candidates = cat.read("period_candidates", optional=True, **keys)
    if geo is None and "geography_date" in indicators:
        geo = to_date(indicators["geography_date"].dropna().iloc[0])
    notes = cat.read("period_notes", optional=True, **keys)
    ref = Reference(ws.reference_dir)
    day, settings = issue_settings(ref, issue_date)
    d = PeriodData(
        issue_date=day,
        ws=ws,
        kind=kind,
        year_from=int(year_from),
        year_to=int(year_to),
        geography_date=geo or dt.date.today(),
        settings=settings,
        reference=ref,
        indicators=indicators,
        summary=summary if summary is not None else pd.DataFrame(),
        candidates=(candidates if candidates is not None else pd.DataFrame(columns=periods.CANDIDATE_COLUMNS)),
        notes=notes.splitlines() if notes is not None else [],
    )
    for year in range(d.year_from, d.year_to + 1):
        for name, store in (
            ("completeness", d.completeness),
            ("intake", d.intake),
            ("issues", d.issues),
        ):
            df = cat.read(name, optional=True, year=year)
            if df is not None:
                store[year] = df
    return d


# ---- the geography --------------------------------------------------------------------------


def geography(d: PeriodData) -> dict:
    """The geography the review uses: communes valid on its date, how many, and how to name it."""
    ref = d.reference
    codes = ref.communes_valid_on(d.geography_date)
    com = ref.communes[ref.communes["code"].isin(codes)]
    starts = {x for x in com["valid_from_date"] if x is not None}
    ends = {x for x in com["valid_to_date"] if x is not None}
    changed = ref.changes["effective"].dropna()
    period = (dt.date(d.year_from, 1, 1), dt.date(d.year_to, 12, 31))
    changed = sorted({c for c in changed if period[0] < c <= period[1]})
    after = bool(starts) and min(starts) > period[0]
    before = len(com) > 0 and all(x is not None for x in com["valid_to_date"]) and bool(changed)
    return {
        "codes": codes,
        "n": len(codes),
        "units": units_word(com["kind"].tolist()),
        "after": after,
        "before": before,
        "changed": changed,
        "start": min(starts) if after else None,
        "end": max(ends) if before else None,
    }


def geography_words(d: PeriodData, short: bool = False) -> str:
    """The sentence that names the geography of every table of the review."""
    g = geography(d)
    if g["after"]:
        what = f"địa giới {g['n']} {g['units']} sau sắp xếp (hiệu lực từ {date_words(g['start'])})"
    elif g["before"]:
        what = f"địa giới {g['n']} {g['units']} trước sắp xếp (có hiệu lực đến {date_words(g['end'])})"
    else:
        what = f"địa giới {g['n']} {g['units']} tại {date_words(d.geography_date)}"
    if short:
        return f"theo {what}"
    return f"Số liệu các năm được quy đổi theo {what}."


# ---- coverage and quality over the years -------------------------------------------------------


COVERAGE_COLUMNS = [
    "year",
    "expected",
    "submitted",
    "on_time",
    "late",
    "missing",
    "unexpected",
    "reporting_rate",
    "on_time_rate",
]


def coverage_by_year(d: PeriodData) -> pd.DataFrame:
    """Schools expected, submitted, on time, late and missing per year, with the two rates.

    Read from each year's ``completeness.csv`` (the ledger, independent of geography); a year
    without it falls back to the coverage columns of the period's area rows.
    """
    rows = []
    area = d.area
    for year in range(d.year_from, d.year_to + 1):
        comp = d.completeness.get(year)
        if comp is not None and len(comp):
            exp = comp[as_bool(comp["expected"])] if "expected" in comp else comp
            sub = as_bool(exp["submitted"])
            on = as_bool(exp["on_time"]) & sub
            n_exp, n_sub, n_on = len(exp), int(sub.sum()), int(on.sum())
            extra = int((as_bool(comp["submitted"]) & ~as_bool(comp["expected"])).sum()) if "expected" in comp else 0
        else:
            a = area[area["year"] == year]
            if not len(a) or is_missing(a.iloc[0]["schools_expected"]):
                continue
            first = a.iloc[0]
            n_exp = int(first["schools_expected"])
            n_sub = 0 if is_missing(first["schools_reporting"]) else int(first["schools_reporting"])
            rate = first.get("on_time_rate_pct")
            n_on = None if is_missing(rate) else round(float(rate) * n_exp / 100)
            extra = 0
        rows.append(
            {
                "year": year,
                "expected": n_exp,
                "submitted": n_sub,
                "on_time": n_on,
                "late": None if n_on is None else n_sub - n_on,
                "missing": n_exp - n_sub,
                "unexpected": extra,
                "reporting_rate": 100 * n_sub / n_exp if n_exp else None,
                "on_time_rate": 100 * n_on / n_exp if n_exp and n_on is not None else None,
            }
        )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def coverage_shifts(d: PeriodData) -> list[tuple[int, float]]:
    """Years whose reporting rate moved by COVERAGE_SHIFT_PP points or more from the year before."""
    cov = coverage_by_year(d).dropna(subset=["reporting_rate"])
    out = []
    prev = None
    for r in cov.itertuples():
        if prev is not None and abs(r.reporting_rate - prev) >= COVERAGE_SHIFT_PP:
            out.append((int(r.year), float(r.reporting_rate - prev)))
        prev = r.reporting_rate
    return out


QUALITY_COLUMNS = ["year", "files", "accepted", "rejected", "superseded", "errors", "warnings"]


def quality_by_year(d: PeriodData) -> pd.DataFrame:
    rows = []
    for year in range(d.year_from, d.year_to + 1):
        intake, issues = d.intake.get(year), d.issues.get(year)
        if intake is None and issues is None:
            continue
        counts = intake["status"].value_counts() if intake is not None else pd.Series(dtype=int)
        sev = issues["severity"].value_counts() if issues is not None and len(issues) else pd.Series(dtype=int)
        rows.append(
            {
                "year": year,
                "files": 0 if intake is None else len(intake),
                "accepted": int(counts.get(ACCEPTED, 0)),
                "rejected": int(counts.get(REJECTED, 0)),
                "superseded": int(counts.get(SUPERSEDED, 0)),
                "errors": int(sev.get(ERROR, 0)),
                "warnings": int(sev.get(WARNING, 0)),
            }
        )
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)


# ---- results ----------------------------------------------------------------------------------


def area_results(d: PeriodData) -> pd.DataFrame:
    """summary.csv for the whole area, one row per indicator in the plan's order."""
    return d.ordered(d.summary_at("area")).reset_index(drop=True)


def commune_results(d: PeriodData) -> pd.DataFrame:
    return d.summary_at("commune").reset_index(drop=True)


def has_projection(d: PeriodData, res: pd.DataFrame) -> bool:
    return d.last_year < PROJECTION_YEAR and res["projection_2030_pct"].notna().any()


def rate_at(d: PeriodData, code: str, year: int, geo_code: str = "AREA") -> pd.Series | None:
    df = d.indicators
    sub = df[(df["indicator"] == code) & (df["year"] == year) & (df["geo_code"] == geo_code)]
    return sub.iloc[0] if len(sub) else None


def rate_text(row) -> str:
    if row is None:
        return DASH
    return pct(row.get("rate_pct"), target=row.get("target_pct"), status=row.get("status"))


def status_text(x) -> str:
    return DASH if is_missing(x) or not str(x).strip() else str(x)


def status_words(status, target, target_year) -> str:
    """A result as the sentence says it: "đúng tiến độ để đạt chỉ tiêu năm 2030 (70%)"."""
    if is_missing(status) or not str(status).strip():
        return ""
    status = str(status)
    goal = f"chỉ tiêu năm {int(target_year)} ({target_pct(target)})" if not is_missing(target_year) else "chỉ tiêu"
    return {
        STATUS_MET: f"đạt {goal}",
        STATUS_NOT_MET: f"chưa đạt {goal}",
        STATUS_ON_TRACK: f"đúng tiến độ để đạt {goal}",
        STATUS_BEHIND: f"chậm tiến độ so với {goal}",
    }.get(status, f"{status.lower()} ({goal})")


def most_improved(d: PeriodData) -> pd.DataFrame:
    """Per indicator, the commune whose rate rose most (``periods.most_improved``)."""
    if not len(d.summary):
        return pd.DataFrame()
    rows = []
    for code in d.meta:
        top = periods.most_improved(d.summary, code, n=1)
        if len(top) and float(top["change_pp"].iloc[0]) > 0:
            rows.append(top.iloc[0])
    return pd.DataFrame(rows).reset_index(drop=True)


def behind_target(d: PeriodData) -> dict[str, pd.DataFrame]:
    """Per indicator, the communes not meeting (or behind) the target at the period's end."""
    return {code: df for code, df in periods.behind_target(d.indicators, d.last_year).items() if len(df)}


def commune_order(d: PeriodData) -> list[tuple[str, str]]:
    com = d.communes.drop_duplicates("geo_code")
    return sorted(zip(com["geo_code"], com["geo_name"], strict=True), key=lambda t: str(t[1]))

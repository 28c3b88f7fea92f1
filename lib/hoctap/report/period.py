"""The 5-year and 10-year reviews (sơ kết 2021-2025, tổng kết 2021-2030).

Same document form as the annual report (``document``), extended as ``report-format.md`` asks:
year-by-year series for every indicator, change over the period, the result against the
period's target, the projection to 2030 (always labelled "dự báo", never a result), commune
rankings on one named geography, the most improved communes, exemplary candidates proposed for
commendation, and coverage over the years so that a change in a rate can be told apart from a
change in who reported. The figures come from ``hoctap.periods`` (the period tables); this module
only words and lays them out. Notebook ``04-period-review`` calls these functions;
``render_outputs`` turns the executed notebook into HTML, PDF and Excel.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pandas as pd

from .. import __version__, periods
from ..fmt import to_date
from ..paths import Workspace
from ..reference import Reference, deadline
from . import charts
from .annual import margin_words, synthetic_notice
from .document import (
    bullet_list,
    closing_block,
    figure,
    header_block,
    heading,
    paragraph,
    paragraphs,
    table,
)
from .meta import (
    DASH,
    Meta,
    date_vn,
    date_words,
    decimal,
    indicator_meta,
    is_missing,
    number,
    pct,
    pp_words,
    target_pct,
)

TITLE = "BÁO CÁO"
PERIOD_TARGET_YEAR = periods.PERIOD_TARGET_YEAR
KIND_WORDS = {"so-ket": ("Sơ kết", "sơ kết", 5), "tong-ket": ("Tổng kết", "tổng kết", 10)}
PROJECTION_YEAR = periods.PROJECTION_YEAR
GOOD = {"Đạt", "Đúng tiến độ"}
BEHIND = {"Chưa đạt", "Chậm tiến độ"}
INTAKE_STATUS = {"accepted": "tiếp nhận", "rejected": "không tiếp nhận", "superseded": "thay bằng bản gửi sau",
                 "ignored": "bỏ qua"}


# ---- loading ------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True)


def _col(df: pd.DataFrame | None, *names: str) -> str | None:
    """The first of ``names`` that ``df`` has: the period tables may name a column either way."""
    if df is None:
        return None
    for n in names:
        if n in df.columns:
            return n
    return None


def _get(row, *names: str):
    for n in names:
        if n in row and not is_missing(row[n]):
            return row[n]
    return None


@dataclass
class PeriodData:
    ws: Workspace
    kind: str
    year_from: int
    year_to: int
    geography_date: dt.date
    settings: dict
    reference: Reference
    indicators: pd.DataFrame  # processed/periods/.../indicators.csv
    summary: pd.DataFrame  # processed/periods/.../summary.csv
    candidates: pd.DataFrame  # processed/periods/.../candidates.csv
    result: object | None = None  # the PeriodResult when built in this process
    completeness: dict[int, pd.DataFrame] = field(default_factory=dict)
    intake: dict[int, pd.DataFrame] = field(default_factory=dict)
    issues: dict[int, pd.DataFrame] = field(default_factory=dict)
    meta: dict[str, Meta] = field(default_factory=indicator_meta)
    notes: list[str] = field(default_factory=list)  # rows only the area total holds (periods notes.txt)

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
    def synthetic(self) -> bool:
        return self.reference.synthetic

    @property
    def area_name(self) -> str:
        return self.settings.get("issuer", {}).get("area_name", "địa bàn")

    @property
    def words(self) -> tuple[str, str, int]:
        return KIND_WORDS.get(self.kind, ("Tổng kết", "tổng kết", self.year_to - self.year_from + 1))

    # -- tables --------------------------------------------------------------------------
    def _ordered(self, df: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
        order = {code: i for i, code in enumerate(self.meta)}
        df = df.assign(_o=df["indicator"].map(order).fillna(99))
        return df.sort_values((by or []) + ["_o"], kind="stable").drop(columns="_o")

    @property
    def area(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "area"].copy()

    @property
    def communes(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "commune"].copy()

    @property
    def area_summary(self) -> pd.DataFrame:
        s = self.summary
        col = _col(s, "geo_level")
        sub = s[s[col] == "area"] if col else s
        return self._ordered(sub.copy())

    @property
    def commune_summary(self) -> pd.DataFrame:
        s = self.summary
        col = _col(s, "geo_level")
        return s[s[col] == "commune"].copy() if col else s.iloc[0:0].copy()

    def label(self, code: str) -> str:
        return self.meta[code].label if code in self.meta else str(code)

    def short(self, code: str) -> str:
        return self.meta[code].short_label if code in self.meta else str(code)

    @property
    def data_date(self) -> dt.date | None:
        """Latest report date among accepted submissions of the last year: the figures' date."""
        df = self.intake.get(self.last_year) if self.years else None
        if df is None or "report_date" not in df:
            return None
        sub = df[df["status"] == "accepted"] if "status" in df else df
        dates = pd.to_datetime(sub["report_date"], errors="coerce").dropna()
        return dates.max().date() if len(dates) else None

    def source_caption(self) -> str:
        years = _year_span(self.years)
        when = f"; số liệu tính đến ngày {date_vn(self.data_date)}" if self.data_date else ""
        return (f"Nguồn: tổng hợp báo cáo hằng năm của các trường học (biểu mẫu HTSD-01), các năm {years}{when}; "
                f"{geography_words(self, short=True)}.")


def _year_span(years: list[int]) -> str:
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


def _read_year_tables(d: PeriodData) -> None:
    for year in range(d.year_from, d.year_to + 1):
        proc = d.ws.processed(year)
        for name, store in (("completeness.csv", d.completeness), ("intake.csv", d.intake), ("issues.csv", d.issues)):
            df = _read_csv(proc / name)
            if df is not None:
                store[year] = df


def load(ws: Workspace, kind: str, year_from: int, year_to: int, geography_date=None, build: bool = True) -> PeriodData:
    """Build the period tables (``hoctap.periods.build_period``) and read them with each year's ledgers.

    ``build=False`` reads the tables already written (what ``render_outputs`` does after the
    notebook ran), so the Excel appendix shows exactly the figures of the HTML and PDF.
    """
    from ..errors import HoctapError

    geo = to_date(geography_date)
    result = None
    if build:
        result = periods.build_period(ws, kind, int(year_from), int(year_to), geography_date=geo)
    folder = ws.period(kind, int(year_from), int(year_to))
    indicators = _read_csv(folder / "indicators.csv")
    if indicators is None or not len(indicators):
        raise HoctapError(f"chưa có bảng giai đoạn {folder / 'indicators.csv'}")
    summary = _read_csv(folder / "summary.csv")
    candidates = _read_csv(folder / "candidates.csv")
    if geo is None and "geography_date" in indicators:
        geo = to_date(indicators["geography_date"].dropna().iloc[0])
    ref = Reference(ws.reference_dir)
    d = PeriodData(
        ws=ws, kind=kind, year_from=int(year_from), year_to=int(year_to), geography_date=geo or dt.date.today(),
        settings=ref.settings, reference=ref, indicators=indicators,
        summary=summary if summary is not None else pd.DataFrame(),
        candidates=candidates if candidates is not None else pd.DataFrame(), result=result,
        notes=(folder / "notes.txt").read_text(encoding="utf-8").splitlines() if (folder / "notes.txt").is_file() else [],
    )
    _read_year_tables(d)
    return d


# ---- words --------------------------------------------------------------------------------


def _day_month(d: dt.date) -> str:
    """The administrative short form used in prose: 01/7/2025."""
    return f"{d.day:02d}/{d.month}/{d.year}"


def _units_word(kinds: list[str]) -> str:
    """"xã" when every unit is a commune, else "xã, thị trấn" (or "xã, phường")."""
    present = set(kinds)
    if present <= {"xã"}:
        return "xã"
    extra = [k for k in ("thị trấn", "phường") if k in present]
    return ", ".join(["xã", *extra])


def geography(d: PeriodData) -> dict:
    """The geography the review uses: communes valid on its date, how many, and how to name it."""
    ref = d.reference
    codes = ref.communes_valid_on(d.geography_date)
    com = ref.communes[ref.communes["code"].isin(codes)]
    starts = {x for x in com["valid_from_date"] if x is not None}
    ends = {x for x in com["valid_to_date"] if x is not None}
    changed = ref.changes["effective"].dropna()
    changed = sorted({c for c in changed if dt.date(d.year_from, 1, 1) < c <= dt.date(d.year_to, 12, 31)})
    after = bool(starts) and min(starts) > dt.date(d.year_from, 1, 1)
    before = len(com) > 0 and all(x is not None for x in com["valid_to_date"]) and bool(changed)
    return {"codes": codes, "n": len(codes), "units": _units_word(com["kind"].tolist()),
            "after": after, "before": before, "changed": changed,
            "start": min(starts) if after else None, "end": max(ends) if before else None}


def geography_words(d: PeriodData, short: bool = False) -> str:
    """The sentence that names the geography of every table of the review."""
    g = geography(d)
    if g["after"]:
        what = f"địa giới {g['n']} {g['units']} sau sắp xếp (hiệu lực {_day_month(g['start'])})"
    elif g["before"]:
        what = (f"địa giới {g['n']} {g['units']} trước sắp xếp (có hiệu lực đến {_day_month(g['end'])})")
    else:
        what = f"địa giới {g['n']} {g['units']} tại ngày {_day_month(d.geography_date)}"
    if short:
        return f"theo {what}"
    return f"Số liệu các năm được quy đổi theo {what}."


def _status_words(status, target, target_year) -> str:
    if is_missing(status) or not str(status).strip():
        return ""
    status = str(status)
    goal = f"chỉ tiêu năm {int(target_year)} ({target_pct(target)})" if not is_missing(target_year) else "chỉ tiêu"
    return {
        "Đạt": f"đạt {goal}",
        "Chưa đạt": f"chưa đạt {goal}",
        "Đúng tiến độ": f"đúng tiến độ để đạt {goal}",
        "Chậm tiến độ": f"chậm tiến độ so với {goal}",
    }.get(status, f"{status.lower()} ({goal})")


def _signed(x) -> str:
    """Change in points for a table cell under a "(điểm %)" header: +3,2 / -1,5 / 0,0."""
    if is_missing(x):
        return DASH
    try:
        from ..fmt import pp

        return pp(x).removesuffix(" điểm %")
    except ImportError:  # pragma: no cover - the shared module is always there once merged
        x = float(x)
        return "0,0" if round(x, 1) == 0 else ("+" if x > 0 else "-") + decimal(abs(x), 1)


def summary_line(d: PeriodData) -> str:
    programme = d.settings.get("plan", {}).get("programme", "Đẩy mạnh phong trào học tập suốt đời")
    cap, _low, n = d.words
    line = (f'{cap} {n} năm thực hiện Chương trình "{programme}" giai đoạn {d.year_from}-{d.year_to}')
    if not d.is_over:
        line += f" (tính đến năm {d.last_year})"
    return line


def report_title(d: PeriodData) -> str:
    cap, _low, n = d.words
    to_date = "" if d.is_over else f", tính đến năm {d.last_year}"
    return f"Báo cáo {cap.lower()} {n} năm Chương trình học tập suốt đời giai đoạn {d.year_from}-{d.year_to}{to_date}"


def kept_table(*args, **kwargs) -> str:
    """``document.table`` kept whole on one page with its caption and note (a short table)."""
    return f'<div class="keep">{table(*args, **kwargs)}</div>'


def header(d: PeriodData, date: dt.date | str | None = None) -> str:
    if isinstance(date, str) and date.strip():
        date = dt.date.fromisoformat(date.strip())
    date = date or dt.date.today()
    return header_block(d.settings, date, TITLE, summary_line(d), date_words(date))


def preamble(d: PeriodData) -> str:
    plan = d.settings.get("plan", {})
    short = d.settings.get("issuer", {}).get("short", "") or "Đơn vị"
    ref = plan.get("reference", "")
    _cap, low, n = d.words
    texts = []
    if ref:
        texts.append(f"Thực hiện {ref};")
    if d.kind == "so-ket":
        texts.append("Căn cứ nhiệm vụ \"Định kỳ tổ chức sơ kết việc triển khai thực hiện Chương trình; tổ chức Hội nghị "
                     "sơ kết 5 năm và Đại hội biểu dương các mô hình học tập tiêu biểu toàn huyện, giai đoạn 2021 - 2025 "
                     "vào quý I năm 2026\" (mục II.5.b của Kế hoạch);")
    else:
        texts.append("Căn cứ nhiệm vụ \"Tổ chức Hội nghị tổng kết 10 năm và Đại hội biểu dương các mô hình học tập "
                     "tiêu biểu toàn huyện, giai đoạn 2021 - 2030 vào quý IV năm 2030\" (mục II.5.b của Kế hoạch);")
    recipient = plan.get("recipient")
    body = (f"Trên cơ sở tổng hợp báo cáo hằng năm của các trường học các năm {_year_span(d.years)}, {short} báo cáo "
            f"{low} {n} năm thực hiện Chương trình giai đoạn {d.year_from}-{d.year_to} trên địa bàn {d.area_name}")
    if not d.is_over:
        body += f" tính đến năm {d.last_year}"
    body += (f" gửi {recipient}" if recipient else "") + " như sau:"
    texts.append(body)
    out = synthetic_notice(d.reference) + paragraphs(texts)
    if not d.is_over:
        missing = [y for y in d.missing_years if y > d.last_year]
        out += paragraph(
            f"Giai đoạn {d.year_from}-{d.year_to} chưa kết thúc: báo cáo có số liệu các năm {_year_span(d.years)}"
            + (f", chưa có số liệu các năm {_year_span(missing)}" if missing else "")
            + f". Kết quả được đánh giá theo tiến độ đến năm {d.last_year}; số liệu năm {PROJECTION_YEAR} ghi "
            "\"dự báo\" là ước tính theo xu hướng các năm đã có, không phải kết quả.",
            "note",
        )
    return out


def closing(d: PeriodData) -> str:
    return closing_block(d.settings)


# ---- I. coverage over the years -------------------------------------------------------------


def _bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool or str(series.dtype) == "boolean":
        return series.fillna(False).astype(bool)
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "có", "x"})


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
            exp = comp[_bool(comp["expected"])] if "expected" in comp else comp
            sub = _bool(exp["submitted"])
            on = _bool(exp["on_time"]) & sub
            n_exp, n_sub, n_on = len(exp), int(sub.sum()), int(on.sum())
            extra = int((_bool(comp["submitted"]) & ~_bool(comp["expected"])).sum()) if "expected" in comp else 0
        else:
            a = area[area["year"] == year]
            if not len(a):
                continue
            first = a.iloc[0]
            n_exp, n_sub = _get(first, "schools_expected"), _get(first, "schools_reporting")
            if n_exp is None:
                continue
            n_exp, n_sub = int(n_exp), int(n_sub or 0)
            rate = _get(first, "on_time_rate_pct")
            n_on = round(float(rate) * n_exp / 100) if rate is not None else None
            extra = 0
        rows.append({
            "year": year, "expected": n_exp, "submitted": n_sub, "on_time": n_on,
            "late": None if n_on is None else n_sub - n_on, "missing": n_exp - n_sub, "unexpected": extra,
            "reporting_rate": 100 * n_sub / n_exp if n_exp else None,
            "on_time_rate": 100 * n_on / n_exp if n_exp and n_on is not None else None,
        })
    return pd.DataFrame(rows, columns=["year", "expected", "submitted", "on_time", "late", "missing", "unexpected",
                                       "reporting_rate", "on_time_rate"])


COVERAGE_SHIFT_PP = 10.0  # a change in the reporting rate this large is worth a sentence


def coverage_shifts(d: PeriodData) -> list[tuple[int, float]]:
    """Years whose reporting rate moved by COVERAGE_SHIFT_PP points or more from the previous year."""
    cov = coverage_by_year(d).dropna(subset=["reporting_rate"])
    out = []
    prev = None
    for r in cov.itertuples():
        if prev is not None and abs(r.reporting_rate - prev) >= COVERAGE_SHIFT_PP:
            out.append((int(r.year), float(r.reporting_rate - prev)))
        prev = r.reporting_rate
    return out


def _deadline_words(d: PeriodData) -> str:
    day = deadline(d.settings, d.year_from)
    inclusive = d.settings.get("reporting", {}).get("deadline_inclusive", False)
    return f"{'chậm nhất' if inclusive else 'trước'} ngày {day:%d/%m} hằng năm"


def section_coverage(d: PeriodData) -> str:
    out = [heading("I. TÌNH HÌNH NỘP BÁO CÁO QUA CÁC NĂM")]
    cov = coverage_by_year(d)
    if not len(cov):
        out.append(paragraph("Chưa có số liệu về tình hình nộp báo cáo của các trường."))
        return "\n".join(out)
    first, last = cov.iloc[0], cov.iloc[-1]
    out.append(paragraph(
        f"Các trường học báo cáo kết quả một lần mỗi năm, {_deadline_words(d)}. Tỷ lệ trường nộp báo cáo năm "
        f"{int(first.year)} là {pct(first.reporting_rate)} ({number(first.submitted)}/{number(first.expected)} trường), "
        f"năm {int(last.year)} là {pct(last.reporting_rate)} ({number(last.submitted)}/{number(last.expected)} trường); "
        f"tỷ lệ nộp đúng hạn năm {int(last.year)} là {pct(last.on_time_rate)}. Chi tiết từng năm ở Bảng 1."
    ))
    out.append(kept_table(
        cov,
        [("year", "Năm"), ("expected", "Số trường phải báo cáo"), ("submitted", "Đã nộp"), ("on_time", "Đúng hạn"),
         ("late", "Nộp muộn"), ("missing", "Chưa nộp"), ("reporting_rate", "Tỷ lệ nộp"),
         ("on_time_rate", "Tỷ lệ đúng hạn")],
        formats={"year": lambda y: str(int(y)), "expected": number, "submitted": number, "on_time": number,
                 "late": number, "missing": number, "reporting_rate": pct, "on_time_rate": pct},
        numeric=("expected", "submitted", "on_time", "late", "missing", "reporting_rate", "on_time_rate"),
        number_rows=False, cls="data",
        caption="Bảng 1. Tình hình nộp báo cáo của các trường qua các năm",
        note="Tỷ lệ nộp = số trường đã nộp / số trường phải báo cáo (đang hoạt động theo danh mục năm đó); "
             "tỷ lệ đúng hạn = số trường nộp đúng hạn / số trường phải báo cáo.",
    ))
    shifts = coverage_shifts(d)
    if shifts:
        out.append(paragraph(
            "Lưu ý khi so sánh giữa các năm: tỷ lệ trường nộp báo cáo thay đổi đáng kể ở "
            + "; ".join(f"năm {y} ({pp_words(s)})" for y, s in shifts)
            + ". Thay đổi của các tỷ lệ chỉ tiêu trong những năm này có thể một phần do thay đổi số đơn vị báo cáo, "
              "không hoàn toàn do kết quả thực hiện."
        ))
    else:
        out.append(paragraph(
            f"Tỷ lệ trường nộp báo cáo ổn định qua các năm (không năm nào thay đổi từ "
            f"{decimal(COVERAGE_SHIFT_PP, 0)} điểm % trở lên), nên thay đổi của các tỷ lệ chỉ tiêu phản ánh chủ yếu "
            "kết quả thực hiện, không phải thay đổi đơn vị báo cáo."
        ))
    if d.missing_years:
        out.append(paragraph(f"Chưa có số liệu các năm {_year_span(d.missing_years)}.", "no-indent"))
    return "\n".join(out)


# ---- II. results ----------------------------------------------------------------------------

_SUMMARY_COLUMNS = {
    "first_year": ("first_year", "year_first"),
    "first_rate": ("first_rate_pct", "rate_first_pct", "first_rate"),
    "last_year": ("last_year", "year_last"),
    "last_rate": ("last_rate_pct", "rate_last_pct", "last_rate"),
    "change_pp": ("change_pp", "change_pct_points", "change"),
    "target_year": ("period_target_year", "target_year"),
    "target_pct": ("period_target_pct", "target_pct"),
    "status": ("result_status", "status"),
    "margin": ("margin_pp",),
    "projection": ("projection_2030_pct", "projection_pct", "projection_2030", "projection"),
    "years_with_data": ("years_with_data", "years", "n_years"),
}


def _normalise_summary(d: PeriodData, s: pd.DataFrame) -> pd.DataFrame:
    """The summary rows with the column names this module uses."""
    out = pd.DataFrame({"indicator": s["indicator"].values})
    for key in ("geo_level", "geo_code", "geo_name"):
        out[key] = s[key].values if key in s else None
    for key, names in _SUMMARY_COLUMNS.items():
        col = _col(s, *names)
        out[key] = s[col].values if col else None
    for key in ("first_rate", "last_rate", "change_pp", "target_pct", "margin", "projection"):
        out[key] = pd.to_numeric(out[key], errors="coerce")
    return out


def area_results(d: PeriodData) -> pd.DataFrame:
    """One row per indicator for the whole area: first and last year, change, target, status, projection."""
    if not len(d.summary):
        return pd.DataFrame(columns=["indicator", *_SUMMARY_COLUMNS])
    return _normalise_summary(d, d.area_summary).reset_index(drop=True)


def commune_results(d: PeriodData) -> pd.DataFrame:
    if not len(d.summary):
        return pd.DataFrame(columns=["indicator", "geo_code", "geo_name", *_SUMMARY_COLUMNS])
    return _normalise_summary(d, d.commune_summary).reset_index(drop=True)


def _years_text(value) -> str:
    """years_with_data as stored ("2021|2022|..." or a count) -> "2021-2026"."""
    if is_missing(value):
        return DASH
    text = str(value)
    parts = [p for p in text.replace(";", "|").replace(",", "|").replace(" ", "|").split("|") if p.strip()]
    try:
        years = sorted(int(float(p)) for p in parts)
    except ValueError:
        return text
    if len(years) == 1 and years[0] < 1900:
        return f"{years[0]} năm"
    return _year_span(years)


def _rate_at(d: PeriodData, code: str, year: int, geo_code: str = "AREA") -> pd.Series | None:
    df = d.indicators
    sub = df[(df["indicator"] == code) & (df["year"] == year) & (df["geo_code"] == geo_code)]
    return sub.iloc[0] if len(sub) else None


def _rate_text(row) -> str:
    if row is None:
        return DASH
    return pct(row.get("rate_pct"), target=row.get("target_pct"), status=row.get("status"))


def section_results_intro(d: PeriodData) -> str:
    res = area_results(d)
    with_target = res[res["target_pct"].notna() & res["last_rate"].notna()]
    good = with_target[with_target["status"].isin(GOOD)]
    target_word = (f"chỉ tiêu năm {d.target_year}" if d.is_over or d.kind == "so-ket"
                   else f"tiến độ thực hiện chỉ tiêu năm {d.target_year}")
    text = (f"Kết quả giai đoạn là tỷ lệ năm {d.last_year} so với {target_word}, kèm mức thay đổi so với năm "
            f"{d.first_year} (điểm phần trăm). Trong {number(len(with_target))} chỉ tiêu có chỉ tiêu kế hoạch và có số "
            f"liệu, {number(len(good))} chỉ tiêu {'đạt' if d.is_over else 'đạt hoặc đúng tiến độ'}, "
            f"{number(len(with_target) - len(good))} chỉ tiêu {'chưa đạt' if d.is_over else 'chưa đạt hoặc chậm tiến độ'} "
            "(Bảng 2). Số liệu từng năm ở Biểu đồ 1 và Bảng 3.")
    return heading("II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU") + heading("1. Kết quả chung toàn địa bàn", 2) + paragraph(text)


def _status_text(x) -> str:
    return DASH if is_missing(x) or not str(x).strip() else str(x)


def _has_projection(d: PeriodData, res: pd.DataFrame) -> bool:
    return d.last_year < PROJECTION_YEAR and res["projection"].notna().any()


def result_table(d: PeriodData) -> str:
    res = area_results(d).copy()
    if not len(res):
        return paragraph("Chưa có số liệu tổng hợp của giai đoạn.")
    res["label_vn"] = res["indicator"].map(d.label)
    res["first_txt"] = [_rate_text(_rate_at(d, r.indicator, d.first_year)) for r in res.itertuples()]
    res["last_txt"] = [_rate_text(_rate_at(d, r.indicator, d.last_year)) for r in res.itertuples()]
    res["change_txt"] = res["change_pp"].map(_signed)
    res["target_txt"] = res["target_pct"].map(target_pct)
    res["status_txt"] = res["status"].map(_status_text)
    res["proj_txt"] = res["projection"].map(lambda x: DASH if is_missing(x) else decimal(x, 1) + "%")
    cols = [("label_vn", "Chỉ tiêu"), ("first_txt", f"Năm {d.first_year}"), ("last_txt", f"Năm {d.last_year}"),
            ("change_txt", "Thay đổi (điểm %)"), ("target_txt", f"Chỉ tiêu năm {d.target_year}"),
            ("status_txt", "Đánh giá")]
    note = (f"Thay đổi: tỷ lệ năm {d.last_year} trừ tỷ lệ năm {d.first_year}, tính bằng điểm phần trăm. "
            f"Đánh giá: {'kết quả năm cuối so với chỉ tiêu' if d.is_over else 'tiến độ so với đường thẳng từ năm đầu đến chỉ tiêu'}; "
            "\"—\": không có chỉ tiêu cho năm này hoặc chưa có số liệu.")
    if _has_projection(d, res):
        cols.append(("proj_txt", f"Dự báo năm {PROJECTION_YEAR}"))
        note += (f" Dự báo năm {PROJECTION_YEAR}: ước tính theo đường xu hướng (bình phương nhỏ nhất) qua các năm "
                 f"có số liệu {_year_span(d.years)}, giới hạn trong 0-100%; chỉ để tham khảo, không phải kết quả.")
    return kept_table(
        res, cols, numeric=("first_txt", "last_txt", "change_txt", "target_txt", "proj_txt"), cls="data",
        caption=f"Bảng 2. Kết quả giai đoạn {d.year_from}-{d.last_year} so với chỉ tiêu năm {d.target_year}",
        note=note,
        cell_class={"status_txt": lambda r: "ok" if r["status"] in GOOD else ("behind" if r["status"] in BEHIND else None)},
    )


def _targets(d: PeriodData) -> pd.DataFrame:
    return d.reference.targets


def series_table(d: PeriodData) -> str:
    """Year-by-year rates of the whole area, one row per indicator."""
    area = d.area
    codes = [c for c in d.meta if c in set(area["indicator"])]
    targets = _targets(d)
    target_years = sorted(int(y) for y in targets["target_year"].unique())
    rows = []
    for code in codes:
        row = {"label": d.short(code)}
        for y in d.years:
            row[str(y)] = _rate_text(_rate_at(d, code, y))
        for ty in target_years:
            t = targets[(targets["indicator"] == code) & (targets["target_year"] == ty)]
            row[f"t{ty}"] = target_pct(t["target_pct"].iloc[0]) if len(t) else DASH
        rows.append(row)
    df = pd.DataFrame(rows)
    cols = [("label", "Chỉ tiêu")] + [(str(y), str(y)) for y in d.years] + [(f"t{ty}", f"Chỉ tiêu {ty}") for ty in target_years]
    return kept_table(
        df, cols, numeric=[c for c, _ in cols[1:]], cls="wide series",
        caption=f"Bảng 3. Tỷ lệ đạt các chỉ tiêu qua từng năm, toàn {d.area_name}",
        note=f"{d.source_caption()} \"—\": không có số liệu hoặc tổng số bằng 0.",
    )


# ---- the series chart ----------------------------------------------------------------------


def series_chart(d: PeriodData):
    """Small multiples: one panel per indicator, the yearly rate, the targets, the projection dashed.

    Each indicator keeps its colour and marker; the observed series is a solid line with filled
    markers, the projection a dashed line with an open marker, targets black: a black-and-white
    print still tells them apart.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    area = d.area
    res = area_results(d).set_index("indicator") if len(d.summary) else pd.DataFrame()
    codes = [c for c in d.meta if c in set(area["indicator"])]
    targets = _targets(d)
    show_proj = len(res) and _has_projection(d, res.reset_index())
    x_end = max(d.year_to, PROJECTION_YEAR if show_proj else d.year_to)
    ncol = 2
    nrow = (len(codes) + ncol - 1) // ncol
    with charts.style():
        fig, axes = plt.subplots(nrow, ncol, figsize=(charts.WIDTH_IN, 1.55 * nrow + 0.7), sharex=True,
                                 layout="constrained", squeeze=False)
        for k, code in enumerate(codes):
            ax = axes[k // ncol][k % ncol]
            m = d.meta[code]
            s = area[area["indicator"] == code].sort_values("year")
            s = s[s["rate_pct"].notna()]
            xs, ys = s["year"].astype(int).tolist(), s["rate_pct"].astype(float).tolist()
            ax.plot(xs, ys, color=m.colour, marker=m.marker, markersize=4.5, markeredgecolor="#000000",
                    markeredgewidth=0.6, linewidth=1.8, zorder=3)
            panel_targets = {}
            for t in targets[targets["indicator"] == code].itertuples():
                ty, tp = int(t.target_year), float(t.target_pct)
                if d.year_from <= ty <= x_end:
                    panel_targets.setdefault(tp, []).append(ty)
                    ax.plot([d.year_from - 0.3, ty], [tp, tp], color="#000000", linestyle=":", linewidth=0.9, zorder=2)
                    ax.plot([ty], [tp], marker="_", markersize=11, markeredgewidth=2.2, color="#000000", zorder=2)
            proj = res["projection"].get(code) if len(res) and code in res.index else None
            proj = None if is_missing(proj) else float(proj)

            def level_at(year: int, xs=xs, ys=ys, proj=proj) -> float | None:
                """The drawn value at ``year`` (data, else the projection line), to keep labels off it."""
                if year in xs:
                    return ys[xs.index(year)]
                if show_proj and proj is not None and xs and xs[-1] < year <= PROJECTION_YEAR:
                    return ys[-1] + (proj - ys[-1]) * (year - xs[-1]) / (PROJECTION_YEAR - xs[-1])
                return None

            # Each target's label sits at its marker, on the side away from the line drawn there.
            label_above: dict[int, bool] = {}
            for tp, tys in panel_targets.items():
                ty = max(tys)
                v = level_at(ty)
                above = v is None or v < tp
                label_above[ty] = above
                # Right-aligned at the marker: the label lies over the years leading to the target.
                ax.text(ty + 0.25, tp + (3 if above else -3), f"CT {', '.join(str(v) for v in sorted(tys))}: {target_pct(tp)}",
                        ha="right", va="bottom" if above else "top", fontsize=6.2,
                        zorder=5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.85})
            if xs:  # the last observed rate, on the side away from a target label at that year
                below = label_above.get(xs[-1], False)
                ax.annotate(decimal(ys[-1], 1) + "%", (xs[-1], ys[-1]), textcoords="offset points",
                            xytext=(0, -11 if below else 6), ha="center", fontsize=6.5, zorder=6,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.8})
            if show_proj and xs and proj is not None and xs[-1] < PROJECTION_YEAR:
                ax.plot([xs[-1], PROJECTION_YEAR], [ys[-1], proj], color=m.colour, linestyle=(0, (4, 2)),
                        linewidth=1.3, zorder=3)
                ax.plot([PROJECTION_YEAR], [proj], marker=m.marker, markersize=4.5, markerfacecolor="white",
                        markeredgecolor="#000000", markeredgewidth=0.7, linestyle="none", zorder=4)
                above = not label_above.get(PROJECTION_YEAR, False)
                ax.annotate(f"dự báo {decimal(proj, 1)}%", (PROJECTION_YEAR, proj), textcoords="offset points",
                            xytext=(-4, 5 if above else -10), ha="right", fontsize=6.3, style="italic", zorder=4,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.8})
            ax.set_title(m.short_label, fontsize=8.5)
            ax.set_ylim(0, 112)
            ax.set_yticks(range(0, 101, 25))
            ax.set_yticklabels([f"{t}%" for t in range(0, 101, 25)], fontsize=6.5)
            ax.set_xlim(d.year_from - 0.4, x_end + 0.4)
            step = 1 if x_end - d.year_from <= 6 else 2
            ax.set_xticks(range(d.year_from, x_end + 1, step))
            ax.tick_params(axis="x", labelsize=6.5)
            ax.grid(axis="y", color="#bbbbbb", linewidth=0.4, linestyle=":")
            ax.set_axisbelow(True)
            if d.last_year < x_end:
                ax.axvspan(d.last_year + 0.5, x_end + 0.4, color="#eeeeee", zorder=0, linewidth=0)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        for k in range(len(codes), nrow * ncol):
            axes[k // ncol][k % ncol].set_visible(False)
        handles = [
            Line2D([0], [0], color="#555555", marker="o", markeredgecolor="#000000", linewidth=1.8,
                   label=f"Tỷ lệ đạt (các năm {_year_span(d.years)})"),
            Line2D([0], [0], color="#000000", linestyle=":", marker="_", markersize=9, markeredgewidth=2,
                   label="Chỉ tiêu (CT) kế hoạch"),
        ]
        if show_proj:
            handles.append(Line2D([0], [0], color="#555555", linestyle=(0, (4, 2)), marker="o", markerfacecolor="white",
                                  markeredgecolor="#000000", label=f"Dự báo đến năm {PROJECTION_YEAR} (xu hướng)"))
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=7, frameon=True,
                   edgecolor="#000000")
        fig.suptitle(f"Tỷ lệ đạt các chỉ tiêu qua các năm, toàn {d.area_name}", fontsize=10, fontweight="bold")
    return fig


def series_chart_html(d: PeriodData) -> str:
    fig = series_chart(d)
    caption = f"Biểu đồ 1. Tỷ lệ đạt các chỉ tiêu qua các năm so với chỉ tiêu kế hoạch. {d.source_caption()}"
    if d.last_year < PROJECTION_YEAR and len(d.summary):
        caption += (f" Nét đứt: dự báo theo xu hướng các năm {_year_span(d.years)}, không phải kết quả; "
                    "nền xám: các năm chưa có số liệu.")
    return figure(charts.to_img(fig, "Biểu đồ tỷ lệ đạt các chỉ tiêu qua các năm"), caption)


# ---- one paragraph per indicator -------------------------------------------------------------


def indicator_paragraphs(d: PeriodData) -> str:
    res = area_results(d)
    if not len(res):
        return ""
    shifts = coverage_shifts(d)
    out = [heading("2. Kết quả từng chỉ tiêu", 2)]
    if shifts:
        out.append(paragraph(
            f"Lưu ý: năm {', '.join(str(y) for y, _ in shifts)} số trường nộp báo cáo thay đổi nhiều so với năm trước "
            "(mục I); mức thay đổi của các tỷ lệ trong những năm này cần được đọc cùng mức thay đổi đó."))
    targets = _targets(d)
    for i, r in enumerate(res.itertuples(), 1):
        code = r.indicator
        first, last = _rate_at(d, code, d.first_year), _rate_at(d, code, d.last_year)
        series = d.area[(d.area["indicator"] == code) & d.area["rate_pct"].notna()]
        have = sorted(int(y) for y in series["year"])
        label = d.label(code)
        if last is None or is_missing(last.get("rate_pct")):
            out.append(paragraph(f"{i}. {label}: chưa có số liệu năm {d.last_year} (tổng số bằng 0 hoặc không có đơn vị báo cáo)."))
            continue
        parts = [f"{i}. {label}: năm {d.last_year} đạt {_rate_text(last)} ({number(last.get('numerator'))}/"
                 f"{number(last.get('denominator'))})"]
        if first is not None and not is_missing(first.get("rate_pct")) and d.first_year != d.last_year:
            parts.append(f", năm {d.first_year} đạt {_rate_text(first)}; so với năm đầu giai đoạn "
                         f"{pp_words(r.change_pp) or DASH}")
        words = _status_words(r.status, r.target_pct, r.target_year)
        if words:
            parts.append(f"; {words}")
        elif is_missing(r.target_pct):
            later = targets[(targets["indicator"] == code) & (targets["target_year"] > d.target_year)]
            if len(later):
                t = later.sort_values("target_year").iloc[0]
                parts.append(f"; Kế hoạch không đặt chỉ tiêu năm {d.target_year}, chỉ tiêu năm {int(t.target_year)} "
                             f"là {target_pct(t.target_pct)}")
        if not is_missing(r.target_pct) and r.status == "Chưa đạt" and not is_missing(r.last_rate):
            parts.append(f", còn thiếu {decimal(float(r.target_pct) - float(r.last_rate), 1)} điểm %")
        parts.append(".")
        if d.last_year < PROJECTION_YEAR and not is_missing(r.projection):
            t30 = targets[(targets["indicator"] == code) & (targets["target_year"] == PROJECTION_YEAR)]
            goal = (f" (chỉ tiêu năm {PROJECTION_YEAR}: {target_pct(t30['target_pct'].iloc[0])})" if len(t30) else "")
            parts.append(f" Dự báo theo xu hướng các năm có số liệu ({_year_span(have)}), năm {PROJECTION_YEAR} đạt "
                         f"khoảng {decimal(float(r.projection), 1)}%{goal}; đây là dự báo, không phải kết quả.")
        out.append(paragraph("".join(parts)))
    return "\n".join(out)


# ---- communes -------------------------------------------------------------------------------


def commune_ranking(d: PeriodData) -> pd.DataFrame:
    """Communes at the period's end, ranked by their mean margin over the period's targets."""
    res = commune_results(d)
    res = res[res["margin"].notna()]
    if not len(res):
        return pd.DataFrame(columns=["geo_code", "geo_name", "n", "n_good", "margin", "rank"])
    res = res.assign(good=res["status"].isin(GOOD))
    out = (res.groupby(["geo_code", "geo_name"], dropna=False)
           .agg(n=("margin", "size"), n_good=("good", "sum"), margin=("margin", "mean")).reset_index()
           .sort_values(["margin", "geo_name"], ascending=[False, True]).reset_index(drop=True))
    out["rank"] = range(1, len(out) + 1)
    return out


def most_improved(d: PeriodData) -> pd.DataFrame:
    """Per indicator, the commune whose rate rose most over the period (``periods.most_improved``)."""
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


def section_communes(d: PeriodData) -> str:
    com = d.communes
    names = com["geo_name"].dropna().unique()
    out = [heading("3. Kết quả theo xã", 2) if geography(d)["units"] == "xã" else heading("3. Kết quả theo xã, thị trấn", 2)]
    g = geography(d)
    out.append(paragraph(
        f"{geography_words(d)} Mọi năm của giai đoạn được trình bày trên cùng địa giới này để so sánh được với nhau: "
        + ("số liệu của các xã, thị trấn cũ được cộng vào xã mới mà địa bàn đó thuộc về. " if g["after"] else
           "số liệu được tổng hợp theo đơn vị hành chính cũ. " if g["before"] else "")
        + f"Có {number(len(names))} đơn vị có số liệu; kết quả từng năm của từng đơn vị ở Phụ lục 1."
    ))
    if g["before"]:
        late = [y for y in d.years if dt.date(y, 12, 31) > g["end"]]
        if late:
            out.append(paragraph(
                f"Lưu ý: từ ngày {_day_month(g['end'] + dt.timedelta(days=1))} các đơn vị cũ đã sáp nhập. Số liệu các năm "
                f"{_year_span(late)} được quy về đơn vị cũ theo từng thôn, buôn, tổ dân phố và trường học (đơn vị cũ "
                "của trường theo danh mục, của thôn theo các năm báo cáo trước); phần không xác định được đơn vị cũ "
                "chỉ được tính ở cấp toàn địa bàn."
            ))
    rank = commune_ranking(d)
    if len(rank):
        out.append(paragraph(
            f"Xếp hạng năm {d.last_year} theo mức chênh lệch bình quân giữa tỷ lệ đạt và chỉ tiêu năm {d.target_year} "
            "của các chỉ tiêu có chỉ tiêu kế hoạch (Bảng 4)."))
        rank = rank.assign(good_txt=[f"{int(r.n_good)}/{int(r.n)}" for r in rank.itertuples()],
                           margin_txt=rank["margin"].map(_signed))
        out.append(kept_table(
            rank, [("rank", "Xếp hạng"), ("geo_name", "Đơn vị"), ("good_txt", "Số chỉ tiêu đạt hoặc đúng tiến độ"),
                   ("margin_txt", "Chênh lệch bình quân so với chỉ tiêu (điểm %)")],
            formats={"rank": lambda x: str(int(x))}, numeric=("rank", "good_txt", "margin_txt"), number_rows=False,
            cls="data",
            caption=f"Bảng 4. Xếp hạng các đơn vị năm {d.last_year}",
        ))
    imp = most_improved(d)
    if len(imp):
        imp = imp.assign(label_vn=imp["indicator"].map(d.short),
                         first_txt=[f"{pct(r.first_rate_pct)} ({int(r.first_year)})" for r in imp.itertuples()],
                         last_txt=[f"{pct(r.last_rate_pct)} ({int(r.last_year)})" for r in imp.itertuples()],
                         change_txt=imp["change_pp"].map(_signed))
        out.append(paragraph(f"Đơn vị tiến bộ nhiều nhất theo từng chỉ tiêu trong giai đoạn {d.first_year}-{d.last_year} "
                             "(Bảng 5):"))
        out.append(kept_table(
            imp, [("label_vn", "Chỉ tiêu"), ("geo_name", "Đơn vị"), ("first_txt", "Năm đầu"), ("last_txt", "Năm cuối"),
                  ("change_txt", "Thay đổi (điểm %)")],
            numeric=("first_txt", "last_txt", "change_txt"), cls="data",
            caption=f"Bảng 5. Đơn vị tiến bộ nhiều nhất theo từng chỉ tiêu, {d.first_year}-{d.last_year}",
        ))
    behind = behind_target(d)
    if behind:
        out.append(paragraph(f"Các đơn vị chưa đạt hoặc chậm tiến độ năm {d.last_year}, theo từng chỉ tiêu:", "no-indent"))
        out.append(bullet_list(
            f"{d.short(code)} (chỉ tiêu {target_pct(sub['target_pct'].iloc[0])} năm {int(sub['target_year'].iloc[0])}): "
            + ", ".join(f"{r.geo_name} ({pct(r.rate_pct, target=r.target_pct, status=r.status)}, {str(r.status).lower()})"
                        for r in sub.itertuples())
            for code, sub in behind.items()
        ))
    elif len(rank):
        out.append(paragraph(f"Năm {d.last_year} không có đơn vị nào chưa đạt hoặc chậm tiến độ."))
    return "\n".join(out)


# ---- III. data quality ------------------------------------------------------------------------


def quality_by_year(d: PeriodData) -> pd.DataFrame:
    rows = []
    for year in range(d.year_from, d.year_to + 1):
        intake, issues = d.intake.get(year), d.issues.get(year)
        if intake is None and issues is None:
            continue
        counts = intake["status"].value_counts() if intake is not None else pd.Series(dtype=int)
        sev = issues["severity"].value_counts() if issues is not None and len(issues) else pd.Series(dtype=int)
        rows.append({"year": year, "files": 0 if intake is None else len(intake),
                     "accepted": int(counts.get("accepted", 0)), "rejected": int(counts.get("rejected", 0)),
                     "superseded": int(counts.get("superseded", 0)), "errors": int(sev.get("error", 0)),
                     "warnings": int(sev.get("warning", 0))})
    return pd.DataFrame(rows, columns=["year", "files", "accepted", "rejected", "superseded", "errors", "warnings"])


def section_quality(d: PeriodData) -> str:
    out = [heading("III. CHẤT LƯỢNG SỐ LIỆU")]
    q = quality_by_year(d)
    if not len(q):
        out.append(paragraph("Chưa có sổ theo dõi tiếp nhận số liệu của các năm."))
        return "\n".join(out)
    out.append(paragraph(
        f"Trong các năm {_year_span(q['year'].astype(int).tolist())} đã nhận {number(q['files'].sum())} tệp báo cáo, "
        f"tiếp nhận {number(q['accepted'].sum())} tệp, không tiếp nhận {number(q['rejected'].sum())} tệp; phát hiện "
        f"{number(q['errors'].sum())} lỗi và {number(q['warnings'].sum())} cảnh báo. Dòng số liệu có lỗi không được "
        "tính vào cả số đạt và tổng số; ô để trống không được coi là số 0. Chi tiết từng năm ở báo cáo năm tương ứng."
    ))
    out.append(kept_table(
        q, [("year", "Năm"), ("files", "Số tệp nhận"), ("accepted", "Tiếp nhận"), ("rejected", "Không tiếp nhận"),
            ("superseded", "Thay bằng bản sau"), ("errors", "Số lỗi"), ("warnings", "Số cảnh báo")],
        formats={"year": lambda y: str(int(y)), **{c: number for c in ("files", "accepted", "rejected", "superseded",
                                                                         "errors", "warnings")}},
        numeric=("files", "accepted", "rejected", "superseded", "errors", "warnings"), number_rows=False,
        cls="data",
        caption="Bảng 6. Tiếp nhận và kiểm tra số liệu qua các năm",
    ))
    if d.notes:
        out.append(paragraph(
            "Một số dòng số liệu không quy đổi được về địa giới dùng trong báo cáo nên chỉ được tính vào số liệu "
            "toàn địa bàn, không tính cho xã nào:"))
        out.append(bullet_list(d.notes))
    return "\n".join(out)


# ---- IV. assessment and proposals ---------------------------------------------------------------


_CAND_COLUMNS = {
    "kind": ("candidate_kind", "kind", "level", "type", "geo_level"),
    "code": ("code", "geo_code", "school_id", "id"),
    "name": ("name", "geo_name", "school_name"),
    "commune": ("commune_name", "commune"),
    "reason": ("reason", "reasons", "why"),
    "rank": ("rank", "order"),
}


def candidates(d: PeriodData) -> pd.DataFrame:
    """Exemplary candidates with kind ("commune" or "school"), name, commune, reason, rank."""
    c = d.candidates
    if c is None or not len(c):
        return pd.DataFrame(columns=list(_CAND_COLUMNS))
    out = pd.DataFrame(index=c.index)
    for key, names in _CAND_COLUMNS.items():
        col = _col(c, *names)
        out[key] = c[col] if col else None
    out["kind"] = out["kind"].astype(str).str.lower().map(
        lambda k: "commune" if k.startswith(("commune", "xã", "xa")) else "school" if k.startswith(("school", "trường")) else k)
    return out.reset_index(drop=True)


def candidates_html(d: PeriodData) -> str:
    cand = candidates(d)
    out = [heading("2. Đề xuất khen thưởng tập thể tiêu biểu", 2)]
    out.append(paragraph(
        f"Trên cơ sở kết quả giai đoạn {d.first_year}-{d.last_year}, đề xuất xem xét biểu dương, khen thưởng các tập thể "
        "dưới đây. Danh sách là đề xuất do phần mềm lập theo tiêu chí nêu dưới mỗi bảng; Hội đồng thi đua, khen "
        "thưởng xem xét, quyết định."
    ))
    communes = cand[cand["kind"] == "commune"]
    schools = cand[cand["kind"] == "school"]
    out.append(kept_table(
        communes, [("name", "Đơn vị"), ("reason", "Lý do đề xuất")], cls="data",
        caption="Bảng 7. Đề xuất đơn vị (xã) tiêu biểu",
        note=f"Tiêu chí: đạt mọi chỉ tiêu áp dụng năm {d.last_year}, tỷ lệ trường báo cáo từ 90% trở lên; xếp theo "
             "mức vượt chỉ tiêu bình quân. " + ("Không có đơn vị nào đủ tiêu chí." if not len(communes) else ""),
    ))
    out.append((kept_table if len(schools) <= 8 else table)(
        schools, [("name", "Trường"), ("commune", "Xã"), ("reason", "Lý do đề xuất")],
        caption="Bảng 8. Đề xuất trường học tiêu biểu",
        note=f"Tiêu chí: đạt danh hiệu \"Đơn vị học tập\" tất cả các năm {_year_span(d.years)}; xếp theo tỷ lệ cán bộ, "
             "giáo viên, nhân viên đạt \"Công dân học tập\"."
             + (" Tên trường là tên giả định (dữ liệu giả lập)." if d.synthetic else "")
             + (" Không có trường nào đủ tiêu chí." if not len(schools) else ""),
    ))
    return "\n".join(out)


def section_assessment(d: PeriodData) -> str:
    out = [heading("IV. ĐÁNH GIÁ CHUNG VÀ ĐỀ XUẤT"), heading("1. Đánh giá chung", 2)]
    res = area_results(d)
    with_target = res[res["target_pct"].notna() & res["last_rate"].notna()]
    good = with_target[with_target["status"].isin(GOOD)]
    behind = with_target[with_target["status"].isin(BEHIND)]
    up = res[res["change_pp"] > 0]
    down = res[res["change_pp"] < 0]
    out.append(paragraph(
        f"Sau {len(d.years)} năm có số liệu ({_year_span(d.years)}), {number(len(up))} chỉ tiêu tăng, "
        f"{number(len(down))} chỉ tiêu giảm so với năm đầu giai đoạn; {number(len(good))}/{number(len(with_target))} "
        f"chỉ tiêu có chỉ tiêu kế hoạch {'đạt' if d.is_over else 'đạt hoặc đúng tiến độ'}."
    ))
    if len(behind):
        out.append(paragraph("Các chỉ tiêu chưa đạt hoặc chậm tiến độ:", "no-indent"))
        out.append(bullet_list(
            f"{d.label(r.indicator)}: năm {d.last_year} đạt {_rate_text(_rate_at(d, r.indicator, d.last_year))}, chỉ tiêu "
            f"năm {int(r.target_year) if not is_missing(r.target_year) else d.target_year} là {target_pct(r.target_pct)} "
            f"({str(r.status).lower()})" for r in behind.itertuples()
        ))
    rank = commune_ranking(d)
    if len(rank) > 1:
        k = 2 if len(rank) >= 6 else 1
        out.append(paragraph(
            "Đơn vị có kết quả tốt nhất: " + "; ".join(f"{r.geo_name} ({margin_words(r.margin)})"
                                                    for r in rank.head(k).itertuples())
            + ". Đơn vị có kết quả thấp nhất: " + "; ".join(
                f"{r.geo_name} ({margin_words(r.margin)})" for r in rank.tail(k).iloc[::-1].itertuples()) + "."
        ))
    out.append(candidates_html(d))
    out.append(heading("3. Đề xuất, kiến nghị", 2))
    proposals = []
    remaining = PROJECTION_YEAR - d.last_year
    for r in behind.itertuples():
        lab = d.label(r.indicator)
        proposals.append(f"Tập trung chỉ đạo nâng cao {lab[:1].lower()}{lab[1:]}"
                         + (f" trong {remaining} năm còn lại của giai đoạn" if remaining > 0 else "") + ".")
    if len(rank) > 1 and rank["margin"].iloc[-1] < 0:
        proposals.append(f"Quan tâm hỗ trợ {rank['geo_name'].iloc[-1]} và các đơn vị có kết quả thấp.")
    cov = coverage_by_year(d)
    if len(cov) and (cov["missing"].iloc[-1] or 0) > 0:
        proposals.append("Các trường báo cáo đầy đủ, đúng hạn hằng năm để số liệu các năm so sánh được với nhau.")
    if d.kind == "so-ket":
        proposals.append("Xây dựng kế hoạch giai đoạn 2026-2030 trên cơ sở kết quả sơ kết và chỉ tiêu năm 2030.")
    proposals.append("Tổ chức biểu dương, khen thưởng các tập thể tiêu biểu theo đề xuất tại mục 2.")
    out.append(bullet_list(proposals))
    return "\n".join(out)


# ---- appendix -----------------------------------------------------------------------------------


def commune_series(d: PeriodData, geo_code: str) -> pd.DataFrame:
    """One row per indicator: the commune's rate each year (text), its change and the period's target."""
    com = d.communes[d.communes["geo_code"] == geo_code]
    res = commune_results(d)
    res = res[res["geo_code"] == geo_code].set_index("indicator")
    rows = []
    for code in [c for c in d.meta if c in set(com["indicator"])]:
        row = {"label": d.short(code)}
        for y in d.years:
            row[str(y)] = _rate_text(_rate_at(d, code, y, geo_code))
        r = res.loc[code] if code in res.index else None
        row["change"] = _signed(r["change_pp"]) if r is not None else DASH
        row["target"] = target_pct(r["target_pct"]) if r is not None else DASH
        row["status"] = _status_text(r["status"]) if r is not None else DASH
        rows.append(row)
    return pd.DataFrame(rows)


def _commune_order(d: PeriodData) -> list[tuple[str, str]]:
    com = d.communes.drop_duplicates("geo_code")
    return sorted(zip(com["geo_code"], com["geo_name"], strict=True), key=lambda t: str(t[1]))


def appendix_communes(d: PeriodData) -> str:
    _cap, low, n = d.words
    out = ['<h2 class="appendix-title new-page">PHỤ LỤC</h2>',
           paragraph(f"(Kèm theo Báo cáo {low} {n} năm thực hiện Chương trình giai đoạn {d.year_from}-{d.year_to})",
                     "appendix-sub"),
           heading("Phụ lục 1. Tỷ lệ đạt các chỉ tiêu qua các năm theo từng đơn vị", 2),
           paragraph(geography_words(d), "no-indent")]
    for i, (code, name) in enumerate(_commune_order(d), 1):
        df = commune_series(d, code)
        cols = ([("label", "Chỉ tiêu")] + [(str(y), str(y)) for y in d.years]
                + [("change", "Thay đổi (điểm %)"), ("target", f"CT {d.target_year}"), ("status", "Đánh giá")])
        out.append(kept_table(df, cols, numeric=[c for c, _ in cols[1:-1]], cls="wide series", caption=f"1.{i}. {name}"))
    return "\n".join(out)


def commune_coverage(d: PeriodData) -> pd.DataFrame:
    """Schools reporting / expected per commune and year, on the review's geography."""
    com = d.communes.drop_duplicates(["geo_code", "year"])
    rows = []
    for code, name in _commune_order(d):
        row = {"geo_name": name}
        sub = com[com["geo_code"] == code].set_index("year")
        for y in d.years:
            if y in sub.index and not is_missing(sub.loc[y].get("schools_expected")):
                r = sub.loc[y]
                row[str(y)] = f"{number(r.get('schools_reporting'))}/{number(r.get('schools_expected'))}"
            else:
                row[str(y)] = DASH
        rows.append(row)
    return pd.DataFrame(rows)


def appendix_coverage(d: PeriodData) -> str:
    df = commune_coverage(d)
    cols = [("geo_name", "Đơn vị")] + [(str(y), str(y)) for y in d.years]
    return heading("Phụ lục 2. Số trường báo cáo / số trường phải báo cáo theo đơn vị và năm", 2) + table(
        df, cols, numeric=[str(y) for y in d.years], cls="data",
        note="Một tỷ lệ thay đổi giữa hai năm có thể do thay đổi số trường báo cáo; xem cùng Phụ lục 1.")


def provenance(d: PeriodData, parameters: dict | None = None, run_time: dt.datetime | None = None) -> str:
    run_time = run_time or dt.datetime.now().astimezone()
    p = parameters or {}
    rows = [
        ("Loại báo cáo", f"{d.words[0]} {d.words[2]} năm ({d.kind})"),
        ("Giai đoạn", f"{d.year_from}-{d.year_to}"),
        ("Các năm có số liệu", _year_span(d.years)),
        ("Địa giới hành chính dùng cho mọi năm", f"ngày {date_vn(d.geography_date)} ({geography_words(d, short=True)})"),
        ("Thư mục dữ liệu", str(p.get("data_dir", d.ws.data_dir))),
        ("Thư mục báo cáo", str(p.get("reports_dir", d.ws.reports_dir))),
        ("Bảng số liệu giai đoạn", str(PurePath("processed", "periods", d.stem))),
        ("Phần mềm", f"hoctap {__version__} (Python {platform.python_version()})"),
        ("Thời điểm lập", f"{run_time:%H:%M} {date_vn(run_time.date())}"),
    ]
    out = [heading("Phụ lục 3. Nguồn số liệu và thông tin lập báo cáo", 2)]
    out.append(table(pd.DataFrame(rows, columns=["k", "v"]), [("k", "Thông tin"), ("v", "Giá trị")],
                     number_rows=False, cls="data prov"))
    files = []
    for year, intake in sorted(d.intake.items()):
        for r in intake.sort_values("path").itertuples():
            files.append({"year": year, "path": r.path, "status": INTAKE_STATUS.get(r.status, r.status),
                          "sha256": r.sha256})
    if files:
        out.append(table(
            pd.DataFrame(files), [("year", "Năm"), ("path", "Tệp"), ("status", "Tình trạng"), ("sha256", "Mã băm SHA-256")],
            cls="data prov", caption="Các tệp đầu vào", cell_class={"sha256": lambda r: "hash"},
        ))
    return "\n".join(out)


# ---- Excel appendix -----------------------------------------------------------------------------


def write_period_appendix(d: PeriodData, path: Path) -> Path:
    """The review's tables as a workbook: series per indicator and per commune, results, candidates."""
    from openpyxl import Workbook

    from ..io import atomic_path
    from .excel import INT, RATE, _rate_format, _sheet

    wb = Workbook()
    wb.remove(wb.active)
    years = d.years
    _cap, low, n = d.words
    title = f"{_cap} {n} năm giai đoạn {d.year_from}-{d.year_to}"
    geo = geography_words(d)

    res = area_results(d)
    rows, fmts = [], []
    for r in res.itertuples():
        rows.append([d.label(r.indicator), r.first_rate, r.last_rate, r.change_pp, r.target_pct,
                     None if is_missing(r.target_year) else int(r.target_year),
                     None if is_missing(r.status) else r.status, r.projection])
        fmts.append([None, None, _rate_format(r.last_rate, r.target_pct), "+0.0;-0.0;0.0", None, None, None, None])
    _sheet(wb, "Kết quả giai đoạn", f"{title}: kết quả năm {d.last_year} so với chỉ tiêu, toàn {d.area_name}", [
        ("Chỉ tiêu", "", 60), (f"Tỷ lệ năm {d.first_year} (%)", RATE, 11), (f"Tỷ lệ năm {d.last_year} (%)", RATE, 11),
        ("Thay đổi (điểm %)", "+0.0;-0.0;0.0", 11), ("Chỉ tiêu (%)", "0", 10), ("Năm của chỉ tiêu", "0", 10),
        ("Đánh giá", "", 14), (f"Dự báo năm {PROJECTION_YEAR} (%) - chỉ để tham khảo", RATE, 14)], rows, fmts)

    def series_sheet(name: str, heading_text: str, df: pd.DataFrame, lead: list[tuple[str, str, int]], lead_cols):
        rows, fmts = [], []
        df = d._ordered(df, by=lead_cols)
        for r in df.itertuples():
            rows.append([getattr(r, c) for c in lead_cols] + [d.label(r.indicator), int(r.year), r.numerator,
                        r.denominator, r.rate_pct, r.target_pct, None if is_missing(r.status) else r.status,
                        r.schools_reporting, r.schools_expected])
            fmts.append([None] * len(lead_cols) + [None, None, None, None, _rate_format(r.rate_pct, r.target_pct),
                                                   None, None, None, None])
        _sheet(wb, name, heading_text, lead + [
            ("Chỉ tiêu", "", 55), ("Năm", "0", 7), ("Số đạt", INT, 11), ("Tổng số", INT, 11), ("Tỷ lệ (%)", RATE, 9),
            ("Chỉ tiêu kế hoạch (%)", "0", 10), ("Đánh giá", "", 14), ("Số trường báo cáo", INT, 10),
            ("Số trường phải báo cáo", INT, 11)], rows, fmts)

    area = d.area.sort_values("year", kind="stable")
    series_sheet("Chuỗi toàn địa bàn", f"{title}: tỷ lệ từng năm, toàn {d.area_name}", area, [], [])

    # Wide table per indicator: one row per commune (and the area), one column per year.
    wide_rows = []
    for code in [c for c in d.meta if c in set(d.indicators["indicator"])]:
        for geo_code, name in [("AREA", f"Toàn {d.area_name}")] + _commune_order(d):
            row = [d.label(code), name]
            for y in years:
                r = _rate_at(d, code, y, geo_code)
                row.append(None if r is None or is_missing(r.get("rate_pct")) else float(r["rate_pct"]))
            wide_rows.append(row)
    _sheet(wb, "Tỷ lệ theo năm", f"{title}: tỷ lệ đạt (%) theo chỉ tiêu, đơn vị và năm. {geo}",
           [("Chỉ tiêu", "", 50), ("Đơn vị", "", 18)] + [(str(y), RATE, 8) for y in years], wide_rows)

    series_sheet("Chuỗi theo xã", f"{title}: số liệu từng năm theo đơn vị. {geo}", d.communes,
                 [("Đơn vị", "", 16)], ["geo_name"])

    cov = coverage_by_year(d)
    _sheet(wb, "Nộp báo cáo", f"{title}: tình hình nộp báo cáo qua các năm", [
        ("Năm", "0", 7), ("Số trường phải báo cáo", INT, 12), ("Đã nộp", INT, 9), ("Đúng hạn", INT, 9),
        ("Nộp muộn", INT, 9), ("Chưa nộp", INT, 9), ("Tỷ lệ nộp (%)", RATE, 10), ("Tỷ lệ đúng hạn (%)", RATE, 10)],
        [[int(r.year), r.expected, r.submitted, r.on_time, r.late, r.missing, r.reporting_rate, r.on_time_rate]
         for r in cov.itertuples()])

    cand = candidates(d)
    kinds = {"commune": "Đơn vị (xã)", "school": "Trường học"}
    _sheet(wb, "Đề xuất tiêu biểu", f"{title}: đề xuất tập thể tiêu biểu (để Hội đồng xem xét)", [
        ("Loại", "", 14), ("Tên", "", 38), ("Xã", "", 16), ("Lý do đề xuất", "", 70)],
        [[kinds.get(r.kind, r.kind), r.name, r.commune, r.reason] for r in cand.itertuples()])

    rows = [["Giai đoạn", f"{d.year_from}-{d.year_to}", None], ["Các năm có số liệu", _year_span(years), None],
            ["Địa giới", geo, None], ["Thời điểm lập", dt.datetime.now().strftime("%H:%M %d/%m/%Y"), None],
            ["Phần mềm", f"hoctap {__version__}", None],
            ["Ghi chú", "Tỷ lệ lưu đủ số lẻ, hiển thị một chữ số thập phân; ô trống: không có số liệu.", None]]
    for year, intake in sorted(d.intake.items()):
        for r in intake.sort_values("path").itertuples():
            rows.append([f"{year}: {r.path}", INTAKE_STATUS.get(r.status, r.status), r.sha256])
    _sheet(wb, "Nguồn số liệu", f"{title}: nguồn số liệu và thông tin lập bảng",
           [("Tệp / thông tin", "", 50), ("Tình trạng / giá trị", "", 40), ("Mã băm SHA-256", "", 68)], rows)

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


# ---- outputs ------------------------------------------------------------------------------------


def render_outputs(ws: Workspace, kind: str, year_from: int, year_to: int, executed_notebook: Path) -> dict[str, Path]:
    """Write reports/<kind>-<from>-<to>/<kind>-<from>-<to>.html, .pdf, .xlsx; update reports/index.html."""
    from .render import html_to_pdf, notebook_to_html, update_index

    d = load(ws, kind, year_from, year_to, build=False)
    out = ws.reports_period(kind, year_from, year_to)
    html = notebook_to_html(Path(executed_notebook), out / f"{d.stem}.html", report_title(d))
    pdf = html_to_pdf(html, out / f"{d.stem}.pdf")
    xlsx = write_period_appendix(d, out / f"{d.stem}.xlsx")
    index = update_index(ws.reports_dir)
    return {"html": html, "pdf": pdf, "xlsx": xlsx, "index": index}

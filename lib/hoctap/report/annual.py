"""The annual report: Vietnamese sections built from a year's processed tables.

Notebook ``03-annual-report`` calls these functions and displays the HTML they return;
``render_outputs`` turns the executed notebook into the HTML, PDF and Excel files.
"""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import pandas as pd

from .. import __version__
from ..paths import Workspace
from ..reference import Reference, deadline
from . import charts
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
    vn_key,
)

TITLE = "BÁO CÁO"
BEHIND = {"Chưa đạt", "Chậm tiến độ"}
GOOD = {"Đạt", "Đúng tiến độ"}
CHART_CODES = (
    "family_title_rate",
    "clan_title_rate",
    "community_title_rate",
    "school_unit_title_rate",
)
INTAKE_STATUS = {
    "accepted": "tiếp nhận",
    "rejected": "không tiếp nhận",
    "superseded": "thay bằng bản gửi sau",
    "ignored": "bỏ qua (không phải báo cáo)",
}
SEVERITY = {"error": "Lỗi", "warning": "Cảnh báo", "info": "Thông tin"}
ROW_STATUS = {
    "quarantined": "bị loại do có lỗi",
    "duplicate": "trùng lặp, đã gộp",
    "conflict-lost": "mâu thuẫn giữa hai báo cáo, không được chọn",
}


# ---- loading ------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=True)


def _read_parquet(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.is_file() else None


def _bool(series: pd.Series) -> pd.Series:
    if series.dtype == bool or str(series.dtype) == "boolean":
        return series.fillna(False).astype(bool)
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "có", "x"})


@dataclass
class AnnualData:
    ws: Workspace
    year: int
    settings: dict
    reference: Reference
    indicators: pd.DataFrame
    previous: pd.DataFrame | None
    intake: pd.DataFrame | None
    issues: pd.DataFrame | None
    completeness: pd.DataFrame | None
    schools: pd.DataFrame | None
    villages: pd.DataFrame | None
    orgs: pd.DataFrame | None
    meta: dict[str, Meta] = field(default_factory=indicator_meta)

    @property
    def area(self) -> pd.DataFrame:
        df = self.indicators[self.indicators["geo_level"] == "area"].copy()
        return self._ordered(df)

    @property
    def communes(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "commune"].copy()

    def _ordered(self, df: pd.DataFrame) -> pd.DataFrame:
        order = {code: i for i, code in enumerate(self.meta)}
        return (
            df.assign(_o=df["indicator"].map(order).fillna(99))
            .sort_values(["_o"])
            .drop(columns="_o")
        )

    @property
    def area_name(self) -> str:
        return self.settings.get("issuer", {}).get("area_name", "địa bàn")

    def label(self, code: str, fallback: object = None) -> str:
        if not is_missing(fallback) and str(fallback).strip():
            return str(fallback)
        return self.meta[code].label if code in self.meta else code

    def commune_name(self, code) -> str:
        if is_missing(code) or not str(code).strip():
            return DASH
        return self.reference.commune_name(str(code))

    @property
    def data_date(self) -> dt.date | None:
        """Latest report date among accepted submissions: the date the figures stand at."""
        for df in (self.intake, self.completeness):
            if df is not None and "report_date" in df:
                sub = df[df["status"] == "accepted"] if "status" in df and df is self.intake else df
                dates = pd.to_datetime(sub["report_date"], errors="coerce").dropna()
                if len(dates):
                    return dates.max().date()
        return None

    def source_caption(self) -> str:
        n = (
            int(_bool(self.completeness["submitted"]).sum())
            if self.completeness is not None
            else None
        )
        who = f"{number(n)} trường" if n is not None else "các trường"
        when = f", số liệu tính đến ngày {date_vn(self.data_date)}" if self.data_date else ""
        return f"Nguồn: tổng hợp báo cáo năm {self.year} của {who} (biểu mẫu HTSD-01){when}."


def load(ws: Workspace, year: int) -> AnnualData:
    """Read the year's processed tables (and last year's indicators for the comparison)."""
    proc = ws.processed(year)
    indicators = _read_csv(proc / "indicators.csv")
    if indicators is None:
        from ..errors import HoctapError

        raise HoctapError(
            f"chưa có {proc / 'indicators.csv'}: hãy chạy `hoctap indicators --year {year}`"
        )
    prev = _read_csv(ws.processed(year - 1) / "indicators.csv")
    if prev is not None:
        prev = prev[prev["geo_level"] == "area"]
    ref = Reference(ws.reference_dir)
    return AnnualData(
        ws=ws,
        year=year,
        settings=ref.settings,
        reference=ref,
        indicators=indicators,
        previous=prev,
        intake=_read_csv(proc / "intake.csv"),
        issues=_read_csv(proc / "issues.csv"),
        completeness=_read_csv(proc / "completeness.csv"),
        schools=_read_parquet(proc / "schools.parquet"),
        villages=_read_parquet(proc / "villages.parquet"),
        orgs=_read_parquet(proc / "orgs.parquet"),
    )


# ---- header, preamble, closing --------------------------------------------------------------


def summary_line(d: AnnualData) -> str:
    programme = d.settings.get("plan", {}).get("programme", "Đẩy mạnh phong trào học tập suốt đời")
    return f'Kết quả thực hiện Chương trình "{programme}" năm {d.year}'


def header(d: AnnualData, date: dt.date | str | None = None) -> str:
    if isinstance(date, str) and date.strip():
        date = dt.date.fromisoformat(date.strip())
    date = date or dt.date.today()
    return header_block(d.settings, date, TITLE, summary_line(d), date_words(date))


def preamble(d: AnnualData) -> str:
    plan = d.settings.get("plan", {})
    short = d.settings.get("issuer", {}).get("short", "") or "Đơn vị"
    ref = plan.get("reference", "")
    recipient = plan.get("recipient")
    first = f"Thực hiện {ref};" if ref else f"Thực hiện kế hoạch năm {d.year};"
    second = (
        f"Trên cơ sở tổng hợp báo cáo của các trường học, {short} báo cáo kết quả thực hiện năm {d.year} "
        f"trên địa bàn {d.area_name}" + (f" gửi {recipient}" if recipient else "") + " như sau:"
    )
    return synthetic_notice(d.reference) + paragraphs([first, second])


def synthetic_notice(reference: Reference) -> str:
    """A visible label on every report built from the shipped synthetic sample."""
    if not reference.synthetic:
        return ""
    return paragraph(
        "DỮ LIỆU GIẢ LẬP: tên trường, tên thôn và mọi số liệu trong báo cáo này là dữ liệu mẫu "
        "tạo tự động để thử nghiệm phần mềm, không phải số liệu thật.",
        cls="synthetic",
    )


def closing(d: AnnualData) -> str:
    return closing_block(d.settings)


# ---- I. submissions ---------------------------------------------------------------------------


def _deadline_words(d: AnnualData, every_year: bool = False) -> str:
    day = deadline(d.settings, d.year)
    inclusive = d.settings.get("reporting", {}).get("deadline_inclusive", False)
    when = f"{day:%d/%m} hằng năm" if every_year else f"{day:%d/%m/%Y}"
    return f"{'chậm nhất' if inclusive else 'trước'} ngày {when}"


def _vn_sorted(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return df.sort_values(columns, key=lambda s: s.map(lambda v: "\x00".join(vn_key(v))))


def _completeness(d: AnnualData) -> pd.DataFrame:
    df = d.completeness.copy()
    df["submitted_b"] = _bool(df["submitted"])
    df["on_time_b"] = _bool(df["on_time"]) & df["submitted_b"]
    df["expected_b"] = _bool(df["expected"]) if "expected" in df else True
    df["commune_name"] = df["commune_code"].map(d.commune_name) if "commune_code" in df else DASH
    df["state"] = df.apply(
        lambda r: (
            "Chưa nộp" if not r["submitted_b"] else "Đúng hạn" if r["on_time_b"] else "Nộp muộn"
        ),
        axis=1,
    )
    return df


def section_submissions(d: AnnualData) -> str:
    out = [heading("I. TÌNH HÌNH NỘP BÁO CÁO")]
    if d.completeness is None:
        out.append(paragraph("Chưa có số liệu về tình hình nộp báo cáo của các trường."))
        return "\n".join(out)
    df = _completeness(d)
    exp = df[df["expected_b"]]
    n_exp = len(exp)
    sub = int(exp["submitted_b"].sum())
    on_time = int(exp["on_time_b"].sum())
    late = sub - on_time
    missing = _vn_sorted(exp[~exp["submitted_b"]], ["commune_name", "school_name"])
    extra = df[~df["expected_b"] & df["submitted_b"]]
    rate = 100 * sub / n_exp if n_exp else None
    rate_on = 100 * on_time / n_exp if n_exp else None
    text = (
        f"Năm {d.year}, có {number(n_exp)} trường học phải báo cáo theo danh sách; "
        f"{number(sub)} trường đã nộp báo cáo (đạt {pct(rate)}), trong đó {number(on_time)} trường nộp đúng hạn "
        f"({_deadline_words(d)}, đạt {pct(rate_on)}) và {number(late)} trường nộp muộn; "
        f"{number(len(missing))} trường chưa nộp báo cáo."
    )
    out.append(paragraph(text))
    if len(extra):
        out.append(
            paragraph(
                f"Ngoài ra có {number(len(extra))} báo cáo của trường không có trong danh sách trường học "
                "của năm; số liệu được tiếp nhận và cần rà soát lại danh sách."
            )
        )
    if len(missing):
        out.append(paragraph("Các trường chưa nộp báo cáo:"))
        out.append(bullet_list(f"{r.school_name} ({r.commune_name})" for r in missing.itertuples()))
    late_df = exp[exp["submitted_b"] & ~exp["on_time_b"]]
    if len(late_df):
        out.append(paragraph("Các trường nộp báo cáo muộn:"))
        out.append(
            bullet_list(
                f"{r.school_name} ({r.commune_name}), nộp ngày {date_vn(pd.to_datetime(r.report_date, errors='coerce'))}"
                for r in _vn_sorted(late_df, ["commune_name", "school_name"]).itertuples()
            )
        )
    return "\n".join(out)


# ---- II. indicators ---------------------------------------------------------------------------


def _target_text(row, with_year: bool = True) -> str:
    if is_missing(row.get("target_pct")):
        return DASH
    ty = (
        ""
        if is_missing(row.get("target_year")) or not with_year
        else f" (năm {int(row['target_year'])})"
    )
    return target_pct(row["target_pct"]) + ty


def _target_column(df: pd.DataFrame) -> tuple[pd.Series, str]:
    """Target texts and the column header; one target year goes into the header."""
    years = df["target_year"].dropna().astype(int).unique()
    if len(years) == 1:
        return df.apply(lambda r: _target_text(r, False), axis=1), f"Chỉ tiêu năm {years[0]}"
    return df.apply(_target_text, axis=1), "Chỉ tiêu kế hoạch"


def _coverage(row) -> str:
    parts = []
    if not is_missing(row.get("schools_expected")):
        parts.append(
            f"{number(row.get('schools_reporting'))}/{number(row['schools_expected'])} trường"
        )
    if not is_missing(row.get("villages_known")) and float(row["villages_known"]) > 0:
        parts.append(
            f"{number(row.get('villages_reporting'))}/{number(row['villages_known'])} thôn"
        )
    return "; ".join(parts) if parts else DASH


def _rate(row) -> str:
    return pct(row.get("rate_pct"), target=row.get("target_pct"), status=row.get("status"))


def _status(row) -> str:
    s = row.get("status")
    return DASH if is_missing(s) or not str(s).strip() else str(s)


def indicator_table(d: AnnualData) -> str:
    area = d.area
    area["label_vn"] = [d.label(r.indicator, getattr(r, "label", None)) for r in area.itertuples()]
    area["rate_txt"] = area.apply(_rate, axis=1)
    area["target_txt"], target_head = _target_column(area)
    area["status_txt"] = area.apply(_status, axis=1)
    area["coverage_txt"] = area.apply(_coverage, axis=1)
    return table(
        area,
        [
            ("label_vn", "Chỉ tiêu"),
            ("numerator", "Số đạt"),
            ("denominator", "Tổng số"),
            ("rate_txt", "Tỷ lệ"),
            ("target_txt", target_head),
            ("status_txt", "Đánh giá"),
            ("coverage_txt", "Số đơn vị báo cáo"),
        ],
        formats={"numerator": number, "denominator": number},
        numeric=("numerator", "denominator", "rate_txt"),
        caption=f"Bảng 1. Kết quả thực hiện các chỉ tiêu năm {d.year}, toàn {d.area_name}",
        cell_class={
            "status_txt": lambda r: "behind" if r.get("status") in BEHIND else None,
            "target_txt": lambda r: "c",
        },
        note='Tỷ lệ tính bằng tổng số đạt chia tổng số của các đơn vị báo cáo; "—": không có số liệu để tính.',
    )


def area_chart_html(d: AnnualData) -> str:
    fig = charts.area_chart(d.area, d.meta, d.year, d.area_name)
    img = charts.to_img(fig, f"Biểu đồ kết quả các chỉ tiêu năm {d.year}")
    return figure(
        img,
        f"Biểu đồ 1. Tỷ lệ đạt của các chỉ tiêu năm {d.year} so với chỉ tiêu kế hoạch (vạch đen). "
        + d.source_caption(),
    )


def _previous_rate(d: AnnualData, code: str):
    if d.previous is None:
        return None
    row = d.previous[d.previous["indicator"] == code]
    if not len(row) or is_missing(row["rate_pct"].iloc[0]):
        return None
    return float(row["rate_pct"].iloc[0])


def indicator_sentence(d: AnnualData, row) -> str:
    """One paragraph per indicator, written from the numbers."""
    code = row["indicator"]
    m = d.meta.get(code)
    subject = m.subject if m else d.label(code, row.get("label")).lower()
    where = f"Toàn {d.area_name}"
    if is_missing(row.get("rate_pct")):
        return f"{d.label(code, row.get('label'))}: chưa có số liệu để tính tỷ lệ (không có đơn vị báo cáo)."
    text = (
        f"{where} có {number(row['numerator'])}/{number(row['denominator'])} {subject}, "
        f"đạt {_rate(row)}"
    )
    if not is_missing(row.get("target_pct")):
        ty = "" if is_missing(row.get("target_year")) else f" năm {int(row['target_year'])}"
        text += f", so với chỉ tiêu {target_pct(row['target_pct'])}{ty}: {_status(row)}"
    else:
        text += " (chưa có chỉ tiêu kế hoạch)"
    prev = _previous_rate(d, code)
    if prev is not None:
        text += f"; {pp_words(float(row['rate_pct']) - prev)} so với năm {d.year - 1}"
    return text + "."


def indicator_paragraphs(d: AnnualData) -> str:
    return paragraphs(indicator_sentence(d, r) for _, r in d.area.iterrows())


def _commune_wide(d: AnnualData) -> tuple[pd.DataFrame, list[str]]:
    com = d.communes
    codes = [c for c in d.meta if c in set(com["indicator"])] + sorted(
        set(com["indicator"]) - set(d.meta)
    )
    names = sorted(com["geo_name"].dropna().unique(), key=vn_key)
    rows = []
    for name in names:
        sub = com[com["geo_name"] == name].set_index("indicator")
        first = sub.iloc[0]
        rec = {
            "geo_name": name,
            "coverage": f"{number(first.get('schools_reporting'))}/{number(first.get('schools_expected'))}",
        }
        for code in codes:
            if code in sub.index:
                r = sub.loc[code]
                rec[code] = _rate(r)
                rec[code + "_behind"] = r.get("status") in BEHIND
            else:
                rec[code] = DASH
        rows.append(rec)
    return pd.DataFrame(rows), codes


def commune_table(d: AnnualData) -> str:
    wide, codes = _commune_wide(d)
    cols = (
        [("geo_name", "Xã, thị trấn")]
        + [(c, f"({i})") for i, c in enumerate(codes, 1)]
        + [("coverage", "Trường báo cáo")]
    )
    key = "; ".join(
        f"({i}) {d.meta[c].short_label if c in d.meta else c}" for i, c in enumerate(codes, 1)
    )
    return table(
        wide,
        cols,
        numeric=codes + ["coverage"],
        cls="wide",
        caption=f"Bảng 2. Tỷ lệ đạt các chỉ tiêu theo xã, thị trấn năm {d.year}",
        cell_class={
            c: (lambda r, c=c: "behind" if r.get(c + "_behind") is True else None) for c in codes
        },
        note=f'{key}. Chữ nghiêng: chưa đạt hoặc chậm tiến độ so với chỉ tiêu; "—": không có số liệu.',
    )


def commune_chart_html(d: AnnualData) -> str:
    fig = charts.commune_chart(d.communes, d.meta, CHART_CODES, d.year)
    img = charts.to_img(fig, f"Biểu đồ tỷ lệ đạt danh hiệu theo xã năm {d.year}")
    return figure(
        img,
        f"Biểu đồ 2. Tỷ lệ đạt các danh hiệu học tập theo xã, thị trấn năm {d.year} "
        "(đường gạch: chỉ tiêu kế hoạch). " + d.source_caption(),
    )


def section_indicators_intro(d: AnnualData) -> str:
    return heading("II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU") + heading(
        f"1. Kết quả toàn {d.area_name}", 2
    )


def section_communes_intro(d: AnnualData) -> str:
    n = d.communes["geo_code"].nunique()
    return heading("2. Kết quả theo xã, thị trấn", 2) + paragraph(
        f"Kết quả của {number(n)} xã, thị trấn (theo địa giới hành chính tại ngày "
        f"{date_vn(deadline(d.settings, d.year))}) được trình bày ở Bảng 2 và Biểu đồ 2; chi tiết số đạt, "
        "tổng số của từng chỉ tiêu ở Phụ lục 1."
    )


# ---- III. data quality ------------------------------------------------------------------------


def _file_name(path) -> str:
    return DASH if is_missing(path) else PurePath(str(path)).name


def section_quality(d: AnnualData) -> str:
    out = [heading("III. CHẤT LƯỢNG SỐ LIỆU")]
    if d.intake is not None and len(d.intake):
        counts = d.intake["status"].value_counts()
        parts = [
            f"{number(int(counts[s]))} tệp {INTAKE_STATUS[s]}" for s in INTAKE_STATUS if s in counts
        ]
        out.append(
            paragraph(f"Đã nhận {number(len(d.intake))} tệp báo cáo: " + ", ".join(parts) + ".")
        )
        bad = d.intake[d.intake["status"] == "rejected"]
        if len(bad):
            bad = bad.assign(file=bad["path"].map(_file_name))
            out.append(
                table(
                    bad,
                    [
                        ("file", "Tệp"),
                        ("school_name", "Trường"),
                        ("reason", "Lý do không tiếp nhận"),
                    ],
                    caption="Bảng 3. Các tệp không được tiếp nhận",
                )
            )
    else:
        out.append(paragraph("Không có tệp báo cáo nào được nhận."))
    if d.issues is not None and len(d.issues):
        sev = d.issues["severity"].value_counts()
        n_err, n_warn = int(sev.get("error", 0)), int(sev.get("warning", 0))
        out.append(
            paragraph(
                f"Khi kiểm tra số liệu phát hiện {number(n_err)} lỗi và {number(n_warn)} cảnh báo. "
                "Dòng số liệu có lỗi không được tính vào cả số đạt và tổng số của chỉ tiêu; dòng chỉ có cảnh báo "
                "vẫn được tính; ô để trống không được coi là số 0. Danh sách lỗi của từng trường được gửi lại trường để sửa."
            )
        )
        iss = d.issues.copy()
        iss["severity_vn"] = iss["severity"].map(SEVERITY).fillna(DASH)
        iss["_rank"] = iss["severity"].map({"error": 0, "warning": 1, "info": 2}).fillna(3)
        grouped = (
            iss.groupby("code", dropna=False)
            .agg(
                example=("message", "first"),
                severity_vn=("severity_vn", "first"),
                n=("message", "size"),
                schools=("school_id", "nunique"),
                _rank=("_rank", "min"),
            )
            .reset_index()
            .sort_values(["_rank", "n"], ascending=[True, False])
        )
        out.append(
            table(
                grouped,
                [
                    ("example", "Vấn đề (ví dụ)"),
                    ("severity_vn", "Mức độ"),
                    ("n", "Số lần"),
                    ("schools", "Số trường"),
                ],
                formats={"n": number, "schools": number},
                numeric=("n", "schools"),
                cell_class={"severity_vn": lambda r: "nowrap"},
                caption="Bảng 4. Các loại vấn đề phát hiện trong số liệu",
            )
        )
    else:
        out.append(paragraph("Không phát hiện lỗi trong số liệu các trường gửi."))
    excluded = []
    for df, what in (
        (d.villages, "dòng thôn, buôn, tổ dân phố"),
        (d.orgs, "dòng cơ quan, tổ chức"),
    ):
        if df is None or "status" not in df:
            continue
        counts = df["status"].value_counts()
        for status, words in ROW_STATUS.items():
            if counts.get(status, 0):
                excluded.append(f"{number(int(counts[status]))} {what} {words}")
    if d.schools is not None and "status" in d.schools:
        q = int((d.schools["status"] == "quarantined").sum())
        if q:
            excluded.append(
                f"{number(q)} trường có lỗi ở phần số liệu đơn vị nên số liệu đơn vị không được tính"
            )
    if excluded:
        out.append(paragraph("Số liệu không được đưa vào tính toán:"))
        out.append(bullet_list(excluded))
    else:
        out.append(paragraph("Không có dòng số liệu nào bị loại khỏi tính toán."))
    return "\n".join(out)


# ---- IV. assessment -----------------------------------------------------------------------------


def commune_margins(d: AnnualData) -> pd.DataFrame:
    """Mean margin over the governing target per commune (indicators with a rate and a target)."""
    com = d.communes.dropna(subset=["rate_pct", "target_pct"])
    if not len(com):
        return pd.DataFrame(columns=["geo_name", "margin", "n"])
    com = com.assign(margin=com["rate_pct"].astype(float) - com["target_pct"].astype(float))
    return (
        com.groupby("geo_name")
        .agg(margin=("margin", "mean"), n=("margin", "size"))
        .reset_index()
        .sort_values(["margin", "geo_name"], ascending=[False, True])
    )


def margin_words(m: float) -> str:
    if round(m, 1) == 0:
        return "bằng chỉ tiêu"
    return f"{'cao' if m > 0 else 'thấp'} hơn chỉ tiêu bình quân {decimal(abs(m), 1)} điểm %"


def section_assessment(d: AnnualData) -> str:
    out = [heading("IV. ĐÁNH GIÁ CHUNG VÀ ĐỀ XUẤT"), heading("1. Đánh giá chung", 2)]
    area = d.area
    with_target = area[area["target_pct"].notna() & area["rate_pct"].notna()]
    good = with_target[with_target["status"].isin(GOOD)]
    behind = with_target[with_target["status"].isin(BEHIND)]
    out.append(
        paragraph(
            f"Trong {number(len(with_target))} chỉ tiêu có chỉ tiêu kế hoạch và có số liệu, {number(len(good))} chỉ tiêu "
            f"đạt hoặc đúng tiến độ, {number(len(behind))} chỉ tiêu chưa đạt hoặc chậm tiến độ."
        )
    )
    if len(behind):
        out.append(paragraph("Các chỉ tiêu chưa đạt hoặc chậm tiến độ:"))
        out.append(
            bullet_list(
                f"{d.label(r['indicator'], r.get('label'))}: đạt {_rate(r)}, chỉ tiêu {target_pct(r['target_pct'])}"
                f"{'' if is_missing(r.get('target_year')) else ' năm ' + str(int(r['target_year']))} ({r['status'].lower()})"
                for _, r in behind.iterrows()
            )
        )
    margins = commune_margins(d)
    if len(margins):
        k = 3 if len(margins) >= 6 else 1
        best = margins.head(k)
        worst = margins.tail(k).iloc[::-1]
        out.append(
            paragraph(
                "Xã, thị trấn có kết quả tốt nhất (so với chỉ tiêu kế hoạch): "
                + "; ".join(f"{r.geo_name} ({margin_words(r.margin)})" for r in best.itertuples())
                + "."
            )
        )
        if len(margins) > k:
            out.append(
                paragraph(
                    "Xã, thị trấn có kết quả thấp nhất: "
                    + "; ".join(
                        f"{r.geo_name} ({margin_words(r.margin)})" for r in worst.itertuples()
                    )
                    + "."
                )
            )
    out.append(heading("2. Đề xuất", 2))
    short = d.settings.get("issuer", {}).get("short", "")
    proposals = []
    if d.completeness is not None:
        df = _completeness(d)
        exp = df[df["expected_b"]]
        miss = int((~exp["submitted_b"]).sum())
        late = int((exp["submitted_b"] & ~exp["on_time_b"]).sum())
        if miss:
            proposals.append(
                f"Đề nghị {number(miss)} trường chưa nộp báo cáo khẩn trương hoàn thành, gửi về {short or 'cơ quan tổng hợp'}."
            )
        if late:
            proposals.append(
                f"Các trường nộp báo cáo đúng hạn ({_deadline_words(d, every_year=True)})."
            )
    if d.issues is not None and (d.issues["severity"] == "error").any():
        proposals.append(
            "Các trường rà soát, sửa các lỗi số liệu đã được thông báo và kiểm tra tệp bằng công cụ kiểm tra trước khi gửi."
        )
    for _, r in behind.iterrows():
        proposals.append(
            f"Tập trung chỉ đạo nâng cao {d.label(r['indicator'], r.get('label'))[:1].lower()}"
            f"{d.label(r['indicator'], r.get('label'))[1:]}."
        )
    if len(margins) > 1 and margins["margin"].iloc[-1] < 0:
        proposals.append(
            f"Quan tâm hỗ trợ {margins['geo_name'].iloc[-1]} và các xã, thị trấn có kết quả thấp."
        )
    if not proposals:
        proposals.append("Tiếp tục duy trì và nâng cao chất lượng các danh hiệu học tập đã đạt.")
    out.append(bullet_list(proposals))
    return "\n".join(out)


# ---- appendix -----------------------------------------------------------------------------------


def appendix_communes(d: AnnualData) -> str:
    out = [
        '<h2 class="appendix-title new-page">PHỤ LỤC</h2>',
        paragraph(f"(Kèm theo Báo cáo kết quả thực hiện năm {d.year})", "appendix-sub"),
        heading("Phụ lục 1. Kết quả các chỉ tiêu theo từng xã, thị trấn", 2),
    ]
    com = d.communes
    for i, name in enumerate(sorted(com["geo_name"].dropna().unique(), key=vn_key), 1):
        sub = d._ordered(com[com["geo_name"] == name])
        sub["label_vn"] = [
            d.label(r.indicator, getattr(r, "label", None)) for r in sub.itertuples()
        ]
        sub["rate_txt"] = sub.apply(_rate, axis=1)
        sub["target_txt"], target_head = _target_column(sub)
        sub["status_txt"] = sub.apply(_status, axis=1)
        first = sub.iloc[0]
        out.append(
            table(
                sub,
                [
                    ("label_vn", "Chỉ tiêu"),
                    ("numerator", "Số đạt"),
                    ("denominator", "Tổng số"),
                    ("rate_txt", "Tỷ lệ"),
                    ("target_txt", target_head),
                    ("status_txt", "Đánh giá"),
                ],
                formats={"numerator": number, "denominator": number},
                numeric=("numerator", "denominator", "rate_txt"),
                caption=f"1.{i}. {name}",
                cell_class={"target_txt": lambda r: "c"},
                note=f"Số đơn vị báo cáo: {_coverage(first)}.",
            )
        )
    return "\n".join(out)


def _yes_no(x) -> str:
    if is_missing(x):
        return DASH
    return "Có" if str(x).strip().lower() in {"true", "1", "có", "yes"} else "Không"


def school_rows(d: AnnualData) -> pd.DataFrame:
    """One row per expected or submitting school, with its state and unit figures."""
    if d.completeness is None:
        return pd.DataFrame()
    df = _completeness(d)
    df["date_txt"] = (
        pd.to_datetime(df["report_date"], errors="coerce").map(date_vn)
        if "report_date" in df
        else DASH
    )
    if d.schools is not None and len(d.schools):
        cols = [
            c
            for c in ("school_id", "school_unit_title", "staff_total", "staff_citizen", "status")
            if c in d.schools
        ]
        sch = (
            d.schools[cols].rename(columns={"status": "school_status"}).drop_duplicates("school_id")
        )
        df = df.merge(sch, on="school_id", how="left")
    for c in ("school_unit_title", "staff_total", "staff_citizen", "school_status"):
        if c not in df:
            df[c] = pd.NA
    df["title_txt"] = df["school_unit_title"].map(_yes_no)
    df.loc[df["school_status"] == "quarantined", "state"] = (
        df["state"] + " (số liệu đơn vị có lỗi, không tính)"
    )
    return _vn_sorted(df, ["commune_name", "school_name"])


def appendix_schools(d: AnnualData) -> str:
    df = school_rows(d)
    out = [heading("Phụ lục 2. Tình hình báo cáo và số liệu đơn vị của từng trường", 2)]
    if not len(df):
        return "\n".join(out + [paragraph("Chưa có số liệu.")])
    out.append(
        table(
            df,
            [
                ("school_name", "Trường"),
                ("commune_name", "Xã, thị trấn"),
                ("date_txt", "Ngày báo cáo"),
                ("state", "Tình trạng"),
                ("title_txt", "Đơn vị học tập"),
                ("staff_total", "Tổng số CB, GV, NV"),
                ("staff_citizen", "Số đạt Công dân học tập"),
            ],
            formats={"staff_total": number, "staff_citizen": number},
            numeric=("staff_total", "staff_citizen"),
            cls="wide",
            cell_class={"commune_name": lambda r: "nowrap", "date_txt": lambda r: "nowrap"},
        )
    )
    return "\n".join(out)


def provenance(
    d: AnnualData, parameters: dict | None = None, run_time: dt.datetime | None = None
) -> str:
    run_time = run_time or dt.datetime.now().astimezone()
    p = parameters or {}
    rows = [
        ("Năm báo cáo", str(d.year)),
        ("Thư mục dữ liệu", str(p.get("data_dir", d.ws.data_dir))),
        ("Thư mục báo cáo", str(p.get("reports_dir", d.ws.reports_dir))),
        (
            "Địa giới hành chính dùng cho bảng theo xã",
            f"ngày {date_vn(deadline(d.settings, d.year))}",
        ),
        ("Phần mềm", f"hoctap {__version__} (Python {platform.python_version()})"),
        ("Thời điểm lập", f"{run_time:%H:%M} {date_vn(run_time.date())}"),
    ]
    out = [heading("Phụ lục 3. Nguồn số liệu và thông tin lập báo cáo", 2)]
    out.append(
        table(
            pd.DataFrame(rows, columns=["k", "v"]),
            [("k", "Thông tin"), ("v", "Giá trị")],
            number_rows=False,
            cls="data prov",
        )
    )
    if d.intake is not None and len(d.intake):
        intake = d.intake.assign(
            status_vn=d.intake["status"].map(INTAKE_STATUS).fillna(d.intake["status"])
        )
        out.append(
            table(
                intake.sort_values("path"),
                [("path", "Tệp"), ("status_vn", "Tình trạng"), ("sha256", "Mã băm SHA-256")],
                cls="data prov",
                caption="Các tệp đầu vào",
                cell_class={"sha256": lambda r: "hash"},
            )
        )
    return "\n".join(out)


# ---- outputs ------------------------------------------------------------------------------------


def report_title(year: int) -> str:
    return f"Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm {year}"


def render_outputs(ws: Workspace, year: int, executed_notebook: Path) -> dict[str, Path]:
    """Write reports/<Y>/bao-cao-nam-<Y>.html, .pdf, .xlsx from the executed notebook; update the index."""
    from .excel import write_annual_appendix
    from .render import html_to_pdf, notebook_to_html, update_index

    out = ws.reports_year(year)
    stem = f"bao-cao-nam-{year}"
    html = notebook_to_html(Path(executed_notebook), out / f"{stem}.html", report_title(year))
    pdf = html_to_pdf(html, out / f"{stem}.pdf")
    xlsx = write_annual_appendix(ws, year, out / f"{stem}.xlsx")
    index = update_index(ws.reports_dir)
    return {"html": html, "pdf": pdf, "xlsx": xlsx, "index": index}

"""The annual report: its sections, as blocks, from one year's processed tables.

``load`` reads the year into an ``AnnualData``; each section function takes it and returns a
``Section``; ``document`` puts them in the order of ``report-format.md``. Notebook
``03-annual-report`` shows that document, and ``publish`` renders it to HTML, PDF and Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from hoctap.analysis.ranking import commune_ranking
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError
from hoctap.paths import Workspace
from hoctap.programme import NAME as PROGRAMME_NAME
from hoctap.reference import Reference, deadline
from hoctap.report import charts, common
from hoctap.report.blocks import Document, Heading, Paragraph, Section, frame_table
from hoctap.report.data import (
    ReportData,
    as_bool,
    latest_report_date,
    vn_sorted,
)
from hoctap.report.meta import DASH, date_vn, is_missing, number, pct, pp_words, target_pct, vn_key
from hoctap.vocabulary import (
    BEHIND,
    ERROR,
    GOOD,
    INTAKE_WORDS,
    QUARANTINED,
    REJECTED,
    ROW_WORDS,
    SEVERITY_RANK,
    SEVERITY_WORDS,
    SUBMISSION_LATE,
    SUBMISSION_MISSING,
    SUBMISSION_ON_TIME,
    WARNING,
)

CHART_CODES = (
    "family_title_rate",
    "clan_title_rate",
    "community_title_rate",
    "school_unit_title_rate",
)


@dataclass(kw_only=True)
class AnnualData(ReportData):
    year: int
    indicators: pd.DataFrame
    previous: pd.DataFrame | None
    intake: pd.DataFrame | None
    issues: pd.DataFrame | None
    completeness: pd.DataFrame | None
    schools: pd.DataFrame | None
    villages: pd.DataFrame | None
    orgs: pd.DataFrame | None

    @property
    def area(self) -> pd.DataFrame:
        return self.ordered(self.indicators[self.indicators["geo_level"] == "area"].copy())

    @property
    def communes(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "commune"].copy()

    @property
    def data_date(self) -> dt.date | None:
        """The date the figures stand at: the latest report date of an accepted submission."""
        return latest_report_date(self.intake) or latest_report_date(self.completeness)

    def source_caption(self) -> str:
        n = int(as_bool(self.completeness["submitted"]).sum()) if self.completeness is not None else None
        who = f"{number(n)} trường" if n is not None else "các trường"
        when = f", số liệu tính đến ngày {date_vn(self.data_date)}" if self.data_date else ""
        return f"Nguồn: tổng hợp báo cáo năm {self.year} của {who} (biểu mẫu HTSD-01){when}."

    def summary_line(self) -> str:
        plan = self.settings.get("plan", {})
        programme = plan.get("programme", PROGRAMME_NAME)
        return f'Kết quả thực hiện Chương trình "{programme}" năm {self.year}'

    def provenance_facts(self):
        geography = f"ngày {date_vn(deadline(self.settings, self.year))}"
        return (
            [("Năm báo cáo", str(self.year))],
            [("Địa giới hành chính dùng cho bảng theo xã", geography)],
        )

    def input_files(self):
        return [(None, self.intake)]


def load(ws: Workspace, year: int) -> AnnualData:
    """Read the year's processed tables (and last year's indicators for the comparison)."""
    cat = Catalog(ws)
    indicators = cat.read("indicators", optional=True, year=year)
    if indicators is None:
        raise HoctapError(f"chưa có {cat.path('indicators', year=year)}: hãy chạy `hoctap indicators --year {year}`")
    prev = cat.read("indicators", optional=True, year=year - 1)
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
        **{
            name: cat.read(name, optional=True, year=year)
            for name in ("intake", "issues", "completeness", "schools", "villages", "orgs")
        },
    )


def report_title(year: int) -> str:
    return f"Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm {year}"


# ---- preamble ---------------------------------------------------------------------------------


def preamble(d: AnnualData) -> Section:
    plan = d.settings.get("plan", {})
    short = d.settings.get("issuer", {}).get("short", "") or "Đơn vị"
    ref = plan.get("reference", "")
    recipient = plan.get("recipient")
    first = f"Thực hiện {ref};" if ref else f"Thực hiện kế hoạch năm {d.year};"
    second = (
        f"Trên cơ sở tổng hợp báo cáo của các trường học, {short} báo cáo kết quả thực hiện năm "
        f"{d.year} trên địa bàn {d.area_name}" + (f" gửi {recipient}" if recipient else "") + " như sau:"
    )
    return Section([*common.synthetic_notice(d), Paragraph(first), Paragraph(second)], "preamble")


# ---- I. submissions ---------------------------------------------------------------------------


def completeness(d: AnnualData) -> pd.DataFrame:
    """completeness.csv with yes/no as booleans, the commune's name and the state in words."""
    df = d.completeness.copy()
    df["submitted_b"] = as_bool(df["submitted"])
    df["on_time_b"] = as_bool(df["on_time"]) & df["submitted_b"]
    df["expected_b"] = as_bool(df["expected"]) if "expected" in df else True
    df["commune_name"] = df["commune_code"].map(d.commune_name) if "commune_code" in df else DASH
    df["state"] = [
        SUBMISSION_MISSING if not s else SUBMISSION_ON_TIME if o else SUBMISSION_LATE
        for s, o in zip(df["submitted_b"], df["on_time_b"], strict=True)
    ]
    return df


def section_submissions(d: AnnualData) -> Section:
    out = [Heading("I. TÌNH HÌNH NỘP BÁO CÁO")]
    if d.completeness is None:
        out.append(Paragraph("Chưa có số liệu về tình hình nộp báo cáo của các trường."))
        return Section(out, "submissions")
    df = completeness(d)
    exp = df[df["expected_b"]]
    n_exp = len(exp)
    sub = int(exp["submitted_b"].sum())
    on_time = int(exp["on_time_b"].sum())
    late = sub - on_time
    missing = vn_sorted(exp[~exp["submitted_b"]], ["commune_name", "school_name"])
    extra = df[~df["expected_b"] & df["submitted_b"]]
    rate = 100 * sub / n_exp if n_exp else None
    rate_on = 100 * on_time / n_exp if n_exp else None
    out.append(
        Paragraph(
            f"Năm {d.year}, có {number(n_exp)} trường học phải báo cáo theo danh sách; "
            f"{number(sub)} trường đã nộp báo cáo (đạt {pct(rate)}), trong đó {number(on_time)} "
            f"trường nộp đúng hạn ({common.deadline_words(d, d.year)}, đạt {pct(rate_on)}) và "
            f"{number(late)} trường nộp muộn; {number(len(missing))} trường chưa nộp báo cáo."
        )
    )
    if len(extra):
        out.append(
            Paragraph(
                f"Ngoài ra có {number(len(extra))} báo cáo của trường không có trong danh sách "
                "trường học của năm; số liệu được tiếp nhận và cần rà soát lại danh sách."
            )
        )
    if len(missing):
        out.append(Paragraph("Các trường chưa nộp báo cáo:"))
        out.append(common.dash_list(f"{r.school_name} ({r.commune_name})" for r in missing.itertuples()))
    late_df = exp[exp["submitted_b"] & ~exp["on_time_b"]]
    if len(late_df):
        out.append(Paragraph("Các trường nộp báo cáo muộn:"))
        out.append(
            common.dash_list(
                f"{r.school_name} ({r.commune_name}), nộp ngày "
                f"{date_vn(pd.to_datetime(r.report_date, errors='coerce'))}"
                for r in vn_sorted(late_df, ["commune_name", "school_name"]).itertuples()
            )
        )
    return Section(out, "submissions")


# ---- II. indicators ---------------------------------------------------------------------------


def _target_text(row, with_year: bool = True) -> str:
    if is_missing(row.get("target_pct")):
        return DASH
    ty = "" if is_missing(row.get("target_year")) or not with_year else f" (năm {int(row['target_year'])})"
    return target_pct(row["target_pct"]) + ty


def _target_column(df: pd.DataFrame) -> tuple[pd.Series, str]:
    """Target texts and the column header; one target year goes into the header."""
    years = df["target_year"].dropna().astype(int).unique()
    if len(years) == 1:
        return df.apply(lambda r: _target_text(r, False), axis=1), f"Chỉ tiêu năm {years[0]}"
    return df.apply(_target_text, axis=1), "Chỉ tiêu kế hoạch"


def coverage_text(row) -> str:
    parts = []
    if not is_missing(row.get("schools_expected")):
        parts.append(f"{number(row.get('schools_reporting'))}/{number(row['schools_expected'])} trường")
    if not is_missing(row.get("villages_known")) and float(row["villages_known"]) > 0:
        parts.append(f"{number(row.get('villages_reporting'))}/{number(row['villages_known'])} thôn")
    return "; ".join(parts) if parts else DASH


def rate_text(row) -> str:
    return pct(row.get("rate_pct"), target=row.get("target_pct"), status=row.get("status"))


def status_text(row) -> str:
    s = row.get("status")
    return DASH if is_missing(s) or not str(s).strip() else str(s)


def _with_texts(d: AnnualData, df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    df = df.copy()
    df["label_vn"] = [d.label(r.indicator, getattr(r, "label", None)) for r in df.itertuples()]
    df["rate_txt"] = df.apply(rate_text, axis=1)
    df["target_txt"], target_head = _target_column(df)
    df["status_txt"] = df.apply(status_text, axis=1)
    return df, target_head


def indicator_table(d: AnnualData) -> Section:
    area, target_head = _with_texts(d, d.area)
    area["coverage_txt"] = area.apply(coverage_text, axis=1)
    table = frame_table(
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
        cell_style={
            "status_txt": lambda r: {"italic": r.get("status") in BEHIND},
            "target_txt": lambda r: {"align": "center"},
        },
        note='Tỷ lệ tính bằng tổng số đạt chia tổng số của các đơn vị báo cáo; "—": không có số liệu để tính.',
    )
    return Section([table], "indicator-table")


def area_chart(d: AnnualData) -> Section:
    fig = charts.area_chart(d.area, d.meta, d.year, d.area_name)
    caption = (
        f"Biểu đồ 1. Tỷ lệ đạt của các chỉ tiêu năm {d.year} so với chỉ tiêu kế hoạch (vạch đen). " + d.source_caption()
    )
    return Section([charts.figure(fig, f"Biểu đồ kết quả các chỉ tiêu năm {d.year}", caption)], "area-chart")


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
    label = d.label(code, row.get("label"))
    subject = m.subject if m else label.lower()
    if is_missing(row.get("rate_pct")):
        return f"{label}: chưa có số liệu để tính tỷ lệ (không có đơn vị báo cáo)."
    text = (
        f"Toàn {d.area_name} có {number(row['numerator'])}/{number(row['denominator'])} {subject}, đạt {rate_text(row)}"
    )
    if not is_missing(row.get("target_pct")):
        ty = "" if is_missing(row.get("target_year")) else f" năm {int(row['target_year'])}"
        text += f", so với chỉ tiêu {target_pct(row['target_pct'])}{ty}: {status_text(row)}"
    else:
        text += " (chưa có chỉ tiêu kế hoạch)"
    prev = _previous_rate(d, code)
    if prev is not None:
        text += f"; {pp_words(float(row['rate_pct']) - prev)} so với năm {d.year - 1}"
    return text + "."


def indicator_paragraphs(d: AnnualData) -> Section:
    return Section([Paragraph(indicator_sentence(d, r)) for _, r in d.area.iterrows()], "indicator-paragraphs")


def _commune_wide(d: AnnualData) -> tuple[pd.DataFrame, list[str]]:
    com = d.communes
    codes = [c for c in d.meta if c in set(com["indicator"])] + sorted(set(com["indicator"]) - set(d.meta))
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
                rec[code] = rate_text(r)
                rec[code + "_behind"] = r.get("status") in BEHIND
            else:
                rec[code] = DASH
        rows.append(rec)
    return pd.DataFrame(rows), codes


def commune_table(d: AnnualData) -> Section:
    wide, codes = _commune_wide(d)
    cols = (
        [("geo_name", "Xã, thị trấn")]
        + [(c, f"({i})") for i, c in enumerate(codes, 1)]
        + [("coverage", "Trường báo cáo")]
    )
    key = "; ".join(f"({i}) {d.short(c)}" for i, c in enumerate(codes, 1))
    table = frame_table(
        wide,
        cols,
        numeric=codes + ["coverage"],
        style="wide",
        caption=f"Bảng 2. Tỷ lệ đạt các chỉ tiêu theo xã, thị trấn năm {d.year}",
        cell_style={c: (lambda r, c=c: {"italic": r.get(c + "_behind") is True}) for c in codes},
        note=f'{key}. Chữ nghiêng: chưa đạt hoặc chậm tiến độ so với chỉ tiêu; "—": không có số liệu.',
    )
    return Section([table], "commune-table")


def commune_chart(d: AnnualData) -> Section:
    fig = charts.commune_chart(d.communes, d.meta, CHART_CODES, d.year)
    caption = (
        f"Biểu đồ 2. Tỷ lệ đạt các danh hiệu học tập theo xã, thị trấn năm {d.year} "
        "(đường gạch: chỉ tiêu kế hoạch). " + d.source_caption()
    )
    alt = f"Biểu đồ tỷ lệ đạt danh hiệu theo xã năm {d.year}"
    return Section([charts.figure(fig, alt, caption)], "commune-chart")


def section_indicators_intro(d: AnnualData) -> Section:
    return Section(
        [
            Heading("II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"),
            Heading(f"1. Kết quả toàn {d.area_name}", 2),
        ],
        "indicators-intro",
    )


def section_communes_intro(d: AnnualData) -> Section:
    n = d.communes["geo_code"].nunique()
    text = (
        f"Kết quả của {number(n)} xã, thị trấn (theo địa giới hành chính tại ngày "
        f"{date_vn(deadline(d.settings, d.year))}) được trình bày ở Bảng 2 và Biểu đồ 2; chi "
        "tiết số đạt, tổng số của từng chỉ tiêu ở Phụ lục 1."
    )
    return Section([Heading("2. Kết quả theo xã, thị trấn", 2), Paragraph(text)], "communes-intro")


# ---- III. data quality ------------------------------------------------------------------------


def _file_name(path) -> str:
    return DASH if is_missing(path) else PurePath(str(path)).name


def _issue_kinds(d: AnnualData) -> pd.DataFrame:
    iss = d.issues.assign(
        severity_vn=d.issues["severity"].map(SEVERITY_WORDS).fillna(DASH),
        _rank=d.issues["severity"].map(SEVERITY_RANK).fillna(3),
    )
    return (
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


def _excluded_rows(d: AnnualData) -> list[str]:
    excluded = []
    for df, what in (
        (d.villages, "dòng thôn, buôn, tổ dân phố"),
        (d.orgs, "dòng cơ quan, tổ chức"),
    ):
        if df is None or "status" not in df:
            continue
        counts = df["status"].value_counts()
        for status, words in ROW_WORDS.items():
            if counts.get(status, 0):
                excluded.append(f"{number(int(counts[status]))} {what} {words}")
    if d.schools is not None and "status" in d.schools:
        q = int((d.schools["status"] == QUARANTINED).sum())
        if q:
            excluded.append(f"{number(q)} trường có lỗi ở phần số liệu đơn vị nên số liệu đơn vị không được tính")
    return excluded


def section_quality(d: AnnualData) -> Section:
    out = [Heading("III. CHẤT LƯỢNG SỐ LIỆU")]
    if d.intake is not None and len(d.intake):
        counts = d.intake["status"].value_counts()
        parts = [f"{number(int(counts[s]))} tệp {w}" for s, w in INTAKE_WORDS.items() if s in counts]
        out.append(Paragraph(f"Đã nhận {number(len(d.intake))} tệp báo cáo: " + ", ".join(parts) + "."))
        bad = d.intake[d.intake["status"] == REJECTED]
        if len(bad):
            out.append(
                frame_table(
                    bad.assign(file=bad["path"].map(_file_name)),
                    [
                        ("file", "Tệp"),
                        ("school_name", "Trường"),
                        ("reason", "Lý do không tiếp nhận"),
                    ],
                    caption="Bảng 3. Các tệp không được tiếp nhận",
                )
            )
    else:
        out.append(Paragraph("Không có tệp báo cáo nào được nhận."))
    if d.issues is not None and len(d.issues):
        sev = d.issues["severity"].value_counts()
        n_err, n_warn = int(sev.get(ERROR, 0)), int(sev.get(WARNING, 0))
        out.append(
            Paragraph(
                f"Khi kiểm tra số liệu phát hiện {number(n_err)} lỗi và {number(n_warn)} cảnh báo. "
                "Dòng số liệu có lỗi không được tính vào cả số đạt và tổng số của chỉ tiêu; dòng chỉ "
                "có cảnh báo vẫn được tính; ô để trống không được coi là số 0. Danh sách lỗi của từng "
                "trường được gửi lại trường để sửa."
            )
        )
        out.append(
            frame_table(
                _issue_kinds(d),
                [
                    ("example", "Vấn đề (ví dụ)"),
                    ("severity_vn", "Mức độ"),
                    ("n", "Số lần"),
                    ("schools", "Số trường"),
                ],
                formats={"n": number, "schools": number},
                numeric=("n", "schools"),
                cell_style={"severity_vn": lambda r: {"nowrap": True}},
                caption="Bảng 4. Các loại vấn đề phát hiện trong số liệu",
            )
        )
    else:
        out.append(Paragraph("Không phát hiện lỗi trong số liệu các trường gửi."))
    excluded = _excluded_rows(d)
    if excluded:
        out.append(Paragraph("Số liệu không được đưa vào tính toán:"))
        out.append(common.dash_list(excluded))
    else:
        out.append(Paragraph("Không có dòng số liệu nào bị loại khỏi tính toán."))
    return Section(out, "quality")


# ---- IV. assessment -----------------------------------------------------------------------------


def _ranked_line(lead: str, rows) -> Paragraph:
    names = "; ".join(f"{r.geo_name} ({common.margin_words(r.margin)})" for r in rows.itertuples())
    return Paragraph(f"{lead}{names}.")


def section_assessment(d: AnnualData) -> Section:
    out = [Heading("IV. ĐÁNH GIÁ CHUNG VÀ ĐỀ XUẤT"), Heading("1. Đánh giá chung", 2)]
    area = d.area
    with_target = area[area["target_pct"].notna() & area["rate_pct"].notna()]
    good = with_target[with_target["status"].isin(GOOD)]
    behind = with_target[with_target["status"].isin(BEHIND)]
    out.append(
        Paragraph(
            f"Trong {number(len(with_target))} chỉ tiêu có chỉ tiêu kế hoạch và có số liệu, "
            f"{number(len(good))} chỉ tiêu đạt hoặc đúng tiến độ, {number(len(behind))} chỉ tiêu chưa "
            "đạt hoặc chậm tiến độ."
        )
    )
    if len(behind):
        out.append(Paragraph("Các chỉ tiêu chưa đạt hoặc chậm tiến độ:"))
        out.append(
            common.dash_list(
                f"{d.label(r['indicator'], r.get('label'))}: đạt {rate_text(r)}, chỉ tiêu "
                f"{target_pct(r['target_pct'])}"
                f"{'' if is_missing(r.get('target_year')) else ' năm ' + str(int(r['target_year']))}"
                f" ({r['status'].lower()})"
                for _, r in behind.iterrows()
            )
        )
    rank = commune_ranking(d.communes)
    if len(rank):
        k = 3 if len(rank) >= 6 else 1
        out.append(_ranked_line("Xã, thị trấn có kết quả tốt nhất (so với chỉ tiêu kế hoạch): ", rank.head(k)))
        if len(rank) > k:
            out.append(_ranked_line("Xã, thị trấn có kết quả thấp nhất: ", rank.tail(k).iloc[::-1]))
    out.append(Heading("2. Đề xuất", 2))
    out.append(common.dash_list(_proposals(d, behind, rank)))
    return Section(out, "assessment")


def _proposals(d: AnnualData, behind: pd.DataFrame, rank: pd.DataFrame) -> list[str]:
    short = d.settings.get("issuer", {}).get("short", "")
    proposals = []
    if d.completeness is not None:
        exp = completeness(d)
        exp = exp[exp["expected_b"]]
        miss = int((~exp["submitted_b"]).sum())
        late = int((exp["submitted_b"] & ~exp["on_time_b"]).sum())
        if miss:
            proposals.append(
                f"Đề nghị {number(miss)} trường chưa nộp báo cáo khẩn trương hoàn thành, gửi về "
                f"{short or 'cơ quan tổng hợp'}."
            )
        if late:
            proposals.append(f"Các trường nộp báo cáo đúng hạn ({common.deadline_words(d, d.year, every_year=True)}).")
    if d.issues is not None and (d.issues["severity"] == ERROR).any():
        proposals.append(
            "Các trường rà soát, sửa các lỗi số liệu đã được thông báo và kiểm tra tệp bằng công "
            "cụ kiểm tra trước khi gửi."
        )
    for _, r in behind.iterrows():
        label = d.label(r["indicator"], r.get("label"))
        proposals.append(f"Tập trung chỉ đạo nâng cao {label[:1].lower()}{label[1:]}.")
    if len(rank) > 1 and rank["margin"].iloc[-1] < 0:
        proposals.append(f"Quan tâm hỗ trợ {rank['geo_name'].iloc[-1]} và các xã, thị trấn có kết quả thấp.")
    if not proposals:
        proposals.append("Tiếp tục duy trì và nâng cao chất lượng các danh hiệu học tập đã đạt.")
    return proposals


# ---- appendix -----------------------------------------------------------------------------------


def appendix_communes(d: AnnualData) -> Section:
    out = [
        *common.appendix_title(f"(Kèm theo Báo cáo kết quả thực hiện năm {d.year})"),
        Heading("Phụ lục 1. Kết quả các chỉ tiêu theo từng xã, thị trấn", 2),
    ]
    com = d.communes
    for i, name in enumerate(sorted(com["geo_name"].dropna().unique(), key=vn_key), 1):
        sub, target_head = _with_texts(d, d.ordered(com[com["geo_name"] == name]))
        out.append(
            frame_table(
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
                cell_style={"target_txt": lambda r: {"align": "center"}},
                note=f"Số đơn vị báo cáo: {coverage_text(sub.iloc[0])}.",
            )
        )
    return Section(out, "appendix-communes")


def _yes_no(x) -> str:
    if is_missing(x):
        return DASH
    return "Có" if str(x).strip().lower() in {"true", "1", "có", "yes"} else "Không"


def school_rows(d: AnnualData) -> pd.DataFrame:
    """One row per expected or submitting school, with its state and unit figures."""
    if d.completeness is None:
        return pd.DataFrame()
    df = completeness(d)
    df["date_txt"] = pd.to_datetime(df["report_date"], errors="coerce").map(date_vn) if "report_date" in df else DASH
    if d.schools is not None and len(d.schools):
        cols = [
            c for c in ("school_id", "school_unit_title", "staff_total", "staff_citizen", "status") if c in d.schools
        ]
        sch = d.schools[cols].rename(columns={"status": "school_status"}).drop_duplicates("school_id")
        df = df.merge(sch, on="school_id", how="left")
    for c in ("school_unit_title", "staff_total", "staff_citizen", "school_status"):
        if c not in df:
            df[c] = pd.NA
    df["title_txt"] = df["school_unit_title"].map(_yes_no)
    df.loc[df["school_status"] == QUARANTINED, "state"] = df["state"] + " (số liệu đơn vị có lỗi, không tính)"
    return vn_sorted(df, ["commune_name", "school_name"])


def appendix_schools(d: AnnualData) -> Section:
    df = school_rows(d)
    out = [Heading("Phụ lục 2. Tình hình báo cáo và số liệu đơn vị của từng trường", 2)]
    if not len(df):
        return Section(out + [Paragraph("Chưa có số liệu.")], "appendix-schools")
    out.append(
        frame_table(
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
            style="wide",
            cell_style={
                "commune_name": lambda r: {"nowrap": True},
                "date_txt": lambda r: {"nowrap": True},
            },
        )
    )
    return Section(out, "appendix-schools")


# ---- the document -------------------------------------------------------------------------------


def document(
    d: AnnualData,
    date: dt.date | str | None = None,
    parameters: dict | None = None,
    run_time: dt.datetime | None = None,
) -> Document:
    """The annual report: every section in the order of ``report-format.md``."""
    return Document(
        report_title(d.year),
        [
            common.header(d, date),
            preamble(d),
            section_submissions(d),
            section_indicators_intro(d),
            indicator_table(d),
            area_chart(d),
            indicator_paragraphs(d),
            section_communes_intro(d),
            commune_table(d),
            commune_chart(d),
            section_quality(d),
            section_assessment(d),
            common.closing(d),
            appendix_communes(d),
            appendix_schools(d),
            common.provenance(d, parameters, run_time),
        ],
    )

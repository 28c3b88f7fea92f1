"""The annual report: its sections, as blocks, from one year's processed tables.

``load`` reads the year into an ``AnnualData``; each section function takes it and returns a
``Section``; ``document`` puts them in the order of ``report-format.md``. Notebook
``03-annual-report`` shows that document, and ``publish`` renders it to HTML, PDF and Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from hoctap.analysis.ranking import commune_ranking
from hoctap.catalog import Catalog
from hoctap.errors import HoctapError
from hoctap.fmt import to_date
from hoctap.paths import Workspace
from hoctap.programme import NAME as PROGRAMME_NAME
from hoctap.reference import Reference, deadline
from hoctap.report import annex as technical
from hoctap.report import chart_cache, common, narrative, prose, typeset
from hoctap.report.blocks import Document, Heading, Paragraph, Section, frame_table
from hoctap.report.data import (
    ReportData,
    as_bool,
    issue_settings,
    latest_report_date,
    units_word,
    vn_sorted,
)
from hoctap.report.meta import DASH, date_vn, date_words, is_missing, number, pct, target_pct, vn_key
from hoctap.report.prose import join_vn
from hoctap.vocabulary import (
    BEHIND,
    ERROR,
    QUARANTINED,
    REJECTED,
    ROW_WORDS,
    SUBMISSION_LATE,
    SUBMISSION_MISSING,
    SUBMISSION_ON_TIME,
    WARNING,
)

if TYPE_CHECKING:  # drawn through chart_cache, imported only on a miss; named here for the stage's code hash
    from hoctap.report import chart_communes, charts  # noqa: F401

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
    removed: pd.DataFrame | None = None

    @property
    def area(self) -> pd.DataFrame:
        return self.ordered(self.indicators[self.indicators["geo_level"] == "area"].copy())

    @property
    def communes(self) -> pd.DataFrame:
        return self.indicators[self.indicators["geo_level"] == "commune"].copy()

    @property
    def data_date(self) -> dt.date | None:
        """The date the figures stand at: the latest report date of an accepted submission, never
        after the issue date."""
        return self.data_date_until(latest_report_date(self.intake) or latest_report_date(self.completeness))

    def source_caption(self) -> str:
        n = int(as_bool(self.completeness["submitted"]).sum()) if self.completeness is not None else None
        who = f"{number(n)} trường" if n is not None else "các trường"
        when = f", số liệu tính đến ngày {date_vn(self.data_date)}" if self.data_date else ""
        return f"Nguồn: tổng hợp báo cáo năm {self.year} của {who}{when}."

    def summary_line(self) -> str:
        plan = self.settings.get("plan", {})
        programme = plan.get("programme", PROGRAMME_NAME)
        return f"Kết quả thực hiện Chương trình “{programme}” năm {self.year}"

    @property
    def units(self) -> str:
        """ "xã" or "xã, thị trấn": what the year's communes are, in words."""
        return units_word(self.reference.communes.set_index("code")["kind"].reindex(self.communes["geo_code"].unique()))

    def provenance_facts(self):
        geography = f"ngày {date_vn(deadline(self.settings, self.year))}"
        return (
            [("Năm báo cáo", str(self.year))],
            [("Địa giới hành chính dùng cho bảng theo xã", geography)],
        )

    def input_files(self):
        return [(None, self.intake)]


def load(ws: Workspace, year: int, issue_date=None) -> AnnualData:
    """Read the year's processed tables (and last year's indicators for the comparison), with the
    settings valid on the issue date (given, else today)."""
    cat = Catalog(ws)
    indicators = cat.read("indicators", optional=True, year=year)
    if indicators is None:
        raise HoctapError(f"chưa có {cat.path('indicators', year=year)}: hãy chạy `hoctap indicators --year {year}`")
    prev = cat.read("indicators", optional=True, year=year - 1)
    if prev is not None:
        prev = prev[prev["geo_level"] == "area"]
    ref = Reference(ws.reference_dir)
    day, settings = issue_settings(ref, issue_date)
    return AnnualData(
        ws=ws,
        year=year,
        settings=settings,
        reference=ref,
        issue_date=day,
        indicators=indicators,
        previous=prev,
        **{
            name: cat.read(name, optional=True, year=year)
            for name in ("intake", "issues", "completeness", "schools", "villages", "orgs", "removed")
        },
    )


def report_title(year: int) -> str:
    return f"Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm {year}"


# ---- the analyst's text ------------------------------------------------------------------------


def narrative_slots(year: int) -> list[narrative.Slot]:
    return narrative.slots("annual", f"năm {year + 1}")


def read_narrative(d: AnnualData) -> narrative.Narrative:
    return narrative.read(d.ws, "annual", narrative_slots(d.year), year=d.year)


def ensure_narrative(ws: Workspace, year: int) -> None:
    """Create ``narrative/bao-cao-nam-<Y>.md`` with its placeholders on the first build."""
    narrative.ensure(ws, "annual", report_title(year), narrative_slots(year), year=year)


# ---- preamble -----------------------------------------------------------------------------------


def preamble(d: AnnualData) -> Section:
    plan = d.settings.get("plan", {})
    ref = plan.get("reference", "")
    recipient = d.issuer.get("recipient")
    first = f"Thực hiện {ref};" if ref else f"Thực hiện kế hoạch năm {d.year};"
    second = (
        f"Trên cơ sở tổng hợp báo cáo của các trường học, {d.short_name} báo cáo kết quả thực hiện năm "
        f"{d.year} trên {d.area_name}" + (f" gửi {recipient}" if recipient else "") + " như sau:"
    )
    return Section([*common.synthetic_notice(d), Paragraph(first), Paragraph(second)], "preamble")


# ---- III.1 submissions ----------------------------------------------------------------------------


def submissions_text(d: AnnualData) -> list:
    """One paragraph: schools expected, submitted, on time, late, missing by name; before the
    deadline, the schools not yet heard from are "chưa nhận được", not late."""
    if d.completeness is None:
        return [Paragraph("Chưa có số liệu về tình hình nộp báo cáo của các trường.")]
    df = completeness(d)
    exp = df[df["expected_b"]]
    n_exp, sub = len(exp), int(exp["submitted_b"].sum())
    on_time = int(exp["on_time_b"].sum())
    late = exp[exp["submitted_b"] & ~exp["on_time_b"]]
    missing = vn_sorted(exp[~exp["submitted_b"]], ["commune_name", "school_name"])
    names = join_vn([f"{r.school_name} ({r.commune_name})" for r in missing.itertuples()])
    text = (
        f"Năm {d.year} có {number(n_exp)} trường học phải báo cáo; đã nhận báo cáo của {number(sub)} trường "
        f"(đạt {pct(100 * sub / n_exp if n_exp else None)})"
    )
    if not d.deadline_passed(d.year):
        text += f". Đến ngày ban hành báo cáo này, hạn nộp ({common.deadline_words(d, d.year)}) chưa hết; " + (
            f"chưa nhận được báo cáo của {number(len(missing))} trường: {names}."
            if len(missing)
            else "mọi trường đã gửi."
        )
    else:
        text += f", trong đó {number(on_time)} trường nộp đúng hạn ({common.deadline_words(d, d.year)})"
        if len(late):
            late_names = join_vn([r.school_name for r in vn_sorted(late, ["commune_name", "school_name"]).itertuples()])
            text += f", {number(len(late))} trường nộp muộn ({late_names})"
        text += f"; {number(len(missing))} trường chưa nộp" + (f": {names}." if len(missing) else ".")
    extra = df[~df["expected_b"] & df["submitted_b"]]
    if len(extra):
        text += (
            f" Ngoài ra có {number(len(extra))} báo cáo của trường không có trong danh sách trường học của năm; "
            "số liệu được tiếp nhận và danh sách cần được rà soát lại."
        )
    return [Paragraph(text)]


# ---- III.2-3 the indicators -------------------------------------------------------------------------


def area_chart(d: AnnualData) -> Section:
    [fig] = chart_cache.images(d.chart_cache, "hoctap.report.charts:area_chart", d.area, d.meta, d.year, d.area_name)
    caption = f"Biểu đồ 1. Tỷ lệ đạt các chỉ tiêu năm {d.year} so với chỉ tiêu kế hoạch. " + d.source_caption()
    return Section([chart_cache.figure(fig, f"Biểu đồ kết quả các chỉ tiêu năm {d.year}", caption)], "area-chart")


def indicator_paragraphs(d: AnnualData) -> Section:
    label = lambda code: d.label(code)  # noqa: E731
    texts = prose.status_paragraphs(d.area, d.year, label)
    previous = {c: v for c in d.meta if (v := _previous_rate(d, c)) is not None}
    change = prose.change_sentence(d.area, previous, d.year, label)
    return Section([Paragraph(t) for t in [*texts, change] if t], "indicator-paragraphs")


def commune_chart(d: AnnualData) -> Section:
    """All ten indicators for the communes: one figure, or two when fourteen communes need them."""
    figs = chart_cache.images(
        d.chart_cache, "hoctap.report.chart_communes:commune_charts", d.communes, d.meta, list(d.meta), d.year
    )
    caption = f"Biểu đồ 2. Tỷ lệ đạt các chỉ tiêu theo {d.units} năm {d.year}. " + d.source_caption()
    alt = f"Biểu đồ tỷ lệ đạt các chỉ tiêu theo xã năm {d.year}"
    if len(figs) == 1:
        return Section([chart_cache.figure(figs[0], alt, caption)], "commune-chart")
    n = len(figs)
    return Section(
        [chart_cache.figure(f, f"{alt} ({k}/{n})", f"{caption} (phần {k}/{n})") for k, f in enumerate(figs, 1)],
        "commune-chart",
    )


def commune_ranking_section(d: AnnualData) -> Section:
    """The communes ranked as every document ranks them (Bảng 3), and the strongest and weakest."""
    rank = commune_ranking(d.communes)
    if not len(rank):
        return Section([], "commune-ranking")
    return Section(
        [
            Paragraph(" ".join([*prose.ranking_sentences(rank, d.year, d.units), prose.RANKING_RULE])),
            common.ranking_table(rank, f"Bảng 3. Xếp hạng các {d.units} năm {d.year}"),
        ],
        "commune-ranking",
    )


def section_results(d: AnnualData) -> list[Section]:
    n_com = d.communes["geo_code"].nunique()
    intro = [
        Heading("III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"),
        Heading("1. Tình hình báo cáo của các trường", 2),
        *submissions_text(d),
        Heading(f"2. Kết quả chung toàn {d.area_name}", 2),
    ]
    communes = [
        Heading(f"3. Kết quả theo {d.units}", 2),
        Paragraph(
            f"Kết quả của {number(n_com)} {d.units} (theo địa giới hành chính tại "
            f"{date_words(deadline(d.settings, d.year))}) ở Bảng 2 và Biểu đồ 2; số đạt, tổng số của "
            "từng chỉ tiêu ở Phụ lục 1."
        ),
    ]
    return [
        Section(intro, "results-intro"),
        indicator_table(d),
        indicator_paragraphs(d),  # before the chart: the text fills the page the table leaves
        area_chart(d),
        Section(communes, "communes-intro"),
        commune_table(d),
        commune_ranking_section(d),
        commune_chart(d),
        section_quality(d),
    ]


# ---- III.4 data quality, in plain words ----------------------------------------------------------------


def _excluded_rows(d: AnnualData) -> int:
    n = 0
    for df in (d.villages, d.orgs):
        if df is not None and "status" in df:
            n += int(df["status"].isin(list(ROW_WORDS)).sum())
    return n


def quality_sentences(d: AnnualData) -> list[str]:
    """Three to five sentences: files received and not accepted, errors, rows left out, and what
    was done about it. The lists themselves are in the technical annex."""
    out = []
    if d.intake is not None and len(d.intake):
        counts = d.intake["status"].value_counts()
        rejected = int(counts.get(REJECTED, 0))
        out.append(
            f"Đã nhận {number(len(d.intake))} tệp báo cáo; "
            + (
                f"{number(rejected)} tệp không tiếp nhận được do sai biểu mẫu hoặc hỏng tệp."
                if rejected
                else "mọi tệp đều đọc được."
            )
        )
    else:
        out.append("Chưa nhận được tệp báo cáo nào.")
    if d.issues is not None and len(d.issues):
        sev = d.issues["severity"].value_counts()
        n_err, n_warn = int(sev.get(ERROR, 0)), int(sev.get(WARNING, 0))
        schools = d.issues.loc[d.issues["severity"] == ERROR, "school_id"].nunique()
        out.append(
            f"Khi kiểm tra phát hiện {number(n_err)} lỗi ở {number(schools)} trường và {number(n_warn)} điểm cần "
            "kiểm tra lại; dòng số liệu có lỗi không được tính, ô để trống không được coi là số 0."
        )
    excluded = _excluded_rows(d)
    if excluded:
        out.append(f"Có {number(excluded)} dòng số liệu thôn, tổ chức bị loại hoặc gộp do trùng lặp, có lỗi.")
    out.append("Danh sách lỗi đã được gửi lại từng trường để rà soát, bổ sung.")
    return out


def section_quality(d: AnnualData) -> Section:
    return Section(
        [Heading("4. Chất lượng số liệu", 2), Paragraph(" ".join(quality_sentences(d)))],
        "quality",
    )


# ---- IV-VI -----------------------------------------------------------------------------------------


def section_assessment(d: AnnualData, n: narrative.Narrative) -> Section:
    rank = commune_ranking(d.communes)
    out = [Heading("IV. ĐÁNH GIÁ CHUNG"), Heading("1. Kết quả nổi bật", 2)]
    summary = prose.tally_sentence(d.area, d.year)
    best = f" Xếp hạng các {d.units} ở Bảng 3." if len(rank) else ""
    out.append(Paragraph(summary + best))
    out.append(Heading("2. Hạn chế và nguyên nhân", 2))
    behind = d.area[d.area["status"].isin(BEHIND)]
    if len(behind):
        out.append(
            Paragraph(
                "Các chỉ tiêu chưa đạt hoặc chậm tiến độ: "
                + join_vn(
                    [f"{prose.lower_first(d.label(r['indicator']))} ({rate_text(r)})" for _, r in behind.iterrows()]
                )
                + "."
            )
        )
    out += n.blocks("han_che")
    out += [Heading(f"V. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {d.year + 1}"), *n.blocks("phuong_huong")]
    out += [Heading("VI. KIẾN NGHỊ, ĐỀ XUẤT"), *n.blocks("kien_nghi")]
    proposals = _proposals(d)
    if proposals:
        out.append(common.dash_list(proposals))
    return Section(out, "assessment")


def _proposals(d: AnnualData) -> list[str]:
    out = []
    if d.completeness is not None and d.deadline_passed(d.year):
        exp = completeness(d)
        exp = exp[exp["expected_b"]]
        miss = int((~exp["submitted_b"]).sum())
        if miss:
            out.append(f"Đề nghị {number(miss)} trường chưa nộp báo cáo khẩn trương hoàn thành, gửi về {d.short_name}")
    if d.issues is not None and (d.issues["severity"] == ERROR).any():
        out.append("Đề nghị các trường rà soát, sửa các lỗi số liệu đã được thông báo trước khi gửi lại")
    return out


# ---- appendix -------------------------------------------------------------------------------------


def appendix_communes(d: AnnualData) -> Section:
    """One table: the numerator and denominator of every indicator for every commune."""
    com = d.communes
    codes = [c for c in d.meta if c in set(com["indicator"])]
    names = sorted(com["geo_name"].dropna().unique(), key=vn_key)
    rows = []
    for name in names:
        sub = com[com["geo_name"] == name].set_index("indicator")
        rec = {"geo_name": name}
        for c in codes:
            r = sub.loc[c] if c in sub.index else None
            rec[c] = (
                DASH
                if r is None or is_missing(r["denominator"])
                else f"{number(r['numerator'])}/{number(r['denominator'])}"
            )
        rows.append(rec)
    key = "; ".join(f"({i}) {d.short(c)}" for i, c in enumerate(codes, 1))
    table = frame_table(
        pd.DataFrame(rows),
        [("geo_name", d.units.capitalize()), *[(c, f"({i})") for i, c in enumerate(codes, 1)]],
        numeric=codes,
        style="wide",
        caption=f"Số đạt/tổng số của từng chỉ tiêu theo {d.units}, năm {d.year}",
        note=f"{key}.",
    )
    return Section(
        [
            *common.appendix_title(f"(Kèm theo Báo cáo kết quả thực hiện năm {d.year})"),
            Heading(f"Phụ lục 1. Số đạt, tổng số các chỉ tiêu theo {d.units}", 2),
            table,
        ],
        "appendix-communes",
    )


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
                ("commune_name", "Xã"),
                ("date_txt", "Ngày báo cáo"),
                ("state", "Tình trạng"),
                ("title_txt", "Đơn vị học tập"),
                ("staff_total", "Tổng số CB, GV, NV"),
                ("staff_citizen", "Đạt Công dân học tập"),
            ],
            formats={"staff_total": number, "staff_citizen": number},
            numeric=("staff_total", "staff_citizen"),
            style="wide",
            cell_style={"commune_name": lambda r: {"nowrap": True}, "date_txt": lambda r: {"nowrap": True}},
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
    """The annual report in the order of ``report-format.md`` (``date``: the issue date, when
    ``load`` was not given it)."""
    if date is not None and to_date(date) != d.issue_date:
        d = load(d.ws, d.year, date)
    n = read_narrative(d)
    doc = Document(
        report_title(d.year),
        [
            common.header(d, draft=n.draft),
            preamble(d),
            common.section_situation(n.blocks),
            *section_results(d),
            section_assessment(d, n),
            common.closing(d),
            appendix_communes(d),
            appendix_schools(d),
        ],
        draft=n.draft,
        synthetic=d.synthetic,
        index_href=common.index_href(d, "annual_html", year=d.year),
        meta=common.meta(d, report_title(d.year), "annual"),
    )
    return typeset.document(doc)


def annex(d: AnnualData, parameters: dict | None = None, run_time: dt.datetime | None = None) -> Document:
    """The technical annex: input files with hashes, files not accepted, problems, parameters."""
    return technical.document(
        d,
        f"Báo cáo kết quả thực hiện năm {d.year}",
        [(None, d.intake, d.issues)],
        parameters,
        run_time,
        removed={None: d.removed},
    )


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


def _target_text(row, with_year: bool = True) -> str:
    if is_missing(row.get("target_pct")):
        return DASH
    ty = "" if is_missing(row.get("target_year")) or not with_year else f" ({int(row['target_year'])})"
    return target_pct(row["target_pct"]) + ty


def _target_column(df: pd.DataFrame) -> tuple[pd.Series, str]:
    """Target texts and the column header; one target year goes into the header."""
    years = df["target_year"].dropna().astype(int).unique()
    if len(years) == 1:
        return df.apply(lambda r: _target_text(r, False), axis=1), f"Chỉ tiêu năm {years[0]}"
    return df.apply(_target_text, axis=1), "Chỉ tiêu (năm mốc)"


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
        ],
        formats={"numerator": number, "denominator": number},
        numeric=("numerator", "denominator", "rate_txt"),
        caption=f"Bảng 1. Kết quả thực hiện các chỉ tiêu năm {d.year}",
        cell_style={
            "status_txt": lambda r: {"italic": r.get("status") in BEHIND},
            "target_txt": lambda r: {"align": "center"},
        },
        note=(
            f"Tỷ lệ = tổng số đạt / tổng số của các đơn vị báo cáo ({coverage_text(area.iloc[0])} báo cáo). "
            f"{prose.JUDGEMENT_RULE} “—”: không có số liệu để tính."
            if len(area)
            else None
        ),
    )
    return Section([table], "indicator-table")


def _previous_rate(d: AnnualData, code: str):
    if d.previous is None:
        return None
    row = d.previous[d.previous["indicator"] == code]
    if not len(row) or is_missing(row["rate_pct"].iloc[0]):
        return None
    return float(row["rate_pct"].iloc[0])


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
        [("geo_name", d.units.capitalize())]
        + [(c, f"({i})") for i, c in enumerate(codes, 1)]
        + [("coverage", "Trường báo cáo")]
    )
    key = "; ".join(f"({i}) {d.short(c)}" for i, c in enumerate(codes, 1))
    table = frame_table(
        wide,
        cols,
        numeric=codes + ["coverage"],
        style="wide",
        caption=f"Bảng 2. Tỷ lệ đạt các chỉ tiêu theo {d.units} năm {d.year}",
        cell_style={c: (lambda r, c=c: {"italic": r.get(c + "_behind") is True}) for c in codes},
        note=f"{key}. Chữ nghiêng: chưa đạt hoặc chậm tiến độ; “—”: không có số liệu.",
    )
    return Section([table], "commune-table")


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

"""The sections of a review (sơ kết, tổng kết), as blocks, from one ``PeriodData``.

Same document form as the annual report (``common``), extended as ``report-format.md`` asks:
year-by-year series for every indicator, change over the period, the result against the
period's target, the projection to 2030 (always labelled "dự báo", never a result), the commune
ranking (``hoctap.analysis.ranking``) on one named geography, the most improved communes, exemplary
candidates proposed for commendation, and coverage over the years so that a change in a rate
can be told apart from a change in who reported.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from hoctap.fmt import to_date
from hoctap.report import annex as technical
from hoctap.report import chart_cache, common, narrative, prose, typeset
from hoctap.report.blocks import Document, Heading, Paragraph, Section, frame_table, kept_table
from hoctap.report.meta import DASH, decimal, is_missing, number, pct, pp_words, signed, target_pct
from hoctap.report.period import (
    COVERAGE_SHIFT_PP,
    PROJECTION_YEAR,
    PeriodData,
    area_results,
    coverage_by_year,
    coverage_shifts,
    has_projection,
    load,
    quality_by_year,
    rate_at,
    rate_text,
    report_title,
    status_text,
    year_span,
)
from hoctap.report.period_communes import appendix_communes, appendix_coverage, ranking, section_communes
from hoctap.vocabulary import BEHIND, GOOD

if TYPE_CHECKING:  # drawn through chart_cache, imported only on a miss; named here for the stage's code hash
    from hoctap.report import chart_series, charts  # noqa: F401


def preamble(d: PeriodData) -> Section:
    plan = d.settings.get("plan", {})
    short = d.short_name
    ref = plan.get("reference", "")
    _cap, low, n = d.words
    texts = []
    if ref:
        texts.append(f"Thực hiện {ref};")
    basis = plan.get("reviews", {}).get(d.kind)  # the plan's task a review at its period's end answers
    if basis and d.is_over:
        texts.append(basis.rstrip(";") + ";")
    recipient = d.issuer.get("recipient")
    what = f"{low} {n} năm thực hiện" if d.is_over else "kết quả thực hiện"
    body = (
        f"Trên cơ sở tổng hợp báo cáo hằng năm của các trường học các năm {year_span(d.years)}, "
        f"{short} báo cáo {what} Chương trình giai đoạn {d.year_from}-{d.year_to} trên {d.area_name}"
    )
    if not d.is_over:
        body += f", tính đến năm {d.last_year}"
    body += (f" gửi {recipient}" if recipient else "") + " như sau:"
    texts.append(body)
    out = [*common.synthetic_notice(d), *(Paragraph(t) for t in texts)]
    if not d.is_over:
        missing = [y for y in d.missing_years if y > d.last_year]
        out.append(
            Paragraph(
                f"Giai đoạn {d.year_from}-{d.year_to} chưa kết thúc: báo cáo có số liệu các năm "
                f"{year_span(d.years)}"
                + (f", chưa có số liệu các năm {year_span(missing)}" if missing else "")
                + f". Kết quả được đánh giá theo tiến độ đến năm {d.last_year}; số liệu năm "
                f"{PROJECTION_YEAR} ghi “dự báo” là ước tính theo xu hướng các năm đã có, không "
                "phải kết quả.",
                "note",
            )
        )
    return Section(out, "preamble")


# ---- I. coverage over the years -------------------------------------------------------------


def section_coverage(d: PeriodData) -> Section:
    out = [Heading("1. Tình hình báo cáo của các trường qua các năm", 2)]
    cov = coverage_by_year(d)
    if not len(cov):
        out.append(Paragraph("Chưa có số liệu về tình hình nộp báo cáo của các trường."))
        return Section(out, "coverage")
    first, last = cov.iloc[0], cov.iloc[-1]
    out.append(
        Paragraph(
            "Các trường học báo cáo kết quả một lần mỗi năm, "
            f"{common.deadline_words(d, d.year_from, every_year=True)}. Tỷ lệ trường nộp báo cáo năm "
            f"{int(first.year)} là {pct(first.reporting_rate)} ({number(first.submitted)}/"
            f"{number(first.expected)} trường), năm {int(last.year)} là {pct(last.reporting_rate)} "
            f"({number(last.submitted)}/{number(last.expected)} trường); tỷ lệ nộp đúng hạn năm "
            f"{int(last.year)} là {pct(last.on_time_rate)}. Chi tiết từng năm ở Bảng 1."
        )
    )
    counts = ("expected", "submitted", "on_time", "late", "missing")
    out.append(
        kept_table(
            cov,
            [
                ("year", "Năm"),
                ("expected", "Số trường phải báo cáo"),
                ("submitted", "Đã nộp"),
                ("on_time", "Đúng hạn"),
                ("late", "Nộp muộn"),
                ("missing", "Chưa nộp"),
                ("reporting_rate", "Tỷ lệ nộp"),
                ("on_time_rate", "Tỷ lệ đúng hạn"),
            ],
            formats={
                "year": lambda y: str(int(y)),
                **{c: number for c in counts},
                "reporting_rate": pct,
                "on_time_rate": pct,
            },
            numeric=(*counts, "reporting_rate", "on_time_rate"),
            number_rows=False,
            caption="Bảng 1. Tình hình nộp báo cáo của các trường qua các năm",
            note="Tỷ lệ nộp = số trường đã nộp / số trường phải báo cáo (đang hoạt động theo danh mục "
            "năm đó); tỷ lệ đúng hạn = số trường nộp đúng hạn / số trường phải báo cáo.",
        )
    )
    shifts = coverage_shifts(d)
    if shifts:
        out.append(
            Paragraph(
                "Lưu ý khi so sánh giữa các năm: tỷ lệ trường nộp báo cáo thay đổi đáng kể ở "
                + "; ".join(f"năm {y} ({pp_words(s)})" for y, s in shifts)
                + ". Thay đổi của các tỷ lệ chỉ tiêu trong những năm này có thể một phần do thay đổi "
                "số đơn vị báo cáo, không hoàn toàn do kết quả thực hiện."
            )
        )
    else:
        out.append(
            Paragraph(
                "Tỷ lệ trường nộp báo cáo ổn định qua các năm (không năm nào thay đổi từ "
                f"{decimal(COVERAGE_SHIFT_PP, 0)} điểm phần trăm trở lên), nên thay đổi của các tỷ lệ chỉ "
                "tiêu phản ánh chủ yếu kết quả thực hiện, không phải thay đổi đơn vị báo cáo."
            )
        )
    if d.missing_years:
        out.append(Paragraph(f"Chưa có số liệu các năm {year_span(d.missing_years)}.", "no-indent"))
    return Section(out, "coverage")


# ---- II. results ----------------------------------------------------------------------------


def section_results_intro(d: PeriodData) -> Section:
    """Grouped sentences on the last year's statuses (the same rows and rule as its annual report)."""
    last = d.area[d.area["year"] == d.last_year]
    texts = prose.status_paragraphs(last, d.last_year, d.label)
    res = area_results(d)
    up = res[res["change_pp"].round(1) > 0]
    down = res[res["change_pp"].round(1) < 0]
    if d.first_year != d.last_year and len(res):
        change = f"So với năm {d.first_year}, {prose.count_words(len(up))} chỉ tiêu tăng"
        if len(up):
            best = up.sort_values("change_pp", ascending=False).iloc[0]
            change += (
                f" (nhiều nhất là {prose.lower_first(d.label(best['indicator']))}, +{prose.points(best['change_pp'])})"
            )
        if len(down):
            change += (
                f", {prose.count_words(len(down))} chỉ tiêu giảm ("
                + prose.join_vn([prose.lower_first(d.label(r["indicator"])) for _, r in down.iterrows()])
                + ")"
            )
        texts.append(change + ".")
    if has_projection(d, res):
        texts.append(
            f"Nếu giữ xu hướng các năm {year_span(d.years)}, đến năm {PROJECTION_YEAR} "
            + _projection_words(d, res)
            + "; đây là dự báo để tham khảo, không phải kết quả."
        )
    return Section(
        [
            Heading("III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"),
            *section_coverage(d).blocks,
            Heading(f"2. Kết quả chung toàn {d.area_name}", 2),
            *(Paragraph(t) for t in texts),
        ],
        "results-intro",
    )


def projection_text(x) -> str:
    """A projection clipped to the 0-100 scale says so: "≥ 100%", "≤ 0%"."""
    if is_missing(x):
        return DASH
    if float(x) >= 100:
        return "≥\u00a0100%"
    if float(x) <= 0:
        return "≤\u00a00%"
    return decimal(x, 1) + "%"


def _projection_words(d: PeriodData, res: pd.DataFrame) -> str:
    targets = d.reference.targets
    t30 = targets[targets["target_year"] == PROJECTION_YEAR].set_index("indicator")["target_pct"]
    reach, short = [], []
    for _, r in res.iterrows():
        p, code = r["projection_2030_pct"], r["indicator"]
        if is_missing(p) or code not in t30.index:
            continue
        (reach if float(p) >= float(t30[code]) else short).append(prose.lower_first(d.label(code)))
    parts = []
    if reach:
        parts.append(f"{prose.count_words(len(reach))} chỉ tiêu sẽ đạt chỉ tiêu năm {PROJECTION_YEAR}")
    if short:
        parts.append(f"{prose.count_words(len(short))} chỉ tiêu chưa đạt: " + prose.join_vn(short))
    return "; ".join(parts) if parts else "chưa đủ số liệu để dự báo"


def _result_style(r) -> dict:
    return {"bold": r["result_status"] in GOOD, "italic": r["result_status"] in BEHIND}


def result_table(d: PeriodData) -> Section:
    res = area_results(d)
    if not len(res):
        return Section([Paragraph("Chưa có số liệu tổng hợp của giai đoạn.")], "result-table")
    res["label_vn"] = res["indicator"].map(d.label)
    res["first_txt"] = [rate_text(rate_at(d, c, d.first_year)) for c in res["indicator"]]
    res["last_txt"] = [rate_text(rate_at(d, c, d.last_year)) for c in res["indicator"]]
    res["change_txt"] = res["change_pp"].map(signed)
    res["target_txt"] = [
        DASH if is_missing(p) else target_pct(p) + ("" if int(y) == d.target_year else f" ({int(y)})")
        for p, y in zip(res["judged_target_pct"], res["judged_target_year"].fillna(d.target_year), strict=True)
    ]
    res["status_txt"] = res["result_status"].map(status_text)
    res["proj_txt"] = res["projection_2030_pct"].map(projection_text)
    cols = [
        ("label_vn", "Chỉ tiêu"),
        ("first_txt", f"Năm {d.first_year}"),
        ("last_txt", f"Năm {d.last_year}"),
        ("change_txt", "Thay đổi (điểm %)"),
        ("target_txt", f"Chỉ tiêu năm {d.target_year}"),
        ("status_txt", "Đánh giá"),
    ]
    note = (
        f"Thay đổi: tỷ lệ năm {d.last_year} trừ tỷ lệ năm {d.first_year}, tính bằng điểm phần "
        f"trăm. {prose.JUDGEMENT_RULE} Chỉ tiêu ghi kèm năm trong ngoặc: chỉ có mốc năm đó. "
        "“—”: chưa có số liệu."
    )
    if has_projection(d, res):
        cols.append(("proj_txt", f"Dự báo năm {PROJECTION_YEAR}"))
        note += (
            f" Dự báo năm {PROJECTION_YEAR}: ước tính theo đường xu hướng (bình phương nhỏ "
            f"nhất) qua các năm có số liệu {year_span(d.years)}, giới hạn trong 0-100%; chỉ "
            "để tham khảo, không phải kết quả."
        )
    table = kept_table(
        res,
        cols,
        numeric=("first_txt", "last_txt", "change_txt", "target_txt", "proj_txt"),
        caption=f"Bảng 2. Kết quả giai đoạn {d.year_from}-{d.last_year} so với chỉ tiêu kế hoạch",
        note=note,
        cell_style={"status_txt": _result_style},
    )
    return Section([table], "result-table")


def series_table(d: PeriodData) -> Section:
    """Year-by-year rates of the whole area, one row per indicator."""
    area = d.area
    codes = [c for c in d.meta if c in set(area["indicator"])]
    targets = d.reference.targets
    target_years = sorted(int(y) for y in targets["target_year"].unique())
    rows = []
    for code in codes:
        row = {"label": d.short(code)}
        for y in d.years:
            row[str(y)] = rate_text(rate_at(d, code, y))
        for ty in target_years:
            t = targets[(targets["indicator"] == code) & (targets["target_year"] == ty)]
            row[f"t{ty}"] = target_pct(t["target_pct"].iloc[0]) if len(t) else DASH
        rows.append(row)
    cols = (
        [("label", "Chỉ tiêu")]
        + [(str(y), str(y)) for y in d.years]
        + [(f"t{ty}", f"Chỉ tiêu {ty}") for ty in target_years]
    )
    table = kept_table(
        pd.DataFrame(rows),
        cols,
        numeric=[c for c, _ in cols[1:]],
        style="wide series",
        caption=f"Bảng 3. Tỷ lệ đạt các chỉ tiêu qua từng năm, toàn {d.area_name}",
        note=f"{d.source_caption()} “—”: không có số liệu hoặc tổng số bằng 0.",
    )
    return Section([table], "series-table")


def series_chart(d: PeriodData) -> Section:
    res = area_results(d)
    show_projection = bool(len(res)) and has_projection(d, res)
    projections = dict(zip(res["indicator"], res["projection_2030_pct"], strict=True))
    [fig] = chart_cache.images(
        d.chart_cache,
        "hoctap.report.chart_series:series_chart",
        d.area,
        d.meta,
        d.reference.targets,
        projections,
        d.years,
        d.year_from,
        d.year_to,
        d.area_name,
        show_projection,
        year_span(d.years),
    )
    caption = f"Biểu đồ 1. Tỷ lệ đạt các chỉ tiêu qua các năm so với chỉ tiêu kế hoạch. {d.source_caption()}"
    if d.last_year < PROJECTION_YEAR and len(d.summary):
        caption += (
            f" Nét đứt mảnh, màu nhạt: dự báo theo xu hướng các năm {year_span(d.years)}, không phải "
            "kết quả; nền xám: các năm chưa có số liệu."
        )
    alt = "Biểu đồ tỷ lệ đạt các chỉ tiêu qua các năm"
    return Section([chart_cache.figure(fig, alt, caption)], "series-chart")


# ---- III. data quality ------------------------------------------------------------------------


def section_quality(d: PeriodData) -> Section:
    """Three to five plain sentences; the per-year ledgers are in the technical annex."""
    out = [Heading("4. Chất lượng số liệu", 2)]
    q = quality_by_year(d)
    if not len(q):
        out.append(Paragraph("Chưa có sổ theo dõi tiếp nhận số liệu của các năm."))
        return Section(out, "quality")
    text = (
        f"Trong các năm {year_span(q['year'].astype(int).tolist())} đã nhận {number(q['files'].sum())} tệp báo cáo, "
        f"tiếp nhận {number(q['accepted'].sum())} tệp, không tiếp nhận {number(q['rejected'].sum())} tệp do sai "
        f"biểu mẫu hoặc hỏng tệp. Khi kiểm tra phát hiện {number(q['errors'].sum())} lỗi và "
        f"{number(q['warnings'].sum())} điểm cần kiểm tra lại; dòng số liệu có lỗi không được tính, ô để trống "
        "không được coi là số 0. Danh sách lỗi của từng năm đã được gửi lại các trường."
    )
    if d.notes:
        text += (
            f" Có {number(len(d.notes))} dòng số liệu không quy đổi được về địa giới của báo cáo nên chỉ được "
            "tính vào số liệu chung toàn địa bàn."
        )
    out.append(Paragraph(text))
    return Section(out, "quality")


# ---- IV. assessment and proposals ---------------------------------------------------------------


def candidates(d: PeriodData) -> list:
    """Exemplary communes and schools proposed for commendation (candidates.csv), with reasons."""
    cand = d.candidates
    communes = cand[cand["candidate_kind"] == "commune"]
    schools = cand[cand["candidate_kind"] == "school"]
    out = [Paragraph("Đề xuất khen thưởng tập thể tiêu biểu:", "no-indent")]
    out.append(
        Paragraph(
            f"Trên cơ sở kết quả giai đoạn {d.first_year}-{d.last_year}, đề xuất xem xét biểu dương, "
            "khen thưởng các tập thể dưới đây, lựa chọn theo tiêu chí nêu dưới mỗi bảng; Hội đồng thi đua, "
            "khen thưởng xem xét, quyết định."
        )
    )
    out.append(
        kept_table(
            communes,
            [("name", "Đơn vị"), ("reason", "Lý do đề xuất")],
            caption="Bảng 7. Đề xuất đơn vị (xã) tiêu biểu",
            note=f"Tiêu chí: đạt mọi chỉ tiêu áp dụng năm {d.last_year}, tỷ lệ trường báo cáo từ 90% "
            "trở lên; xếp theo mức vượt chỉ tiêu bình quân. "
            + ("Không có đơn vị nào đủ tiêu chí." if not len(communes) else ""),
        )
    )
    out.append(
        (kept_table if len(schools) <= 8 else frame_table)(
            schools,
            [("name", "Trường"), ("commune_name", "Xã"), ("reason", "Lý do đề xuất")],
            caption="Bảng 8. Đề xuất trường học tiêu biểu",
            note=f"Tiêu chí: đạt danh hiệu “Đơn vị học tập” tất cả các năm {year_span(d.years)}; "
            "xếp theo tỷ lệ cán bộ, giáo viên, nhân viên đạt “Công dân học tập”."
            + (" Tên trường là tên giả định (dữ liệu giả lập)." if d.synthetic else "")
            + (" Không có trường nào đủ tiêu chí." if not len(schools) else ""),
        )
    )
    return out


def section_assessment(d: PeriodData, n: narrative.Narrative) -> Section:
    last = d.indicators[d.indicators["year"] == d.last_year]
    rank = ranking(d)
    out = [Heading("IV. ĐÁNH GIÁ CHUNG"), Heading("1. Kết quả nổi bật", 2)]
    summary = prose.tally_sentence(last, d.last_year)
    out.append(Paragraph(" ".join([summary, *prose.ranking_sentences(rank, d.last_year, "xã")])))
    out.append(Heading("2. Hạn chế và nguyên nhân", 2))
    behind = last[(last["geo_level"] == "area") & last["status"].isin(BEHIND)]
    if len(behind):
        out.append(
            Paragraph(
                f"Các chỉ tiêu chưa đạt hoặc chậm tiến độ năm {d.last_year}: "
                + prose.join_vn(
                    [f"{prose.lower_first(d.label(r['indicator']))} ({rate_text(r)})" for _, r in behind.iterrows()]
                )
                + "."
            )
        )
    out += n.blocks("han_che")
    out += [Heading("3. Bài học kinh nghiệm", 2), *n.blocks("bai_hoc")]
    nxt = next_period(d)
    out += [Heading(f"V. PHƯƠNG HƯỚNG, NHIỆM VỤ {nxt.upper()}"), *n.blocks("phuong_huong")]
    out += [Heading("VI. KIẾN NGHỊ, ĐỀ XUẤT"), *n.blocks("kien_nghi")]
    if d.is_over:
        out += candidates(d)
    return Section(out, "assessment")


def next_period(d: PeriodData) -> str:
    """What section V plans for: the next period after a review at its end, else the years left."""
    if d.is_over and d.year_to < PROJECTION_YEAR:
        return f"giai đoạn {d.year_to + 1}-{PROJECTION_YEAR}"
    if d.is_over:
        return "giai đoạn tiếp theo"
    return f"những năm còn lại của giai đoạn ({d.last_year + 1}-{d.year_to})"


def narrative_slots(d: PeriodData) -> list[narrative.Slot]:
    return narrative.slots(d.kind, next_period(d))


def ensure_narrative(ws, kind: str, year_from: int, year_to: int) -> None:
    """Create ``narrative/<kind>-<from>-<to>.md`` with its placeholders on the first build."""
    d = load(ws, kind, year_from, year_to)
    narrative.ensure(ws, "period", report_title(d), narrative_slots(d), **_keys(d))


def _keys(d: PeriodData) -> dict:
    return {"kind": d.kind, "year_from": d.year_from, "year_to": d.year_to}


def annex(d: PeriodData, parameters: dict | None = None, run_time: dt.datetime | None = None) -> Document:
    """The technical annex: every year's input files, files not accepted and problems."""
    years = [(y, d.intake.get(y), d.issues.get(y)) for y in sorted(set(d.intake) | set(d.issues))]
    doc = technical.document(d, report_title(d), years, parameters, run_time, each=False)
    if d.notes:
        doc.sections.append(
            Section(
                [
                    Heading("Số liệu chỉ tính vào toàn địa bàn", 2),
                    Paragraph("Các dòng không quy đổi được về địa giới của báo cáo:", "no-indent"),
                    common.dash_list(d.notes),
                ],
                "annex-unplaced",
            )
        )
    return doc


# ---- the document -------------------------------------------------------------------------------


def document(
    d: PeriodData,
    date: dt.date | str | None = None,
    parameters: dict | None = None,
    run_time: dt.datetime | None = None,
) -> Document:
    """The review in the order of ``report-format.md`` (``date``: the issue date, when ``load``
    was not given it)."""
    if date is not None and to_date(date) != d.issue_date:
        d = load(d.ws, d.kind, d.year_from, d.year_to, d.geography_date, date)
    n = narrative.read(d.ws, "period", narrative_slots(d), **_keys(d))
    title = report_title(d)
    doc = Document(
        title,
        [
            common.header(d, draft=n.draft),
            preamble(d),
            common.section_situation(n.blocks),
            section_results_intro(d),
            result_table(d),
            series_chart(d),
            series_table(d),
            section_communes(d),
            section_quality(d),
            section_assessment(d, n),
            common.closing(d),
            appendix_communes(d),
            appendix_coverage(d),
        ],
        draft=n.draft,
        synthetic=d.synthetic,
        index_href=common.index_href(d, "period_html", **_keys(d)),
        meta=common.meta(d, title, d.kind),
    )
    return typeset.document(doc)

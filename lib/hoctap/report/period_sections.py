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

import pandas as pd

from hoctap.report import charts, common
from hoctap.report.blocks import Document, Heading, Paragraph, Section, frame_table, kept_table
from hoctap.report.meta import DASH, decimal, is_missing, number, pct, pp_words, target_pct
from hoctap.report.period import (
    COVERAGE_SHIFT_PP,
    PROJECTION_YEAR,
    PeriodData,
    area_results,
    coverage_by_year,
    coverage_shifts,
    has_projection,
    quality_by_year,
    rate_at,
    rate_text,
    report_title,
    signed,
    status_text,
    status_words,
    year_span,
)
from hoctap.report.period_communes import appendix_communes, appendix_coverage, ranking, section_communes
from hoctap.vocabulary import BEHIND, GOOD, STATUS_NOT_MET


def preamble(d: PeriodData) -> Section:
    plan = d.settings.get("plan", {})
    short = d.settings.get("issuer", {}).get("short", "") or "Đơn vị"
    ref = plan.get("reference", "")
    _cap, low, n = d.words
    texts = []
    if ref:
        texts.append(f"Thực hiện {ref};")
    basis = plan.get("reviews", {}).get(d.kind)  # the plan's task this review answers
    if basis:
        texts.append(basis.rstrip(";") + ";")
    recipient = plan.get("recipient")
    body = (
        f"Trên cơ sở tổng hợp báo cáo hằng năm của các trường học các năm {year_span(d.years)}, "
        f"{short} báo cáo {low} {n} năm thực hiện Chương trình giai đoạn "
        f"{d.year_from}-{d.year_to} trên địa bàn {d.area_name}"
    )
    if not d.is_over:
        body += f" tính đến năm {d.last_year}"
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
                f'{PROJECTION_YEAR} ghi "dự báo" là ước tính theo xu hướng các năm đã có, không '
                "phải kết quả.",
                "note",
            )
        )
    return Section(out, "preamble")


# ---- I. coverage over the years -------------------------------------------------------------


def section_coverage(d: PeriodData) -> Section:
    out = [Heading("I. TÌNH HÌNH NỘP BÁO CÁO QUA CÁC NĂM")]
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
                f"{decimal(COVERAGE_SHIFT_PP, 0)} điểm % trở lên), nên thay đổi của các tỷ lệ chỉ "
                "tiêu phản ánh chủ yếu kết quả thực hiện, không phải thay đổi đơn vị báo cáo."
            )
        )
    if d.missing_years:
        out.append(Paragraph(f"Chưa có số liệu các năm {year_span(d.missing_years)}.", "no-indent"))
    return Section(out, "coverage")


# ---- II. results ----------------------------------------------------------------------------


def section_results_intro(d: PeriodData) -> Section:
    res = area_results(d)
    with_target = res[res["period_target_pct"].notna() & res["last_rate_pct"].notna()]
    good = with_target[with_target["result_status"].isin(GOOD)]
    target_word = (
        f"chỉ tiêu năm {d.target_year}"
        if d.is_over or d.kind == "so-ket"
        else f"tiến độ thực hiện chỉ tiêu năm {d.target_year}"
    )
    text = (
        f"Kết quả giai đoạn là tỷ lệ năm {d.last_year} so với {target_word}, kèm mức thay đổi so "
        f"với năm {d.first_year} (điểm phần trăm). Trong {number(len(with_target))} chỉ tiêu có "
        f"chỉ tiêu kế hoạch và có số liệu, {number(len(good))} chỉ tiêu "
        f"{'đạt' if d.is_over else 'đạt hoặc đúng tiến độ'}, "
        f"{number(len(with_target) - len(good))} chỉ tiêu "
        f"{'chưa đạt' if d.is_over else 'chưa đạt hoặc chậm tiến độ'} (Bảng 2). Số liệu từng năm "
        "ở Biểu đồ 1 và Bảng 3."
    )
    return Section(
        [
            Heading("II. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"),
            Heading("1. Kết quả chung toàn địa bàn", 2),
            Paragraph(text),
        ],
        "results-intro",
    )


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
    res["target_txt"] = res["period_target_pct"].map(target_pct)
    res["status_txt"] = res["result_status"].map(status_text)
    res["proj_txt"] = res["projection_2030_pct"].map(lambda x: DASH if is_missing(x) else decimal(x, 1) + "%")
    cols = [
        ("label_vn", "Chỉ tiêu"),
        ("first_txt", f"Năm {d.first_year}"),
        ("last_txt", f"Năm {d.last_year}"),
        ("change_txt", "Thay đổi (điểm %)"),
        ("target_txt", f"Chỉ tiêu năm {d.target_year}"),
        ("status_txt", "Đánh giá"),
    ]
    judged = "kết quả năm cuối so với chỉ tiêu" if d.is_over else "tiến độ so với đường thẳng từ năm đầu đến chỉ tiêu"
    note = (
        f"Thay đổi: tỷ lệ năm {d.last_year} trừ tỷ lệ năm {d.first_year}, tính bằng điểm phần "
        f'trăm. Đánh giá: {judged}; "—": không có chỉ tiêu cho năm này hoặc chưa có số liệu.'
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
        caption=f"Bảng 2. Kết quả giai đoạn {d.year_from}-{d.last_year} so với chỉ tiêu năm {d.target_year}",
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
        note=f'{d.source_caption()} "—": không có số liệu hoặc tổng số bằng 0.',
    )
    return Section([table], "series-table")


def series_chart(d: PeriodData) -> Section:
    res = area_results(d)
    show_projection = bool(len(res)) and has_projection(d, res)
    projections = dict(zip(res["indicator"], res["projection_2030_pct"], strict=True))
    fig = charts.series_chart(
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
            f" Nét đứt: dự báo theo xu hướng các năm {year_span(d.years)}, không phải kết "
            "quả; nền xám: các năm chưa có số liệu."
        )
    alt = "Biểu đồ tỷ lệ đạt các chỉ tiêu qua các năm"
    return Section([charts.figure(fig, alt, caption)], "series-chart")


def _indicator_paragraph(d: PeriodData, i: int, r) -> str:
    code = r.indicator
    targets = d.reference.targets
    first, last = rate_at(d, code, d.first_year), rate_at(d, code, d.last_year)
    label = d.label(code)
    if last is None or is_missing(last.get("rate_pct")):
        return f"{i}. {label}: chưa có số liệu năm {d.last_year} (tổng số bằng 0 hoặc không có đơn vị báo cáo)."
    parts = [
        f"{i}. {label}: năm {d.last_year} đạt {rate_text(last)} "
        f"({number(last.get('numerator'))}/{number(last.get('denominator'))})"
    ]
    if first is not None and not is_missing(first.get("rate_pct")) and d.first_year != d.last_year:
        parts.append(
            f", năm {d.first_year} đạt {rate_text(first)}; so với năm đầu giai đoạn {pp_words(r.change_pp) or DASH}"
        )
    words = status_words(r.result_status, r.period_target_pct, r.period_target_year)
    if words:
        parts.append(f"; {words}")
    elif is_missing(r.period_target_pct):
        later = targets[(targets["indicator"] == code) & (targets["target_year"] > d.target_year)]
        if len(later):
            t = later.sort_values("target_year").iloc[0]
            parts.append(
                f"; Kế hoạch không đặt chỉ tiêu năm {d.target_year}, chỉ tiêu năm "
                f"{int(t.target_year)} là {target_pct(t.target_pct)}"
            )
    if not is_missing(r.period_target_pct) and r.result_status == STATUS_NOT_MET and not is_missing(r.last_rate_pct):
        gap = float(r.period_target_pct) - float(r.last_rate_pct)
        parts.append(f", còn thiếu {decimal(gap, 1)} điểm %")
    parts.append(".")
    if d.last_year < PROJECTION_YEAR and not is_missing(r.projection_2030_pct):
        series = d.area[(d.area["indicator"] == code) & d.area["rate_pct"].notna()]
        have = sorted(int(y) for y in series["year"])
        t30 = targets[(targets["indicator"] == code) & (targets["target_year"] == PROJECTION_YEAR)]
        goal = f" (chỉ tiêu năm {PROJECTION_YEAR}: {target_pct(t30['target_pct'].iloc[0])})" if len(t30) else ""
        parts.append(
            f" Dự báo theo xu hướng các năm có số liệu ({year_span(have)}), năm "
            f"{PROJECTION_YEAR} đạt khoảng {decimal(float(r.projection_2030_pct), 1)}%"
            f"{goal}; đây là dự báo, không phải kết quả."
        )
    return "".join(parts)


def indicator_paragraphs(d: PeriodData) -> Section:
    res = area_results(d)
    if not len(res):
        return Section([], "indicator-paragraphs")
    shifts = coverage_shifts(d)
    out = [Heading("2. Kết quả từng chỉ tiêu", 2)]
    if shifts:
        out.append(
            Paragraph(
                f"Lưu ý: năm {', '.join(str(y) for y, _ in shifts)} số trường nộp báo cáo thay đổi "
                "nhiều so với năm trước (mục I); mức thay đổi của các tỷ lệ trong những năm này cần "
                "được đọc cùng mức thay đổi đó."
            )
        )
    out += [Paragraph(_indicator_paragraph(d, i, r)) for i, r in enumerate(res.itertuples(), 1)]
    return Section(out, "indicator-paragraphs")


# ---- III. data quality ------------------------------------------------------------------------


def section_quality(d: PeriodData) -> Section:
    out = [Heading("III. CHẤT LƯỢNG SỐ LIỆU")]
    q = quality_by_year(d)
    if not len(q):
        out.append(Paragraph("Chưa có sổ theo dõi tiếp nhận số liệu của các năm."))
        return Section(out, "quality")
    out.append(
        Paragraph(
            f"Trong các năm {year_span(q['year'].astype(int).tolist())} đã nhận "
            f"{number(q['files'].sum())} tệp báo cáo, tiếp nhận {number(q['accepted'].sum())} tệp, "
            f"không tiếp nhận {number(q['rejected'].sum())} tệp; phát hiện {number(q['errors'].sum())} "
            f"lỗi và {number(q['warnings'].sum())} cảnh báo. Dòng số liệu có lỗi không được tính vào "
            "cả số đạt và tổng số; ô để trống không được coi là số 0. Chi tiết từng năm ở báo cáo năm "
            "tương ứng."
        )
    )
    counts = ("files", "accepted", "rejected", "superseded", "errors", "warnings")
    out.append(
        kept_table(
            q,
            [
                ("year", "Năm"),
                ("files", "Số tệp nhận"),
                ("accepted", "Tiếp nhận"),
                ("rejected", "Không tiếp nhận"),
                ("superseded", "Thay bằng bản sau"),
                ("errors", "Số lỗi"),
                ("warnings", "Số cảnh báo"),
            ],
            formats={"year": lambda y: str(int(y)), **{c: number for c in counts}},
            numeric=counts,
            number_rows=False,
            caption="Bảng 6. Tiếp nhận và kiểm tra số liệu qua các năm",
        )
    )
    if d.notes:
        out.append(
            Paragraph(
                "Một số dòng số liệu không quy đổi được về địa giới dùng trong báo cáo nên chỉ được "
                "tính vào số liệu toàn địa bàn, không tính cho xã nào:"
            )
        )
        out.append(common.dash_list(d.notes))
    return Section(out, "quality")


# ---- IV. assessment and proposals ---------------------------------------------------------------


def candidates(d: PeriodData) -> list:
    """Exemplary communes and schools proposed for commendation (candidates.csv), with reasons."""
    cand = d.candidates
    communes = cand[cand["candidate_kind"] == "commune"]
    schools = cand[cand["candidate_kind"] == "school"]
    out = [Heading("2. Đề xuất khen thưởng tập thể tiêu biểu", 2)]
    out.append(
        Paragraph(
            f"Trên cơ sở kết quả giai đoạn {d.first_year}-{d.last_year}, đề xuất xem xét biểu dương, "
            "khen thưởng các tập thể dưới đây. Danh sách là đề xuất do phần mềm lập theo tiêu chí nêu "
            "dưới mỗi bảng; Hội đồng thi đua, khen thưởng xem xét, quyết định."
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
            note=f'Tiêu chí: đạt danh hiệu "Đơn vị học tập" tất cả các năm {year_span(d.years)}; '
            'xếp theo tỷ lệ cán bộ, giáo viên, nhân viên đạt "Công dân học tập".'
            + (" Tên trường là tên giả định (dữ liệu giả lập)." if d.synthetic else "")
            + (" Không có trường nào đủ tiêu chí." if not len(schools) else ""),
        )
    )
    return out


def section_assessment(d: PeriodData) -> Section:
    out = [Heading("IV. ĐÁNH GIÁ CHUNG VÀ ĐỀ XUẤT"), Heading("1. Đánh giá chung", 2)]
    res = area_results(d)
    with_target = res[res["period_target_pct"].notna() & res["last_rate_pct"].notna()]
    good = with_target[with_target["result_status"].isin(GOOD)]
    behind = with_target[with_target["result_status"].isin(BEHIND)]
    up, down = res[res["change_pp"] > 0], res[res["change_pp"] < 0]
    out.append(
        Paragraph(
            f"Sau {len(d.years)} năm có số liệu ({year_span(d.years)}), {number(len(up))} chỉ tiêu "
            f"tăng, {number(len(down))} chỉ tiêu giảm so với năm đầu giai đoạn; "
            f"{number(len(good))}/{number(len(with_target))} chỉ tiêu có chỉ tiêu kế hoạch "
            f"{'đạt' if d.is_over else 'đạt hoặc đúng tiến độ'}."
        )
    )
    if len(behind):
        out.append(Paragraph("Các chỉ tiêu chưa đạt hoặc chậm tiến độ:", "no-indent"))
        out.append(
            common.dash_list(
                f"{d.label(r.indicator)}: năm {d.last_year} đạt "
                f"{rate_text(rate_at(d, r.indicator, d.last_year))}, chỉ tiêu năm "
                f"{d.target_year if is_missing(r.period_target_year) else int(r.period_target_year)} "
                f"là {target_pct(r.period_target_pct)} ({str(r.result_status).lower()})"
                for r in behind.itertuples()
            )
        )
    rank = ranking(d)
    if len(rank) > 1:
        k = 2 if len(rank) >= 6 else 1

        def names(rows) -> str:
            return "; ".join(f"{r.geo_name} ({common.margin_words(r.margin)})" for r in rows.itertuples())

        out.append(
            Paragraph(
                f"Đơn vị có kết quả tốt nhất: {names(rank.head(k))}. Đơn vị có kết "
                f"quả thấp nhất: {names(rank.tail(k).iloc[::-1])}."
            )
        )
    out += candidates(d)
    out.append(Heading("3. Đề xuất, kiến nghị", 2))
    out.append(common.dash_list(_proposals(d, behind, rank)))
    return Section(out, "assessment")


def _proposals(d: PeriodData, behind: pd.DataFrame, rank: pd.DataFrame) -> list[str]:
    proposals = []
    remaining = PROJECTION_YEAR - d.last_year
    for r in behind.itertuples():
        lab = d.label(r.indicator)
        rest = f" trong {remaining} năm còn lại của giai đoạn" if remaining > 0 else ""
        proposals.append(f"Tập trung chỉ đạo nâng cao {lab[:1].lower()}{lab[1:]}{rest}.")
    if len(rank) > 1 and rank["margin"].iloc[-1] < 0:
        proposals.append(f"Quan tâm hỗ trợ {rank['geo_name'].iloc[-1]} và các đơn vị có kết quả thấp.")
    cov = coverage_by_year(d)
    if len(cov) and (cov["missing"].iloc[-1] or 0) > 0:
        proposals.append("Các trường báo cáo đầy đủ, đúng hạn hằng năm để số liệu các năm so sánh được với nhau.")
    if d.kind == "so-ket":
        proposals.append(
            f"Xây dựng kế hoạch giai đoạn {d.year_to + 1}-{PROJECTION_YEAR} trên cơ "
            f"sở kết quả sơ kết và chỉ tiêu năm {PROJECTION_YEAR}."
        )
    proposals.append("Tổ chức biểu dương, khen thưởng các tập thể tiêu biểu theo đề xuất tại mục 2.")
    return proposals


# ---- the document -------------------------------------------------------------------------------


def document(
    d: PeriodData,
    date: dt.date | str | None = None,
    parameters: dict | None = None,
    run_time: dt.datetime | None = None,
) -> Document:
    """The review: every section in the order of ``report-format.md``."""
    return Document(
        report_title(d),
        [
            common.header(d, date),
            preamble(d),
            section_coverage(d),
            section_results_intro(d),
            result_table(d),
            series_chart(d),
            series_table(d),
            indicator_paragraphs(d),
            section_communes(d),
            section_quality(d),
            section_assessment(d),
            common.closing(d),
            appendix_communes(d),
            appendix_coverage(d),
            common.provenance(d, parameters, run_time),
        ],
    )

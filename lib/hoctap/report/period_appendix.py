"""The statistical appendix of a review (the Excel workbook), as a ``Document``.

Series per indicator and per commune, the period's results, coverage, candidates and sources;
cells hold unrounded values with their number formats. ``excel.write_xlsx`` renders it.
"""

from __future__ import annotations

import pandas as pd

from hoctap.report import common
from hoctap.report.blocks import Column, Document, Section, Table, datum
from hoctap.report.excel import INT, RATE, SIGNED, WHOLE, rate_format
from hoctap.report.meta import is_missing
from hoctap.report.period import (
    PROJECTION_YEAR,
    PeriodData,
    area_results,
    commune_order,
    coverage_by_year,
    geography_words,
    rate_at,
    year_span,
)

CANDIDATE_KINDS = {"commune": "Đơn vị (xã)", "school": "Trường học"}


def _col(header: str, fmt: str | None, width: float) -> Column:
    return Column(header, width=width, number_format=fmt or None)


def _results(d: PeriodData, title: str) -> Table:
    rows = []
    for r in area_results(d).itertuples():
        rows.append(
            [
                datum(d.label(r.indicator)),
                datum(r.first_rate_pct),
                datum(r.last_rate_pct, rate_format(r.last_rate_pct, r.period_target_pct)),
                datum(r.change_pp),
                datum(r.period_target_pct),
                datum(None if is_missing(r.period_target_year) else int(r.period_target_year)),
                datum(r.result_status),
                datum(r.projection_2030_pct),
            ]
        )
    columns = [
        _col("Chỉ tiêu", "", 60),
        _col(f"Tỷ lệ năm {d.first_year} (%)", RATE, 11),
        _col(f"Tỷ lệ năm {d.last_year} (%)", RATE, 11),
        _col("Thay đổi (điểm %)", SIGNED, 11),
        _col("Chỉ tiêu (%)", WHOLE, 10),
        _col("Năm của chỉ tiêu", WHOLE, 10),
        _col("Đánh giá", "", 14),
        _col(f"Dự báo năm {PROJECTION_YEAR} (%) - chỉ để tham khảo", RATE, 14),
    ]
    caption = f"{title}: kết quả năm {d.last_year} so với chỉ tiêu, toàn {d.area_name}"
    return Table(columns, rows, caption=caption, name="Kết quả giai đoạn")


def _series(
    d: PeriodData,
    name: str,
    caption: str,
    df: pd.DataFrame,
    lead: list[Column],
    lead_cols: list[str],
) -> Table:
    rows = []
    for r in d.ordered(df, by=lead_cols).itertuples():
        rows.append(
            [datum(getattr(r, c)) for c in lead_cols]
            + [
                datum(d.label(r.indicator)),
                datum(int(r.year)),
                datum(r.numerator),
                datum(r.denominator),
                datum(r.rate_pct, rate_format(r.rate_pct, r.target_pct)),
                datum(r.target_pct),
                datum(r.status),
                datum(r.schools_reporting),
                datum(r.schools_expected),
            ]
        )
    columns = [
        *lead,
        _col("Chỉ tiêu", "", 55),
        _col("Năm", WHOLE, 7),
        _col("Số đạt", INT, 11),
        _col("Tổng số", INT, 11),
        _col("Tỷ lệ (%)", RATE, 9),
        _col("Chỉ tiêu kế hoạch (%)", WHOLE, 10),
        _col("Đánh giá", "", 14),
        _col("Số trường báo cáo", INT, 10),
        _col("Số trường phải báo cáo", INT, 11),
    ]
    return Table(columns, rows, caption=caption, name=name)


def _wide(d: PeriodData, title: str, geo: str) -> Table:
    """Per indicator, one row per commune (and the area), one column per year."""
    rows = []
    for code in [c for c in d.meta if c in set(d.indicators["indicator"])]:
        for geo_code, name in [("AREA", f"Toàn {d.area_name}")] + commune_order(d):
            row = [datum(d.label(code)), datum(name)]
            for y in d.years:
                r = rate_at(d, code, y, geo_code)
                row.append(datum(None if r is None else r.get("rate_pct")))
            rows.append(row)
    columns = [_col("Chỉ tiêu", "", 50), _col("Đơn vị", "", 18)]
    columns += [_col(str(y), RATE, 8) for y in d.years]
    caption = f"{title}: tỷ lệ đạt (%) theo chỉ tiêu, đơn vị và năm. {geo}"
    return Table(columns, rows, caption=caption, name="Tỷ lệ theo năm")


def _coverage(d: PeriodData, title: str) -> Table:
    rows = [
        [
            datum(int(r.year)),
            datum(r.expected),
            datum(r.submitted),
            datum(r.on_time),
            datum(r.late),
            datum(r.missing),
            datum(r.reporting_rate),
            datum(r.on_time_rate),
        ]
        for r in coverage_by_year(d).itertuples()
    ]
    columns = [
        _col("Năm", WHOLE, 7),
        _col("Số trường phải báo cáo", INT, 12),
        _col("Đã nộp", INT, 9),
        _col("Đúng hạn", INT, 9),
        _col("Nộp muộn", INT, 9),
        _col("Chưa nộp", INT, 9),
        _col("Tỷ lệ nộp (%)", RATE, 10),
        _col("Tỷ lệ đúng hạn (%)", RATE, 10),
    ]
    caption = f"{title}: tình hình nộp báo cáo qua các năm"
    return Table(columns, rows, caption=caption, name="Nộp báo cáo")


def _candidates(d: PeriodData, title: str) -> Table:
    rows = [
        [
            datum(CANDIDATE_KINDS.get(r.candidate_kind, r.candidate_kind)),
            datum(r.name),
            datum(r.commune_name),
            datum(r.reason),
        ]
        for r in d.candidates.itertuples()
    ]
    columns = [
        _col("Loại", "", 14),
        _col("Tên", "", 38),
        _col("Xã", "", 16),
        _col("Lý do đề xuất", "", 70),
    ]
    caption = f"{title}: đề xuất tập thể tiêu biểu (để Hội đồng xem xét)"
    return Table(columns, rows, caption=caption, name="Đề xuất tiêu biểu")


def document(d: PeriodData) -> Document:
    """The appendix workbook's sheets, in the order an office reads them."""
    cap, _low, n = d.words
    title = f"{cap} {n} năm giai đoạn {d.year_from}-{d.year_to}"
    geo = geography_words(d)
    area = d.area.sort_values("year", kind="stable")
    tables = [
        _results(d, title),
        _series(d, "Chuỗi toàn địa bàn", f"{title}: tỷ lệ từng năm, toàn {d.area_name}", area, [], []),
        _wide(d, title, geo),
        _series(
            d,
            "Chuỗi theo xã",
            f"{title}: số liệu từng năm theo đơn vị. {geo}",
            d.communes,
            [_col("Đơn vị", "", 16)],
            ["geo_name"],
        ),
        _coverage(d, title),
        *([_candidates(d, title)] if d.is_over else []),  # no proposals in a progress report
        common.sources_table(
            d,
            f"{title}: nguồn số liệu và thông tin lập bảng",
            [
                ("Giai đoạn", f"{d.year_from}-{d.year_to}"),
                ("Các năm có số liệu", year_span(d.years)),
                ("Địa giới", geo),
            ],
            widths=(50, 40, 68),
        ),
    ]
    return Document(f"Phụ lục số liệu {title}", [Section(tables, "appendix")], synthetic=d.synthetic)

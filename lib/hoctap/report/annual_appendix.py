"""The statistical appendix of the annual report (the Excel workbook), as a ``Document``.

One table per sheet; cells hold the unrounded values with their number formats, so an office
can sort, sum and paste them. ``excel.write_xlsx`` renders it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hoctap.report import common
from hoctap.report.annual import AnnualData, school_rows
from hoctap.report.blocks import Column, Document, Section, Table, datum
from hoctap.report.excel import DATE, INT, RATE, WHOLE, rate_format
from hoctap.report.meta import is_missing
from hoctap.vocabulary import SEVERITY_WORDS


def _col(header: str, fmt: str | None, width: float) -> Column:
    return Column(header, width=width, number_format=fmt or None)


INDICATOR_COLUMNS = [
    _col("Chỉ tiêu", "", 60),
    _col("Số đạt", INT, 12),
    _col("Tổng số", INT, 12),
    _col("Tỷ lệ (%)", RATE, 10),
    _col("Chỉ tiêu kế hoạch (%)", WHOLE, 11),
    _col("Năm của chỉ tiêu", WHOLE, 10),
    _col("Đánh giá", "", 14),
    _col("Số trường báo cáo", INT, 10),
    _col("Số trường phải báo cáo", INT, 11),
    _col("Số thôn báo cáo", INT, 10),
    _col("Số thôn đã biết", INT, 10),
]


def _indicator_rows(d: AnnualData, df: pd.DataFrame, lead: list[str] | None = None):
    rows = []
    for _, r in df.iterrows():
        status = r.get("status")
        cells = [
            datum(d.label(r["indicator"], r.get("label"))),
            datum(r.get("numerator")),
            datum(r.get("denominator")),
            datum(r.get("rate_pct"), rate_format(r.get("rate_pct"), r.get("target_pct"))),
            datum(r.get("target_pct")),
            datum(r.get("target_year")),
            datum(None if is_missing(status) else status),
            datum(r.get("schools_reporting")),
            datum(r.get("schools_expected")),
            datum(r.get("villages_reporting")),
            datum(r.get("villages_known")),
        ]
        rows.append([datum(r.get(c)) for c in lead or []] + cells)
    return rows


def _schools(d: AnnualData) -> Table:
    rows = []
    for _, r in school_rows(d).iterrows():
        date = pd.to_datetime(r.get("report_date"), errors="coerce")
        rows.append(
            [
                datum(r.get("school_id")),
                datum(r.get("school_name")),
                datum(r.get("commune_name")),
                datum(None if pd.isna(date) else date.to_pydatetime()),
                datum(r.get("state")),
                datum(r.get("title_txt")),
                datum(r.get("staff_total")),
                datum(r.get("staff_citizen")),
            ]
        )
    columns = [
        _col("Mã trường", "", 10),
        _col("Tên trường", "", 38),
        _col("Xã, thị trấn", "", 16),
        _col("Ngày báo cáo", DATE, 12),
        _col("Tình trạng", "", 16),
        _col("Đạt Đơn vị học tập", "", 11),
        _col("Tổng số CB, GV, NV", INT, 11),
        _col("Số đạt Công dân học tập", INT, 12),
    ]
    return Table(
        columns,
        rows,
        caption=f"Tình hình báo cáo của các trường năm {d.year}",
        name="Trường báo cáo",
    )


def _issues(d: AnnualData) -> Table:
    rows = []
    for _, r in (d.issues if d.issues is not None else pd.DataFrame()).iterrows():
        path, value = r.get("path"), r.get("value")
        rows.append(
            [
                datum(None if is_missing(path) else Path(str(path)).name),
                datum(r.get("school_id")),
                datum(r.get("sheet")),
                datum(r.get("row")),
                datum(r.get("column")),
                datum(SEVERITY_WORDS.get(r.get("severity"), r.get("severity"))),
                datum(r.get("message")),
                datum(None if is_missing(value) else str(value)),
            ]
        )
    columns = [
        _col("Tệp", "", 28),
        _col("Mã trường", "", 10),
        _col("Trang tính", "", 12),
        _col("Dòng", WHOLE, 7),
        _col("Cột", "", 7),
        _col("Mức độ", "", 10),
        _col("Nội dung", "", 60),
        _col("Giá trị đã nhập", "", 16),
    ]
    return Table(
        columns,
        rows,
        caption=f"Các vấn đề phát hiện trong số liệu năm {d.year}",
        name="Vấn đề số liệu",
    )


def document(d: AnnualData) -> Document:
    """The appendix workbook's sheets: indicators (area, communes), schools, issues, sources."""
    year = d.year
    com = d.ordered(d.communes, by=["geo_name"])
    tables = [
        Table(
            INDICATOR_COLUMNS,
            _indicator_rows(d, d.area),
            name="Chỉ tiêu toàn địa bàn",
            caption=f"Kết quả thực hiện các chỉ tiêu năm {year}, toàn {d.area_name}",
        ),
        Table(
            [_col("Xã, thị trấn", "", 18), *INDICATOR_COLUMNS],
            _indicator_rows(d, com, lead=["geo_name"]),
            name="Chỉ tiêu theo xã",
            caption=f"Kết quả thực hiện các chỉ tiêu theo xã, thị trấn năm {year}",
        ),
        _schools(d),
        _issues(d),
        common.sources_table(
            d,
            f"Nguồn số liệu và thông tin lập bảng năm {year}",
            [("Năm báo cáo", str(year))],
            [("Thư mục dữ liệu", str(d.ws.data_dir))],
        ),
    ]
    return Document(f"Phụ lục số liệu năm {year}", [Section(tables, "appendix")], synthetic=d.synthetic)

"""Reading single workbooks: formats, tolerated variations, and file-level failures."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest

import corpus
from corpus import Book, village, write_encrypted, write_ods, write_xls, write_xlsx
from hoctap.intake.prepare import formulas_without_value
from hoctap.intake.workbook import read_workbook


def _codes(sub):
    return sorted({f.code for f in sub.findings})


@pytest.mark.parametrize("writer, suffix", [(write_xlsx, ".xlsx"), (write_xlsx, ".xlsm"), (write_xls, ".xls"), (write_ods, ".ods")])
def test_every_format_reads_the_same(tmp_path, writer, suffix):
    book = Book()
    book.info["report_date"] = dt.date(2024, 12, 5)
    sub = read_workbook(writer(book, tmp_path / f"f{suffix}"))
    assert sub.fatal is None, sub.fatal_detail
    assert sub.info["school_name"] == "Trường Mầm non Hoa Sen"
    assert sub.info["report_date"] == dt.date(2024, 12, 5)
    assert sub.info["year"] == 2024
    assert [r.values["village"] for r in sub.villages] == ["Thôn 1", "Thôn 2", "Buôn Ma Giai"]
    assert sub.villages[1].values["households_total"] == 120
    assert sub.villages[0].values["community_title"] is True
    assert sub.unit["staff_total"] == 40 and sub.unit["school_unit_title"] is True
    assert len(sub.orgs) == 2 and sub.orgs[1].values["org_type"] == "Doanh nghiệp"
    assert _codes(sub) == []


def test_variants_sheet_names_numbering_offset_header_order_extra(tmp_path):
    case = next(c for c in corpus.cases() if c.name == "variants")
    path = tmp_path / "v.xlsx"
    case.build(path)
    sub = read_workbook(path)
    assert sub.sheets == {"info": "1. Thông tin", "unit": "Don vi", "villages": "DIABAN", "orgs": "4. Cơ quan"}
    assert sub.info["school_name"] == "mam non hoa phuong"
    assert sub.info["report_date"] == dt.date(2024, 12, 3)
    assert sub.unit["staff_total"] == 40  # "Tổng số CB,GV,NV", label in column B after "2."
    a, b = sub.villages
    assert (a.values["village"], a.values["households_total"], a.values["households_registered"]) == ("Thôn A", 1234, 12)
    assert a.values["clans_total"] == 0 and a.values["clans_title"] == 0
    assert b.values["community_title"] is True
    assert a.source_row == 10 and b.source_row == 12  # header on row 9, a blank row between data rows
    extra = [f for f in sub.findings if f.code == "extra_column"]
    assert [(f.cell, f.value) for f in extra] == [("DIABAN!K9", "Ghi chú")]
    assert [f.value for f in sub.findings if f.code == "extra_sheet"] == ["Ghi chu"]


def test_two_row_header_with_merged_parent_and_total_row(tmp_path):
    book = Book(two_row_header=True, total_row="auto")
    sub = read_workbook(write_xlsx(book, tmp_path / "t.xlsx"))
    assert [r.values["households_registered"] for r in sub.villages] == [50, 60, 40]
    assert [r.values["households_family_title"] for r in sub.villages] == [25, 30, 20]
    assert len(sub.villages) == 3  # the "Tổng cộng" row is not data
    assert _codes(sub) == []


def test_two_row_header_without_merge_info_in_xls(tmp_path):
    sub = read_workbook(write_xls(Book(two_row_header=True), tmp_path / "t.xls"))
    assert [r.values["households_family_title"] for r in sub.villages] == [25, 30, 20]


def test_total_row_mismatch_is_reported_with_its_cell(tmp_path):
    sub = read_workbook(write_xlsx(Book(total_row={"households_total": 999}), tmp_path / "t.xlsx"))
    (f,) = [f for f in sub.findings if f.code == "total_mismatch"]
    assert f.cell == "DiaBan!C7" and f.value == "999" and f.params["expected"] == 300


def test_old_template_without_coquan_and_template_row(tmp_path):
    info = corpus.default_info()
    del info["template_id"]
    sub = read_workbook(write_xlsx(Book(info=info, orgs=None), tmp_path / "old.xlsx"))
    assert sub.fatal is None and sub.orgs == [] and sub.info["template_id"] is None
    assert "orgs" not in sub.sheets and _codes(sub) == []


def test_formula_without_cached_value_is_named_by_cell(tmp_path):
    book = Book(villages=[village("Thôn F", 100, workers_total="=100*2"), village("Thôn G", 100, workers_total="=100*2")])
    path = write_xlsx(book, tmp_path / "f.xlsx", cached={"DiaBan": {"I5": 200}})
    assert list(formulas_without_value(path)["DiaBan"]) == [(3, 8)]
    sub = read_workbook(path)
    (f,) = [f for f in sub.findings if f.code == "formula_no_cache"]
    assert f.cell == "DiaBan!I4"
    assert sub.villages[1].values["workers_total"] == 200  # read through its cached value


def test_row_level_checks(tmp_path):
    rows = [village("A", 100, households_family_title=150), village("B", 100, households_registered=10, households_family_title=20),
            village(None, 100), village("C", 100, households_total="70%")]
    sub = read_workbook(write_xlsx(Book(villages=rows), tmp_path / "r.xlsx"))
    got = sorted((f.code, f.cell) for f in sub.findings)
    assert ("part_whole", "DiaBan!E4") in got
    assert ("awarded_unregistered", "DiaBan!E5") in got
    assert ("missing_village", "DiaBan!B6") in got
    assert ("percent_in_count", "DiaBan!C7") in got
    assert len(sub.villages) == 4  # every data row is kept, problems alongside


def test_unit_part_whole(tmp_path):
    sub = read_workbook(write_xlsx(Book(unit=corpus.default_unit(staff_citizen=50)), tmp_path / "u.xlsx"))
    (f,) = [f for f in sub.findings if f.code == "part_whole"]
    assert f.sheet == "DonVi" and f.field == "staff_citizen"


@pytest.mark.parametrize("name", ["encrypted", "corrupt", "empty", "zip_bomb"])
def test_bad_files_are_refused_without_raising(tmp_path, name):
    case = next(c for c in corpus.cases() if c.name == name)
    path = tmp_path / case.filename
    case.build(path)
    sub = read_workbook(path)
    assert sub.fatal == case.codes[0]


def test_zip_bomb_is_caught_from_declared_sizes(tmp_path):
    path = tmp_path / "bomb.xlsx"
    corpus._zip_bomb(path)
    assert path.stat().st_size < 2_000_000
    assert sum(i.file_size for i in zipfile.ZipFile(path).infolist()) > 200 * 1024 * 1024


def test_missing_sheets_and_header(tmp_path):
    book = Book(sheet_names={"info": "ThongTin", "unit": "DonVi", "villages": "Bảng khác", "orgs": "CoQuan"})
    sub = read_workbook(write_xlsx(book, tmp_path / "m.xlsx"))
    assert "missing_sheet" in _codes(sub) and "extra_sheet" in _codes(sub)
    book = Book(header_row=17)
    sub = read_workbook(write_xlsx(book, tmp_path / "h.xlsx"))
    assert "missing_header" in _codes(sub)


def test_empty_workbook(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "ThongTin"
    wb.save(tmp_path / "e.xlsx")
    assert read_workbook(tmp_path / "e.xlsx").fatal == "file_empty"


def test_encrypted_helper_really_encrypts(tmp_path):
    path = write_encrypted(Book(), tmp_path / "s.xlsx")
    assert not zipfile.is_zipfile(path)


def test_decomposed_diacritics_and_line_breaks_in_labels(tmp_path):
    import unicodedata

    labels = {f.name: unicodedata.normalize("NFD", f.label.upper()).replace(" ", "  ") for f in corpus.schema.VILLAGES.fields}
    labels["workers_total"] = "Số người lao động\ntrong GĐHT, DHHT, CĐHT"
    labels["school_name"] = unicodedata.normalize("NFD", "Tên trường:")
    sub = read_workbook(write_xlsx(Book(labels=labels), tmp_path / "nfd.xlsx"))
    assert [r.values["workers_total"] for r in sub.villages] == [200, 240, 160]
    assert sub.info["school_name"] == "Trường Mầm non Hoa Sen"
    assert _codes(sub) == []


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.xlsx"
    with path.open("wb") as fh:
        fh.truncate(21 * 1024 * 1024)  # sparse: 21 MB on paper
    sub = read_workbook(path)
    assert sub.fatal == "file_too_large"


def test_unknown_sheet_names_are_missing_sheets_not_empty(tmp_path):
    book = Book(sheet_names={"info": "Sheet1", "unit": "Sheet2", "villages": "Sheet3", "orgs": "Sheet4"})
    sub = read_workbook(write_xlsx(book, tmp_path / "s.xlsx"))
    assert sub.fatal is None
    assert {f.params.get("label") for f in sub.findings if f.code == "missing_sheet"} == {"ThongTin", "DiaBan"}


def test_blank_optional_sheet_is_fine_but_unreadable_one_warns(tmp_path):
    import openpyxl

    path = write_xlsx(Book(), tmp_path / "o.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["CoQuan"]
    ws.delete_rows(1, ws.max_row)
    wb.save(path)
    assert _codes(read_workbook(path)) == []
    for r in range(1, 25):
        ws.cell(r, 2, f"ghi chú {r}")
    wb.save(path)
    assert _codes(read_workbook(path)) == ["missing_org_header"]

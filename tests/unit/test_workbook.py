"""Reading single workbooks: formats, tolerated variations, and file-level failures."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from builders import corpus
from builders.corpus import Book, village, write_encrypted, write_ods, write_xls, write_xlsx
from hoctap.intake.prepare import formulas_without_value
from hoctap.intake.workbook import read_workbook


def _codes(sub):
    return sorted({f.code for f in sub.findings})


@pytest.mark.parametrize(
    "writer, suffix",
    [(write_xlsx, ".xlsx"), (write_xlsx, ".xlsm"), (write_xls, ".xls"), (write_ods, ".ods")],
)
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
    assert sub.sheets == {
        "info": "1. Thông tin",
        "unit": "Don vi",
        "villages": "DIABAN",
        "orgs": "4. Cơ quan",
    }
    assert sub.info["school_name"] == "mam non hoa phuong"
    assert sub.info["report_date"] == dt.date(2024, 12, 3)
    assert sub.unit["staff_total"] == 40  # "Tổng số CB,GV,NV", label in column B after "2."
    a, b = sub.villages
    assert (
        a.values["village"],
        a.values["households_total"],
        a.values["households_registered"],
    ) == ("Thôn A", 1234, 12)
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
    book = Book(
        villages=[
            village("Thôn F", 100, workers_total="=100*2"),
            village("Thôn G", 100, workers_total="=100*2"),
        ]
    )
    path = write_xlsx(book, tmp_path / "f.xlsx", cached={"DiaBan": {"I5": 200}})
    assert list(formulas_without_value(path)["DiaBan"]) == [(3, 8)]
    sub = read_workbook(path)
    (f,) = [f for f in sub.findings if f.code == "formula_no_cache"]
    assert f.cell == "DiaBan!I4"
    assert sub.villages[1].values["workers_total"] == 200  # read through its cached value


def test_row_level_checks(tmp_path):
    rows = [
        village("A", 100, households_family_title=150),
        village("B", 100, households_registered=10, households_family_title=20),
        village(None, 100),
        village("C", 100, households_total="70%"),
    ]
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
    sub = read_workbook(path)  # refused from the declared sizes, without inflating the members
    assert sub.fatal == "zip_too_large" and sub.villages == []


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
    assert read_workbook(path).fatal == "file_encrypted"


def test_decomposed_diacritics_and_line_breaks_in_labels(tmp_path):
    import unicodedata

    labels = {
        f.name: unicodedata.normalize("NFD", f.label.upper()).replace(" ", "  ") for f in corpus.schema.VILLAGES.fields
    }
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
    assert {f.params.get("label") for f in sub.findings if f.code == "missing_sheet"} == {
        "ThongTin",
        "DiaBan",
    }


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


# ---- error values (#DIV/0!, #N/A...): calamine reads them as empty, they must be errors --------

ERROR_CELLS = {  # (sheet, cell): value written by the spreadsheet program as an error
    ("DiaBan", "C4"): "#DIV/0!",  # a count
    ("DiaBan", "H5"): "#N/A",  # a yes/no
    ("ThongTin", "B9"): "#VALUE!",  # the report date (a required field)
    ("DonVi", "B4"): "#REF!",  # a count of the unit sheet
    ("CoQuan", "B4"): "#NAME?",  # a text: the organization's name
}


def _error_book() -> Book:
    info = corpus.default_info(report_date="#VALUE!")
    unit = corpus.default_unit(staff_total="#REF!")
    villages = [
        village("Thôn 1", 100, households_total="#DIV/0!"),
        village("Thôn 2", 120, community_title="#N/A"),
    ]
    orgs = corpus.default_orgs()
    orgs[0]["org_name"] = "#NAME?"
    return Book(info=info, unit=unit, villages=villages, orgs=orgs)


# The error codes of BIFF8 (MS-XLS 2.5.97.2 BErr).
BIFF_ERROR_CODES = {
    "#NULL!": 0x00,
    "#DIV/0!": 0x07,
    "#VALUE!": 0x0F,
    "#REF!": 0x17,
    "#NAME?": 0x1D,
    "#NUM!": 0x24,
    "#N/A": 0x2A,
}


def _write_xls_with_errors(book: Book, path: Path) -> Path:
    """xlwt, error literals written as real error cells (BOOLERR records), as Excel saves them."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, g in book.grids().items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                if isinstance(v, str) and v in BIFF_ERROR_CODES:
                    ws.row(r).set_cell_error(c, BIFF_ERROR_CODES[v])  # xlwt's own text map is wrong
                elif v is not None:
                    ws.write(r, c, v)
    wb.save(str(path))
    return path


@pytest.mark.parametrize(
    "writer, suffix, raw",
    [
        (write_xlsx, ".xlsx", ""),  # openpyxl writes an error literal as an error cell (t="e")
        (_write_xls_with_errors, ".xls", ""),  # BOOLERR records with the error flag
        (write_ods, ".ods", "#DIV/0!"),  # pandas/odfpy write it as text: calamine shows the text
    ],
)
def test_an_error_value_is_a_cell_error_in_every_parser(tmp_path, writer, suffix, raw):
    import python_calamine as pc

    from hoctap.cleaning import rules

    path = writer(_error_book(), tmp_path / f"e{suffix}")
    wb = pc.CalamineWorkbook.from_path(str(path))
    assert wb.get_sheet_by_name("DiaBan").to_python()[3][2] == raw  # what calamine alone gives
    sub = read_workbook(path)
    assert sub.fatal is None, sub.fatal_detail
    got = {(f.cell, f.value) for f in sub.findings if f.code == "cell_error"}
    assert got == {(f"{s}!{c}", v) for (s, c), v in ERROR_CELLS.items()}
    assert sub.villages[0].values["households_total"] is None
    assert sub.villages[1].values["community_title"] is None
    assert sub.info["report_date"] is None and sub.unit["staff_total"] is None
    assert "missing_field" not in _codes(sub)  # the date is an error, not a blank
    assert sub.villages[1].values["households_total"] == 120  # the other cells read as usual
    (f,) = [f for f in sub.findings if f.cell == "DiaBan!C4"]
    text = rules.message(f.code, cell=f.cell, value=f.value, **f.params)
    assert text.startswith("Ô DiaBan!C4: ô có lỗi công thức #DIV/0! (chia cho 0);")
    assert rules.severity("cell_error") == "error"


def _xlsx_xml(path: Path, member: str, edit) -> Path:
    """Rewrite one member of an .xlsx (the zip's other members unchanged)."""
    src = path.read_bytes()
    out = path.with_name("edited-" + path.name)
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, edit(data.decode()).encode() if name == member else data)
    return out


def test_a_cached_error_of_a_formula_names_the_formula(tmp_path):
    path = write_xlsx(Book(), tmp_path / "f.xlsx")
    path = _xlsx_xml(
        path,
        "xl/worksheets/sheet3.xml",
        lambda x: re.sub(r'<c r="C4"[^>]*>.*?</c>', '<c r="C4" t="e"><f>SQRT(-1)</f><v>#NUM!</v></c>', x),
    )
    sub = read_workbook(path)
    (f,) = [f for f in sub.findings if f.code == "cell_error"]
    assert (f.cell, f.value) == ("DiaBan!C4", "#NUM!")
    assert f.params["detail"] == "=SQRT(-1): phép tính không ra số hợp lệ"
    assert formulas_without_value(path) == {}  # an error is a value: not "saved without value"


def test_error_cells_without_a_cell_reference_are_placed_as_calamine_places_them(tmp_path):
    """Cells may leave out r="C4" (the XML allows it): they are counted along the row."""
    path = write_xlsx(_error_book(), tmp_path / "e.xlsx")

    def unreferenced(xml: str) -> str:
        return re.sub(r'(<c) r="[A-Z]+[45]"', r"\1", xml)

    sub = read_workbook(_xlsx_xml(path, "xl/worksheets/sheet3.xml", unreferenced))
    got = {f.cell for f in sub.findings if f.code == "cell_error" and f.sheet == "DiaBan"}
    assert got == {"DiaBan!C4", "DiaBan!H5"}
    assert sub.villages[1].values["households_total"] == 120


@pytest.mark.slow  # LibreOffice
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("target", ["xlsx", "ods", "xls"])
def test_formulas_that_fail_in_libreoffice_are_cell_errors(tmp_path, target):
    """LibreOffice computes =1/0 and =SQRT(-1) and saves the error (xlsx t="e", ods
    calcext:value-type="error", xls FORMULA records with an error result)."""
    import openpyxl

    src = write_xlsx(Book(), tmp_path / "src" / "f.xlsx")
    wb = openpyxl.load_workbook(src)
    wb["DiaBan"]["C4"] = "=1/0"
    wb["DiaBan"]["D5"] = "=SQRT(-1)"
    wb.save(src)
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"
    subprocess.run(
        [
            "soffice",
            profile,
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(tmp_path / "lo"),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    sub = read_workbook(tmp_path / "lo" / f"f.{target}")
    got = {f.cell: f.params["detail"] for f in sub.findings if f.code == "cell_error"}
    assert set(got) == {"DiaBan!C4", "DiaBan!D5"}
    assert "chia cho 0" in got["DiaBan!C4"]
    if target != "xls":  # BIFF keeps the formula as tokens only
        assert got["DiaBan!C4"].startswith("=1/0:") and got["DiaBan!D5"].startswith("=SQRT(-1):")
    assert [r.values["households_total"] for r in sub.villages] == [None, 120, 80]


def _write_negative_serials(path: Path) -> Path:
    """ThongTin!B9 = -5 in a date style, DiaBan!C4 = -3 without one (openpyxl or xlwt)."""
    book = Book(villages=[village("Thôn 1", 100, households_total=-3), village("Thôn 2", 120)])
    if path.suffix == ".xlsx":
        import openpyxl

        write_xlsx(book, path)
        wb = openpyxl.load_workbook(path)
        wb["ThongTin"]["B9"] = -5
        wb["ThongTin"]["B9"].number_format = "DD/MM/YYYY"
        wb.save(path)
        return path
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for name, g in book.grids().items():
        ws = wb.add_sheet(name)
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                if (name, r, c) == ("ThongTin", 8, 1):
                    ws.write(r, c, -5, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
                elif v is not None:
                    ws.write(r, c, v)
    wb.save(str(path))
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_a_negative_date_serial_shows_the_number_typed(tmp_path, suffix):
    """A date style makes calamine read -5 as 00:00:00; the school typed -5, the message says -5."""
    import python_calamine as pc

    path = _write_negative_serials(tmp_path / f"d{suffix}")
    info = pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ThongTin").to_python()
    assert info[8][1] == dt.time(0, 0)  # what calamine alone gives
    sub = read_workbook(path)
    (f,) = [f for f in sub.findings if f.code == "bad_date"]
    assert (f.cell, f.value) == ("ThongTin!B9", "-5")
    assert f.params["detail"] == "số này không phải một ngày"
    (n,) = [f for f in sub.findings if f.code == "negative_count"]  # no date style: a number
    assert (n.cell, n.value) == ("DiaBan!C4", "-3")

"""The blank HTSD-01 workbook: labels from schema, drop-downs by geography, protection, print."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from hoctap.cli import main
from hoctap.errors import HoctapError
from hoctap.intake import schema
from hoctap.intake.template import (
    INSTRUCTIONS_WIDTH,
    PAIRS_FIRST_ROW,
    TABLE_FIRST_ROW,
    TABLE_HEADER_ROW,
    TABLE_ROWS,
    row_height,
    text_lines,
    write_template,
)
from hoctap.intake.workbook import read_workbook

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
TOTAL_ROW = TABLE_FIRST_ROW + TABLE_ROWS


def _sheets(path):
    wb = CalamineWorkbook.from_path(str(path))
    return wb.sheet_names, {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}


def _list_values(dv) -> list[str]:
    return dv.formula1.strip('"').split(",")


def test_labels_match_schema_when_read_back(workspace, tmp_path):
    path = write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace)
    names, data = _sheets(path)
    assert names == ["HuongDan", "ThongTin", "DonVi", "DiaBan", "CoQuan"]
    for sheet in (schema.INFO, schema.UNIT):
        rows = data[sheet.name][PAIRS_FIRST_ROW - 1 : PAIRS_FIRST_ROW - 1 + len(sheet.fields)]
        assert [r[0] for r in rows] == [f.label for f in sheet.fields]
    info = {r[0]: r[1] for r in data["ThongTin"][PAIRS_FIRST_ROW - 1 :] if r and r[0]}
    assert info["Mẫu biểu"] == "HTSD-01"
    assert int(info["Năm báo cáo"]) == 2024
    for sheet in (schema.VILLAGES, schema.ORGS):
        assert data[sheet.name][TABLE_HEADER_ROW - 1][: len(sheet.fields)] == [f.label for f in sheet.fields]
    instructions = " ".join(str(r[0]) for r in data["HuongDan"])
    assert "trước ngày 10/12/2024" in instructions
    assert "hoctap check" in instructions and "Hội Khuyến học huyện" in instructions


def _pick(sheet: schema.Sheet, name: str) -> int:
    """1-based row of a field in a label-value sheet."""
    return PAIRS_FIRST_ROW + [f.name for f in sheet.fields].index(name)


def test_total_row_sums_from_header_to_the_row_above_itself(workspace, tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace))
    ws = wb["DiaBan"]
    assert ws.cell(TOTAL_ROW, 2).value == "Tổng cộng"
    # Header-anchored and ROW()-1: rows inserted right under the header or right above the
    # total stay inside the sum (a plain SUM(C5:C34) does not grow at its edges).
    assert ws.cell(TOTAL_ROW, 3).value == f"=SUM(C{TABLE_HEADER_ROW}:INDEX(C:C,ROW()-1))"
    assert ws.cell(TOTAL_ROW, 11).value is None  # past the last column
    orgs = wb["CoQuan"]
    count_cols = [j for j, f in enumerate(schema.ORGS.fields, start=1) if f.kind == "count"]
    assert [orgs.cell(TOTAL_ROW, j).value for j in count_cols] == [
        f"=SUM({c}{TABLE_HEADER_ROW}:INDEX({c}:{c},ROW()-1))" for c in "EF"
    ]
    assert ws.freeze_panes is not None
    header = ws.cell(TABLE_HEADER_ROW, 2)
    assert header.font.name == "Times New Roman" and header.font.b


def test_every_sheet_prints_one_page_wide_on_a4(workspace, tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace))
    # Column widths are counted in digits of the default font: Times New Roman, not Calibri
    # (absent on Linux, where LibreOffice then widens every column by a third).
    assert wb._named_styles["Normal"].font.name == "Times New Roman"
    orientation = {
        "HuongDan": "portrait",
        "ThongTin": "portrait",
        "DonVi": "portrait",
        "DiaBan": "landscape",
        "CoQuan": "landscape",
    }
    areas = {
        "HuongDan": f"A1:B{wb['HuongDan'].max_row}",
        "ThongTin": "A1:B12",
        "DonVi": "A1:B10",
        "DiaBan": f"A1:J{TOTAL_ROW}",
        "CoQuan": f"A1:F{TOTAL_ROW}",
    }
    for name, wanted in orientation.items():
        ws = wb[name]
        ps = ws.page_setup
        assert int(ps.paperSize) == 9 and ps.orientation == wanted, name  # 9 = A4
        assert int(ps.fitToWidth) == 1 and int(ps.fitToHeight) == 0, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_margins.left == ws.page_margins.right == 0.6
        assert ws.print_area.replace("$", "").split("!")[-1] == areas[name]
    for name in ("DiaBan", "CoQuan"):
        assert wb[name].print_title_rows == f"${TABLE_HEADER_ROW}:${TABLE_HEADER_ROW}"
    # The instructions fit the A4 portrait width at 100 % (LibreOffice clips, never shrinks,
    # a single column wider than the page): Excel pixels = 7 per width unit + 5.
    guide = wb["HuongDan"]
    px = sum(7 * guide.column_dimensions[c].width + 5 for c in "AB")
    assert guide.column_dimensions["A"].width == INSTRUCTIONS_WIDTH
    assert px * 25.4 / 96 <= 210 - 2 * 0.6 * 25.4


def test_wrapped_rows_are_tall_enough_for_their_text(workspace, tmp_path):
    assert text_lines("ngắn", 88) == 1
    long_text = "Số cán bộ làm công tác khuyến học tham gia hoạt động " * 4
    assert text_lines(long_text, 88) == 3 and text_lines(long_text, 30) >= 7
    assert row_height(long_text, 30) > row_height(long_text, 88)
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace))
    guide = wb["HuongDan"]
    long_rows = 0
    for (cell,) in guide.iter_rows(min_col=1, max_col=1):
        assert cell.alignment.wrap_text, cell.coordinate
        height = guide.row_dimensions[cell.row].height
        lines = text_lines(cell.value, INSTRUCTIONS_WIDTH)
        assert height and height >= 15 * lines, cell.coordinate
        long_rows += text_lines(cell.value, INSTRUCTIONS_WIDTH) > 1
    assert long_rows >= 5
    unit = wb["DonVi"]
    r = _pick(schema.UNIT, "cadres_clc_it")
    assert unit.row_dimensions[r].height >= 2 * 15
    assert wb["DiaBan"].row_dimensions[TABLE_HEADER_ROW].height >= 4 * 15  # "Số người lao động…"


def test_phone_and_school_code_are_text_cells(workspace, tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace))
    info = wb["ThongTin"]
    for name in ("phone", "school_code"):
        assert info.cell(_pick(schema.INFO, name), 2).number_format == "@", name
    year, date = _pick(schema.INFO, "year"), _pick(schema.INFO, "report_date")
    assert info.cell(year, 2).number_format == "0" and info.cell(year, 2).value == 2024
    assert info.cell(date, 2).number_format == "DD/MM/YYYY"
    dvs = info.data_validations.dataValidation
    assert any(d.type == "whole" and d.formula1 == "2021" and f"B{year}" in str(d.sqref) for d in dvs)
    assert any(d.type == "date" and f"B{date}" in str(d.sqref) for d in dvs)


def test_a_template_filled_with_openpyxl_reads_back(workspace, tmp_path, capsys):
    path = write_template(tmp_path / "mau.xlsx", 2024, school="KP001", workspace=workspace)
    wb = openpyxl.load_workbook(path)
    info, villages = wb["ThongTin"], wb["DiaBan"]
    info.cell(_pick(schema.INFO, "report_date"), 2).value = dt.date(2024, 11, 20)
    info.cell(_pick(schema.INFO, "phone"), 2).value = "0905123456"
    for i, (name, households) in enumerate([("Thôn 1", 120), ("Buôn Ma Giai", 85)]):
        villages.cell(TABLE_FIRST_ROW + i, 2).value = name
        villages.cell(TABLE_FIRST_ROW + i, 3).value = households
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    sub = read_workbook(filled)
    assert sub.fatal is None
    assert sub.info["phone"] == "0905123456" and sub.info["year"] == 2024
    assert [r.values["village"] for r in sub.villages] == ["Thôn 1", "Buôn Ma Giai"]
    assert main(["check", str(filled), "--data-dir", str(workspace.data_dir)]) == 0
    assert "LỖI" not in capsys.readouterr().out


def test_commune_dropdown_follows_the_merger(workspace, tmp_path):
    lists = {}
    for year in (2024, 2026):
        wb = openpyxl.load_workbook(write_template(tmp_path / f"m{year}.xlsx", year, workspace=workspace))
        dvs = wb["ThongTin"].data_validations.dataValidation
        commune_row = PAIRS_FIRST_ROW + [f.name for f in schema.INFO.fields].index("commune")
        dv = next(d for d in dvs if f"B{commune_row}" in str(d.sqref))
        lists[year] = _list_values(dv)
    assert len(lists[2024]) == 14 and "thị trấn Phú Túc" in lists[2024] and "xã Phú Cần" in lists[2024]
    assert lists[2026] == ["xã Phú Túc", "xã Ia Dreh", "xã Ia Rsai", "xã Uar"]


def test_validation_and_protection(workspace, tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2025, workspace=workspace))
    unit = wb["DonVi"]
    kinds = {d.type: d for d in unit.data_validations.dataValidation}
    assert _list_values(kinds["list"]) == ["Có", "Không"]
    assert kinds["whole"].operator == "greaterThanOrEqual" and kinds["whole"].formula1 == "0"
    info = wb["ThongTin"]
    date_row = PAIRS_FIRST_ROW + [f.name for f in schema.INFO.fields].index("report_date")
    assert any(d.type == "date" and f"B{date_row}" in str(d.sqref) for d in info.data_validations.dataValidation)
    village = wb["DiaBan"]
    assert any(d.type == "list" and d.formula1 == '"Có,Không"' for d in village.data_validations.dataValidation)
    orgs = wb["CoQuan"]
    assert any(
        _list_values(d) == list(schema.ORG_TYPES) for d in orgs.data_validations.dataValidation if d.type == "list"
    )
    for ws in (info, unit, village, orgs):
        assert ws.protection.sheet and not ws.protection.password
    assert unit.cell(PAIRS_FIRST_ROW, 1).protection.locked
    assert not unit.cell(PAIRS_FIRST_ROW, 2).protection.locked
    assert village.cell(TABLE_HEADER_ROW, 3).protection.locked
    assert not village.cell(TABLE_FIRST_ROW, 3).protection.locked


def test_prefilled_school_carries_its_commune_through_the_merger(workspace, tmp_path):
    def info(year, school):
        _, data = _sheets(write_template(tmp_path / f"{school}{year}.xlsx", year, school=school, workspace=workspace))
        return {r[0]: r[1] for r in data["ThongTin"] if r and r[0]}

    before, after = info(2024, "KP047"), info(2026, "mn hoa cuc")
    assert before["Mã trường"] == after["Mã trường"] == "KP047"
    assert before["Tên trường"] == "Trường Mầm non Hoa Cúc" and before["Cấp học"] == "Mầm non"
    assert before["Xã, thị trấn"] == "xã Phú Cần"
    assert after["Xã, thị trấn"] == "xã Phú Túc"


def test_unknown_and_ambiguous_school_names(workspace, tmp_path):
    with pytest.raises(HoctapError, match="Không tìm thấy trường.*KP001"):
        write_template(tmp_path / "x.xlsx", 2024, school="Mam non Hoa Sem", workspace=workspace)
    with pytest.raises(HoctapError, match="KP002.*KP045"):
        write_template(tmp_path / "x.xlsx", 2024, school="TH Lê Lợi", workspace=workspace)


def test_cli_and_byte_identical_reruns(workspace, tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    args = [
        "template",
        "--year",
        "2025",
        "--school",
        "KP001",
        "--data-dir",
        str(workspace.data_dir),
    ]
    assert main([*args, "-o", str(a)]) == 0
    assert main([*args, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()


# ---- LibreOffice for real ------------------------------------------------------------------

_BASIC = """Global oDoc As Object

Sub Run(src As String, dst As String, logf As String)
  On Error GoTo Failed
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden" : args(0).Value = True
  oDoc = StarDesktop.loadComponentFromURL(ConvertToURL(src), "_blank", 0, args())
{body}
  oDoc.calculateAll()
  Dim out(0) As New com.sun.star.beans.PropertyValue
  out(0).Name = "FilterName" : out(0).Value = "Calc MS Excel 2007 XML"
  oDoc.storeToURL(ConvertToURL(dst), out())
  oDoc.close(True)
  Exit Sub
Failed:
  n = FreeFile
  Open logf For Output As #n
  Print #n, "Error " & Err & " at line " & Erl & ": " & Error$
  Close #n
  oDoc.close(True)
End Sub

Sub Typ(sheet As String, addr As String, text As String)
  ' Keyboard entry (the input line + Enter), so cell formats apply as when a person types.
  oCtl = oDoc.CurrentController
  oCtl.setActiveSheet(oDoc.Sheets.getByName(sheet))
  oDisp = createUnoService("com.sun.star.frame.DispatchHelper")
  Dim go(0) As New com.sun.star.beans.PropertyValue
  go(0).Name = "ToPoint" : go(0).Value = "$" & sheet & "." & addr
  oDisp.executeDispatch(oCtl.Frame, ".uno:GoToCell", "", 0, go())
  Dim put(0) As New com.sun.star.beans.PropertyValue
  put(0).Name = "StringName" : put(0).Value = text
  oDisp.executeDispatch(oCtl.Frame, ".uno:EnterString", "", 0, put())
End Sub

Sub InsertRowAbove(sheet As String, row As Long)
  oDoc.Sheets.getByName(sheet).Rows.insertByIndex(row - 1, 1)
End Sub

Sub Unprotect(sheet As String)
  oDoc.Sheets.getByName(sheet).unprotect("")
End Sub
"""


class LibreOffice:
    """soffice --headless with its own profile, which holds the Basic macro that edits files."""

    def __init__(self, root):
        self.profile = root / "lo-profile"
        self.env = f"-env:UserInstallation=file://{self.profile}"
        self.root = root

    def _soffice(self, *args: str) -> None:
        cmd = [SOFFICE, self.env, "--headless", "--norestore", *args]
        for _ in range(2):  # headless soffice very rarely aborts at start-up (seen once in ~20)
            done = subprocess.run(cmd, timeout=240, capture_output=True, text=True)
            if done.returncode < 128:
                break
        assert done.returncode == 0, f"soffice exit {done.returncode}: {done.stderr[-500:]}"

    def to_pdf(self, path):
        self._soffice("--convert-to", "pdf", "--outdir", str(self.root), str(path))
        return self.root / (path.stem + ".pdf")

    def edit(self, src, dst, steps: list[tuple]):
        """Apply ``("type", sheet, cell, text)``, ``("insert", sheet, row)`` and
        ``("unprotect", sheet)`` steps in LibreOffice, and save the result as .xlsx."""
        if not (self.profile / "user" / "basic" / "Standard").is_dir():
            self._soffice("--terminate_after_init")  # create the profile, then put the macro in
        lines = []
        for step in steps:
            args = ", ".join('"' + a.replace('"', '""') + '"' if isinstance(a, str) else str(a) for a in step[1:])
            sub = {"type": "Typ", "insert": "InsertRowAbove", "unprotect": "Unprotect"}[step[0]]
            lines.append(f"  {sub}({args})")
        code = _BASIC.replace("{body}", "\n".join(lines))
        module = self.profile / "user" / "basic" / "Standard" / "Module1.xba"
        module.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN"'
            ' "module.dtd">\n'
            '<script:module xmlns:script="http://openoffice.org/2000/script"'
            ' script:name="Module1" script:language="StarBasic">'
            f"{html.escape(code, quote=True)}</script:module>\n",
            encoding="utf-8",
        )
        log = self.root / "macro.log"
        self._soffice(f'macro:///Standard.Module1.Run("{src}","{dst}","{log}")')
        assert not log.exists(), log.read_text()
        assert dst.is_file(), "LibreOffice did not save the edited workbook"
        return dst


def _pdf_pages(pdf) -> list[tuple[tuple[float, float], str]]:
    """(width, height) in points and the text of each page."""

    def run(*cmd: str) -> str:
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    info = run("pdfinfo", "-f", "1", "-l", "999", str(pdf))
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)
    pages = []
    for i, (w, h) in enumerate(sizes, start=1):
        text = run("pdftotext", "-f", str(i), "-l", str(i), str(pdf), "-")
        size = (float(w), float(h))
        pages.append((size, " ".join(text.split())))
    return pages


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui",
)
def test_libreoffice_prints_fills_and_recalculates_the_template(workspace, tmp_path, capsys):
    lo = LibreOffice(tmp_path)
    path = write_template(tmp_path / "mau.xlsx", 2025, school="KP001", workspace=workspace)

    # Printed: A4 pages, each sheet one page wide, the instructions complete on one page.
    pages = _pdf_pages(lo.to_pdf(path))
    by_sheet: dict[str, list[str]] = {}
    for (w, h), text in pages:
        assert sorted((round(w), round(h))) == [595, 842], (w, h)  # A4, either orientation
        (sheet,) = re.findall(r"(\w+) - trang \d+", text)  # the footer
        by_sheet.setdefault(sheet, []).append(text)
    assert list(by_sheet) == ["HuongDan", "ThongTin", "DonVi", "DiaBan", "CoQuan"]
    assert [len(by_sheet[s]) for s in ("HuongDan", "ThongTin", "DonVi")] == [1, 1, 1]
    guide = openpyxl.load_workbook(path)["HuongDan"]
    for (cell,) in guide.iter_rows(min_col=1, max_col=1):
        # nothing clipped, neither at the side nor under a row too short for its lines
        assert " ".join(cell.value.split()) in by_sheet["HuongDan"][0], cell.value
    for sheet in (schema.INFO, schema.UNIT):
        for f in sheet.fields:
            assert " ".join(f.label.split()) in by_sheet[sheet.name][0], f.label
    for sheet in (schema.VILLAGES, schema.ORGS):
        for text in by_sheet[sheet.name]:  # the header repeats, and every column is on each page
            words = text.split()
            for f in sheet.fields:
                assert all(w in words for w in f.label.split()), (sheet.name, f.label)
        assert "Tổng cộng" in by_sheet[sheet.name][-1]

    # Typed in LibreOffice: rows inserted right under the header and right above the total.
    info_row = {f.name: PAIRS_FIRST_ROW + i for i, f in enumerate(schema.INFO.fields)}
    steps = [
        ("type", "ThongTin", f"B{info_row['phone']}", "0912345678"),
        ("type", "ThongTin", f"B{info_row['report_date']}", "2025-11-25"),
        ("type", "ThongTin", f"B{info_row['preparer']}", "Nguyễn Thị Hằng"),
        ("type", "DiaBan", f"B{TABLE_FIRST_ROW}", "Thôn 1"),
        ("type", "DiaBan", f"C{TABLE_FIRST_ROW}", "120"),
        ("type", "DiaBan", f"A{TABLE_FIRST_ROW}", "01"),  # General: typed digits become a number
        ("insert", "DiaBan", TOTAL_ROW),
        ("type", "DiaBan", f"B{TOTAL_ROW}", "Buôn Mới"),
        ("type", "DiaBan", f"C{TOTAL_ROW}", "7"),
        # A row inserted right under the header takes the header's (locked) format, as in
        # Excel: the school unprotects the sheet to type there, and the total still counts it.
        ("insert", "DiaBan", TABLE_FIRST_ROW),
        ("unprotect", "DiaBan"),
        ("type", "DiaBan", f"B{TABLE_FIRST_ROW}", "Tổ dân phố 2"),
        ("type", "DiaBan", f"C{TABLE_FIRST_ROW}", "20"),
    ]
    filled = lo.edit(path, tmp_path / "filled.xlsx", steps)
    total = TOTAL_ROW + 2
    values = openpyxl.load_workbook(filled, data_only=True)
    assert values["DiaBan"].cell(total, 2).value == "Tổng cộng"
    assert values["DiaBan"].cell(total, 3).value == 120 + 7 + 20  # LibreOffice's own result
    assert values["DiaBan"].cell(TABLE_FIRST_ROW + 1, 1).value == 1
    assert values["ThongTin"].cell(info_row["phone"], 2).value == "0912345678"
    formulas = openpyxl.load_workbook(filled)["DiaBan"]
    assert formulas.cell(total, 3).value == f"=SUM(C{TABLE_HEADER_ROW}:INDEX(C:C,ROW()-1))"

    # Read back: the total row is not a village, and it agrees with the rows.
    sub = read_workbook(filled)
    assert sub.fatal is None
    assert sub.info["phone"] == "0912345678" and str(sub.info["report_date"]) == "2025-11-25"
    assert [r.values["village"] for r in sub.villages] == ["Tổ dân phố 2", "Thôn 1", "Buôn Mới"]
    assert not [f for f in sub.findings if f.code == "total_mismatch"]
    assert main(["check", str(filled), "--data-dir", str(workspace.data_dir)]) == 0
    assert "LỖI" not in capsys.readouterr().out

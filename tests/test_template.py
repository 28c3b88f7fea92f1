"""The blank HTSD-01 workbook: labels from schema, drop-downs by geography, protection."""

from __future__ import annotations

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from hoctap import schema
from hoctap.cli import main
from hoctap.errors import HoctapError
from hoctap.template import (
    PAIRS_FIRST_ROW,
    TABLE_FIRST_ROW,
    TABLE_HEADER_ROW,
    TABLE_ROWS,
    write_template,
)


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


def test_total_row_sums_and_print_setup(workspace, tmp_path):
    wb = openpyxl.load_workbook(write_template(tmp_path / "mau.xlsx", 2024, workspace=workspace))
    ws = wb["DiaBan"]
    total = TABLE_FIRST_ROW + TABLE_ROWS
    assert ws.cell(total, 2).value == "Tổng cộng"
    assert ws.cell(total, 3).value == f"=SUM(C{TABLE_FIRST_ROW}:C{total - 1})"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert wb["ThongTin"].page_setup.orientation == "portrait"
    assert ws.freeze_panes is not None
    assert ws.cell(TABLE_HEADER_ROW, 2).font.name == "Times New Roman" and ws.cell(TABLE_HEADER_ROW, 2).font.b


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
    assert any(_list_values(d) == list(schema.ORG_TYPES) for d in orgs.data_validations.dataValidation if d.type == "list")
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
    args = ["template", "--year", "2025", "--school", "KP001", "--data-dir", str(workspace.data_dir)]
    assert main([*args, "-o", str(a)]) == 0
    assert main([*args, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()

"""The Excel renderer, read back with openpyxl: the synthetic label on every sheet, row heights
that show wrapped text whole, frozen and printed header rows, A4 print setup."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from hoctap.report import blocks as B
from hoctap.report import excel
from hoctap.vocabulary import SYNTHETIC_LABEL

SERIF = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
MESSAGE = (
    'Ô DiaBan!E5: số hộ đạt "Gia đình học tập" (119) lớn hơn số hộ đăng ký (115); kiểm tra lại, '
    "hộ đạt danh hiệu thường phải đăng ký trước. Trường Mầm non Hoa Sen, xã Ia Rsươm, huyện Krông Pa."
)


def _issues() -> B.Table:
    return B.Table(
        [B.Column("Tệp", width=20), B.Column("Mức độ", width=10), B.Column("Nội dung", width=40)],
        [
            [B.datum("a.xlsx"), B.datum("Lỗi"), B.datum(MESSAGE)],
            [B.datum("b.xlsx"), B.datum("Cảnh báo"), B.datum("Ngắn.")],
        ],
        caption="Các vấn đề số liệu năm 2026",
        name="Vấn đề",
    )


def _two_level() -> B.Table:
    """A header of two rows: "Xã" spans both, "Năm 2025" spans two columns."""
    head = [
        [B.Cell("Xã", rowspan=2), B.Cell("Năm 2025", colspan=2)],
        [B.Cell("Số đạt"), B.Cell("Tỷ lệ (%)")],
    ]
    cols = [B.Column("Xã"), B.Column("Số đạt", B.RIGHT, number_format="#,##0"), B.Column("Tỷ lệ (%)", B.RIGHT)]
    rows = [[B.datum("Ia Rsươm"), B.datum(12345), B.datum(69.96, "0.00")], [B.datum("Uar"), B.datum(7), B.datum(None)]]
    return B.Table(cols, rows, header_rows=head, caption="Kết quả theo xã", name="Theo xã")


def _write(tmp_path: Path, synthetic: bool) -> Path:
    doc = B.Document("x", [B.Section([_issues(), _two_level()])], synthetic=synthetic)
    return excel.write_xlsx(doc, tmp_path / "x.xlsx")


def test_synthetic_label_on_every_sheet(tmp_path):
    wb = load_workbook(_write(tmp_path, synthetic=True))
    assert wb.sheetnames == ["Vấn đề", "Theo xã"]
    for ws in wb:
        assert ws["A2"].value == SYNTHETIC_LABEL and ws["A2"].font.b
        assert "A2:" in " ".join(str(r) for r in ws.merged_cells.ranges)  # across the table
        assert ws.print_title_rows.startswith("$2:")  # printed on every page with the header
        assert "GIẢ LẬP" in ws.oddHeader.center.text
    plain = load_workbook(_write(tmp_path, synthetic=False))
    for ws in plain:
        assert ws["A2"].value is None and not ws.oddHeader.center.text
        assert ws.print_title_rows.startswith("$3:")


def test_rows_tall_enough_for_wrapped_text(tmp_path):
    ws = load_workbook(_write(tmp_path, synthetic=False))["Vấn đề"]
    long_row, short_row = ws.row_dimensions[4].height, ws.row_dimensions[5].height
    lines = excel.text_lines(MESSAGE, 40)
    assert lines >= 3
    assert long_row == excel.row_height(lines) and long_row >= 3 * 14
    assert short_row == excel.row_height(1)
    assert ws["C4"].alignment.wrap_text and ws["C4"].alignment.vertical == "top"


@pytest.mark.skipif(not SERIF.is_file(), reason="Liberation Serif (Times metrics) not installed")
def test_line_estimate_never_short_of_a_real_wrap():
    """Wrap word by word with the font's own metrics (PIL, kerning included) in the pixels a
    column of that width gives in Excel; the estimate must never be short."""
    from PIL import ImageFont

    font = ImageFont.truetype(str(SERIF), size=11 * 96 / 72)

    def wrapped(text: str, width: float) -> int:
        room = width * 7 + 5 - 6
        n, line = 1, ""
        for word in text.split(" "):
            trial = f"{line} {word}" if line else word
            if line and font.getlength(trial) > room:
                n, line = n + 1, word
            else:
                line = trial
        return n

    texts = [
        MESSAGE,
        "BC HTSĐ TH Trần Phú 2025.xlsx",
        "ĐƠN VỊ HỌC TẬP ĐẠT DANH HIỆU CÔNG DÂN HỌC TẬP TRONG TOÀN ĐỊA BÀN",
        "Tỷ lệ cán bộ, giáo viên, nhân viên trong trường đạt “Đơn vị học tập” đạt danh hiệu “Công dân học tập”",
        "Ưu tiên ươm mầm, Ơn nghĩa, những người ưu tú",
    ]
    for text in texts:
        for width in (10, 16, 28, 40, 60):
            assert excel.text_lines(text, width) >= wrapped(text, width), (text, width)


def test_header_rows_frozen_merged_and_print_setup(tmp_path):
    ws = load_workbook(_write(tmp_path, synthetic=True))["Theo xã"]
    assert ws["A1"].value == "Kết quả theo xã"
    assert [ws.cell(3, j).value for j in (1, 2)] == ["Xã", "Năm 2025"]
    assert [ws.cell(4, j).value for j in (2, 3)] == ["Số đạt", "Tỷ lệ (%)"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:C3"} <= merged
    assert ws.freeze_panes == "A5"  # both header rows stay in view
    assert ws.print_title_rows == "$2:$4"
    assert ws["A5"].value == "Ia Rsươm" and ws["B5"].value == 12345 and ws["B5"].number_format == "#,##0"
    assert ws["C5"].number_format == "0.00" and ws["C6"].value is None
    assert ws.max_row == 6  # only data rows under the header: sortable, summable
    assert int(ws.page_setup.paperSize) == 9 and int(ws.page_setup.fitToWidth) == 1  # A4, one page wide
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.auto_filter.ref == "A4:C6"
    for j in (1, 2, 3):  # a width for every column, given or from its text
        assert ws.column_dimensions["ABC"[j - 1]].width >= excel.MIN_WIDTH


def test_sheet_names_excel_accepts(tmp_path):
    t = _issues()
    tables = [B.Table(t.columns, t.rows, name=n) for n in ("Vấn đề: 2026/2027", "Vấn đề: 2026/2027", "x" * 40)]
    wb = load_workbook(excel.write_xlsx(B.Document("x", [B.Section(tables)]), tmp_path / "n.xlsx"))
    assert wb.sheetnames == ["Vấn đề  2026 2027", "Vấn đề  2026 2027 (2)", "x" * 31]

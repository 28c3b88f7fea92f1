"""The annual report end to end: a hand-made processed workspace, a real papermill run of
notebook 03, real HTML, PDF (WeasyPrint, read back with poppler) and Excel files."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from hoctap.paths import NOTEBOOKS_DIR, SHIPPED_REFERENCE_DIR, Workspace

YEAR = 2026
XSS = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x.invalid","bấm")'
COMMUNES = {"XM-PHUTUC": "Phú Túc", "XM-IADREH": "Ia Dreh", "XM-IARSAI": "Ia Rsai", "XM-UAR": "Uar"}
CODES = [
    "family_title_rate",
    "clan_title_rate",
    "community_title_rate",
    "school_unit_title_rate",
    "unit_title_rate",
    "worker_citizen_rate",
    "school_staff_citizen_rate",
    "unit_staff_citizen_rate",
    "member_policy_rate",
    "cadre_clc_it_rate",
]
TARGETS = {
    "family_title_rate": 80,
    "clan_title_rate": 75,
    "community_title_rate": 75,
    "school_unit_title_rate": 90,
    "unit_title_rate": 90,
    "worker_citizen_rate": 50,
    "school_staff_citizen_rate": 80,
    "unit_staff_citizen_rate": 80,
    "member_policy_rate": 100,
    "cadre_clc_it_rate": 70,
}
# Area figures: (numerator, denominator, status); unit_staff_citizen_rate has a zero denominator.
AREA = {
    "family_title_rate": (8123, 11540, "Đúng tiến độ"),
    "clan_title_rate": (412, 598, "Chậm tiến độ"),
    "community_title_rate": (61, 84, "Đúng tiến độ"),
    "school_unit_title_rate": (5, 6, "Đúng tiến độ"),
    "unit_title_rate": (9, 12, "Chậm tiến độ"),
    "worker_citizen_rate": (10234, 23456, "Đúng tiến độ"),
    "school_staff_citizen_rate": (160, 201, "Chậm tiến độ"),
    "unit_staff_citizen_rate": (0, 0, None),
    "member_policy_rate": (1999, 2001, "Chậm tiến độ"),
    "cadre_clc_it_rate": (45, 90, "Chậm tiến độ"),
}


def _indicator_rows(year: int, scale: float = 1.0) -> pd.DataFrame:
    rows = []

    def add(level, code, name, ind, num, den, status, sr, se):
        rows.append(
            {
                "year": year,
                "geo_level": level,
                "geo_code": code,
                "geo_name": name,
                "indicator": ind,
                "numerator": num,
                "denominator": den,
                "rate_pct": (100 * num / den) if den else None,
                "target_year": 2030,
                "target_pct": TARGETS[ind],
                "status": status if den else None,
                "schools_reporting": sr,
                "schools_expected": se,
                "villages_reporting": 80,
                "villages_known": 84,
                "geography_date": f"{year}-12-10",
                "label": None,
                "reporting_rate_pct": 100 * sr / se,
                "on_time_rate_pct": 50.0,
            }
        )

    for ind, (num, den, status) in AREA.items():
        add("area", "AREA", "", ind, int(num * scale), den, status, 5, 7)
        for k, (code, name) in enumerate(COMMUNES.items()):
            cden = den // 4
            cnum = int(cden * (0.55 + 0.1 * (k % 4)))
            if ind == "family_title_rate" and code == "XM-UAR":
                cnum, cden = 2399, 3000  # 79.966...% against 80: must print 79,97%, not 80,0%
            add(
                "commune",
                code,
                name,
                ind,
                cnum,
                cden,
                "Chậm tiến độ" if cnum / max(cden, 1) < 0.8 else "Đúng tiến độ",
                1 if k else 2,
                2 if k < 3 else 1,
            )
    df = pd.DataFrame(rows)
    df["label"] = ""
    return df


def build_processed(ws: Workspace, year: int = YEAR) -> None:
    """Write the processed tables of one year by hand, with the contract's columns."""
    proc = ws.processed(year)
    proc.mkdir(parents=True, exist_ok=True)
    _indicator_rows(year).to_csv(proc / "indicators.csv", index=False, encoding="utf-8-sig")
    prev = ws.processed(year - 1)
    prev.mkdir(parents=True, exist_ok=True)
    _indicator_rows(year - 1, scale=0.95).to_csv(
        prev / "indicators.csv", index=False, encoding="utf-8-sig"
    )

    schools = [
        # school_id, name, commune, submitted, on_time, report_date
        ("KP001", "Trường Mầm non Hoa Sen", "XM-PHUTUC", True, True, "2026-12-01"),
        ("KP002", "Trường Tiểu học Lê Lợi", "XM-PHUTUC", True, False, "2026-12-15"),
        ("KP003", XSS, "XM-IADREH", True, True, "2026-12-05"),
        ("KP004", FORMULA, "XM-IARSAI", True, True, "2026-12-08"),
        ("KP005", "Trường THCS Đinh Núp", "XM-UAR", True, True, "2026-12-09"),
        ("KP006", "Trường Tiểu học Ơi Hới", "XM-UAR", False, False, None),
        ("KP007", "Trường Mầm non Sơn Ca", "XM-IADREH", False, False, None),
    ]
    comp = pd.DataFrame(
        [
            {
                "year": year,
                "school_id": s,
                "school_name": n,
                "commune_code": c,
                "submitted": sub,
                "on_time": ot,
                "report_date": d,
                "status": ("missing" if not sub else "on_time" if ot else "late"),
                "expected": True,
                "registered": True,
            }
            for s, n, c, sub, ot, d in schools
        ]
    )
    comp.to_csv(proc / "completeness.csv", index=False, encoding="utf-8-sig")

    intake = [
        {
            "path": f"{s}/bao-cao-{s}.xlsx",
            "sha256": f"{i:064x}",
            "size_bytes": 20480 + i,
            "status": "accepted",
            "school_id": s,
            "school_name": n,
            "commune_code": c,
            "report_date": d,
            "n_errors": 0,
            "n_warnings": 1,
            "reason": "",
        }
        for i, (s, n, c, sub, _ot, d) in enumerate(schools)
        if sub
    ]
    intake.append(
        {
            "path": "KP006/ban-nhap.xlsx",
            "sha256": "ab" * 32,
            "size_bytes": 999,
            "status": "rejected",
            "school_id": "KP006",
            "school_name": "Trường Tiểu học Ơi Hới",
            "commune_code": "XM-UAR",
            "report_date": "",
            "n_errors": 3,
            "n_warnings": 0,
            "reason": "Tệp không đúng biểu mẫu HTSD-01: thiếu trang tính DiaBan",
        }
    )
    intake.append(
        {
            "path": "KP001/bao-cao-cu.xlsx",
            "sha256": "cd" * 32,
            "size_bytes": 20000,
            "status": "superseded",
            "school_id": "KP001",
            "school_name": "Trường Mầm non Hoa Sen",
            "commune_code": "XM-PHUTUC",
            "report_date": "2026-11-20",
            "n_errors": 0,
            "n_warnings": 0,
            "reason": "Đã có bản gửi sau ngày 01/12/2026",
        }
    )
    df = pd.DataFrame(intake)
    df.insert(0, "year", year)
    df.to_csv(proc / "intake.csv", index=False, encoding="utf-8-sig")

    issues = pd.DataFrame(
        [
            {
                "year": year,
                "path": "KP003/bao-cao-KP003.xlsx",
                "school_id": "KP003",
                "sheet": "DiaBan",
                "row": 9,
                "column": "E",
                "field": "households_family_title",
                "value": "120",
                "code": "PART_GT_WHOLE",
                "severity": "error",
                "message": "Thôn Buôn Ma Giai: số hộ đạt danh hiệu (120) lớn hơn tổng số hộ (100); sửa lại ô E9.",
            },
            {
                "year": year,
                "path": "KP004/bao-cao-KP004.xlsx",
                "school_id": "KP004",
                "sheet": "DiaBan",
                "row": 7,
                "column": "C",
                "field": "households_total",
                "value": "",
                "code": "MISSING_COUNT",
                "severity": "warning",
                "message": "Ô C7 (tổng số hộ) để trống; hãy ghi số, nếu không có ghi 0.",
            },
            {
                "year": year,
                "path": "KP002/bao-cao-KP002.xlsx",
                "school_id": "KP002",
                "sheet": "DiaBan",
                "row": 8,
                "column": "C",
                "field": "households_total",
                "value": "",
                "code": "MISSING_COUNT",
                "severity": "warning",
                "message": "Ô C8 (tổng số hộ) để trống; hãy ghi số, nếu không có ghi 0.",
            },
        ]
    )
    issues.to_csv(proc / "issues.csv", index=False, encoding="utf-8-sig")

    sch = pd.DataFrame(
        [
            {
                "year": year,
                "school_id": s,
                "school_name": n,
                "school_code": s,
                "registered": True,
                "commune_code": c,
                "commune_raw": COMMUNES.get(c, c),
                "school_level": "Tiểu học",
                "report_date": pd.Timestamp(d),
                "template_id": "HTSD-01",
                "preparer": "Nguyễn Thị Hà",
                "phone": "0905000000",
                "school_unit_title": k % 2 == 0,
                "staff_total": 30 + k,
                "staff_citizen": 20 + k,
                "members_total": 40,
                "members_policy": 39,
                "cadres_total": 5,
                "cadres_clc_it": 2,
                "source_path": f"{s}/bao-cao-{s}.xlsx",
                "status": "quarantined" if s == "KP005" else "used",
            }
            for k, (s, n, c, sub, _ot, d) in enumerate(schools)
            if sub
        ]
    )
    sch["staff_total"] = sch["staff_total"].astype("Int64")
    sch["staff_citizen"] = sch["staff_citizen"].astype("Int64")
    sch["school_unit_title"] = sch["school_unit_title"].astype("boolean")
    sch.to_parquet(proc / "schools.parquet", index=False)

    vil = pd.DataFrame(
        [
            {
                "year": year,
                "commune_code": "XM-IADREH",
                "village": "Buôn Ma Giai",
                "village_key": "buon ma giai",
                "households_total": 100,
                "households_family_title": 120,
                "school_id": "KP003",
                "source_path": "KP003/bao-cao-KP003.xlsx",
                "source_row": 9,
                "status": "quarantined",
            },
            {
                "year": year,
                "commune_code": "XM-PHUTUC",
                "village": "Tổ dân phố 1",
                "village_key": "to dan pho 1",
                "households_total": 200,
                "households_family_title": 150,
                "school_id": "KP001",
                "source_path": "KP001/bao-cao-KP001.xlsx",
                "source_row": 7,
                "status": "conflict-lost",
            },
            {
                "year": year,
                "commune_code": "XM-PHUTUC",
                "village": "Tổ dân phố 2",
                "village_key": "to dan pho 2",
                "households_total": 210,
                "households_family_title": 160,
                "school_id": "KP001",
                "source_path": "KP001/bao-cao-KP001.xlsx",
                "source_row": 8,
                "status": "used",
            },
        ]
    )
    vil.to_parquet(proc / "villages.parquet", index=False)


def make_workspace(root: Path) -> Workspace:
    data = root / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference")
    (data / "raw").mkdir()
    (data / "processed").mkdir()
    ws = Workspace.at(data, root / "reports")
    build_processed(ws)
    return ws


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Run notebook 03 through papermill and render the three files once for the module."""
    import papermill as pm

    from hoctap.report.annual import render_outputs

    ws = make_workspace(tmp_path_factory.mktemp("annual"))
    executed = ws.reports_year(YEAR) / "03-annual-report.ipynb"
    executed.parent.mkdir(parents=True)
    t0 = time.perf_counter()
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "03-annual-report.ipynb"),
        str(executed),
        parameters={
            "year": YEAR,
            "data_dir": str(ws.data_dir),
            "reports_dir": str(ws.reports_dir),
            "report_date": "2026-12-10",
        },
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
    )
    t1 = time.perf_counter()
    files = render_outputs(ws, YEAR, executed)
    t2 = time.perf_counter()
    print(f"notebook {t1 - t0:.1f} s, render {t2 - t1:.1f} s")
    pdf_text = subprocess.run(
        ["pdftotext", "-layout", str(files["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    return {
        "ws": ws,
        "files": files,
        "pdf_text": pdf_text,
        "html": files["html"].read_text(encoding="utf-8"),
    }


@pytest.mark.slow
def test_files_written(built):
    ws = built["ws"]
    for ext in ("html", "pdf", "xlsx"):
        assert (ws.reports_year(YEAR) / f"bao-cao-nam-{YEAR}.{ext}").is_file()
    index = (ws.reports_dir / "index.html").read_text(encoding="utf-8")
    assert f"{YEAR}/bao-cao-nam-{YEAR}.pdf" in index and "Báo cáo năm 2026" in index


@pytest.mark.slow
def test_pdf_document_form(built):
    text = " ".join(built["pdf_text"].split())
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO",
        "Krông Pa, ngày 10 tháng 12 năm 2026",
        "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO",
        "Nơi nhận:",
        "Lưu: VT.",
        "Trần Quốc Định",
        "I. TÌNH HÌNH NỘP BÁO CÁO",
        "PHỤ LỤC",
    ):
        assert phrase in text, phrase
    # Figures of the indicator table, Vietnamese format; undefined rates print as a dash.
    for figure in ("8.123", "11.540", "70,4%", "10.234", "23.456", "43,6%", "99,9%", "79,97%", "—"):
        assert figure in text, figure
    assert "80,0%" not in text.split("Phụ lục 1")[0] or "79,97%" in text
    for name in COMMUNES.values():
        assert name in text, name
    assert "tăng" in text and "điểm %" in text  # comparison with the previous year
    assert XSS in text  # shown as text in the appendix
    for english in ("family_title_rate", "NaN", "None", "True", "accepted", "Traceback"):
        assert english not in text, english


@pytest.mark.slow
def test_pdf_pages_are_a4(built):
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(built["files"]["pdf"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = [
        line.split(":", 1)[1]
        for line in info.splitlines()
        if line.startswith("Page") and "size" in line
    ]
    assert sizes and all("595.276 x 841.89" in s or "595 x 842" in s for s in sizes), sizes
    pages = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(built["files"]["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert pages.strip().splitlines()[0].strip() == "2"  # page number at the top of page 2


@pytest.mark.slow
def test_html_is_clean_and_escaped(built):
    html = built["html"]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html  # no scripts at all: self-contained, uploadable
    for leftover in (
        "In&nbsp;[",
        "In [",
        "Out[",
        "import ",
        "display(HTML",
        "Traceback",
        "jp-InputArea",
    ):
        assert leftover not in html, leftover
    assert html.count('src="data:image/png;base64,') == 2  # both charts embedded
    assert "http://" not in html.replace("http://x.invalid", "")  # nothing fetched from outside


@pytest.mark.slow
def test_excel_matches_indicators(built):
    ws = built["ws"]
    ind = pd.read_csv(ws.processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    wb = load_workbook(built["files"]["xlsx"])
    assert wb.sheetnames[:2] == ["Chỉ tiêu toàn địa bàn", "Chỉ tiêu theo xã"]
    sheet = wb["Chỉ tiêu toàn địa bàn"]
    assert sheet.freeze_panes == "A4"
    assert sheet.cell(3, 2).value == "Số đạt" and sheet.cell(3, 4).value == "Tỷ lệ (%)"
    got = {}
    for row in sheet.iter_rows(min_row=4, values_only=True):
        got[row[0]] = row[1:4]
    area = ind[ind["geo_level"] == "area"]
    assert len(got) == len(area)
    from hoctap.report.meta import indicator_meta

    meta = indicator_meta()
    for r in area.itertuples():
        num, den, rate = got[meta[r.indicator].label]
        assert (num, den) == (r.numerator, r.denominator)
        assert (rate is None and pd.isna(r.rate_pct)) or rate == pytest.approx(
            r.rate_pct, rel=1e-12
        )
    assert sheet["B4"].number_format == "#,##0"
    com = wb["Chỉ tiêu theo xã"]
    assert sum(1 for _ in com.iter_rows(min_row=4)) == int((ind["geo_level"] == "commune").sum())
    uar = [r for r in com.iter_rows(min_row=4) if r[0].value == "Uar" and r[2].value == 2399]
    assert uar and uar[0][4].number_format == "0.00"  # 79,97 does not display as 80,0


@pytest.mark.slow
def test_excel_formula_looking_text_is_text(built):
    wb = load_workbook(built["files"]["xlsx"])
    sheet = wb["Trường báo cáo"]
    cells = [row[1] for row in sheet.iter_rows(min_row=4) if row[1].value == FORMULA]
    assert cells and cells[0].data_type == "s" and cells[0].quotePrefix
    assert any(row[1].value == XSS for row in sheet.iter_rows(min_row=4))


def test_notebook_committed_clean():
    nb = nbformat.read(NOTEBOOKS_DIR / "03-annual-report.ipynb", as_version=4)
    assert all(
        not c.get("outputs") and not c.get("execution_count")
        for c in nb.cells
        if c.cell_type == "code"
    )
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "year =" in tagged[0].source


def test_error_cell_is_not_published(tmp_path):
    from hoctap.report.render import NotebookError, notebook_to_html

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [
        nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback"]
        )
    ]
    nb.cells = [cell]
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookError):
        notebook_to_html(path, tmp_path / "x.html", "x")
    assert not (tmp_path / "x.html").exists()


def test_header_and_table_escape():
    import datetime as dt

    import pandas as pd

    from hoctap.report.document import closing_block, header_block, table

    settings = {
        "issuer": {"parent": "UBND <b>X</b>", "name": "PHÒNG", "place": "A&B", "number": "Số: 1"},
        "signer": {"lines": ["TRƯỞNG PHÒNG"], "name": "<i>Tên</i>"},
        "distribution": {"lines": ["<script>"], "archive": "Lưu: VT."},
    }
    html = header_block(settings, dt.date(2026, 12, 10), "BÁO CÁO", "Tóm tắt <x>")
    html += closing_block(settings) + table(pd.DataFrame({"a": [XSS]}), {"a": "Tên"})
    assert (
        "<b>X" not in html and "<script" not in html and "<i>Tên" not in html and "<x>" not in html
    )
    assert "A&amp;B, ngày 10 tháng 12 năm 2026" in html


def test_index_lists_reports_newest_first(tmp_path):
    from hoctap.report.render import update_index

    for folder, stem in (
        ("2024", "bao-cao-nam-2024"),
        ("2026", "bao-cao-nam-2026"),
        ("so-ket-2021-2025", "so-ket-2021-2025"),
        ("phan-hoi", "x"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{stem}.pdf").write_bytes(b"%PDF")
    (tmp_path / "2026" / "bao-cao-nam-2026.html").write_text("x")
    html = update_index(tmp_path).read_text(encoding="utf-8")
    order = [
        html.index(t) for t in ("Báo cáo năm 2026", "Báo cáo sơ kết 2021-2025", "Báo cáo năm 2024")
    ]
    assert order == sorted(order)
    assert 'href="2026/bao-cao-nam-2026.html"' in html and "phan-hoi" not in html


def test_rate_never_contradicts_status():
    from hoctap.report.meta import pct, pp_words

    assert pct(69.96, target=70, status="Chưa đạt") == "69,96%"
    assert pct(70.44) == "70,4%" and pct(None) == "—"
    assert pp_words(3.21) == "tăng 3,2 điểm %" and pp_words(-0.5) == "giảm 0,5 điểm %"

"""The annual report end to end, and the document model under it.

End to end: a hand-made processed workspace, a real papermill run of notebook 03, the document
it shows published as real HTML, PDF (WeasyPrint, read back with poppler) and Excel files.
The block model and each renderer are tested on a small hand-made ``Document``: the HTML parsed,
the PDF read with pdftotext, the workbook opened with openpyxl.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from builders.shared import build_once, shared_dir
from hoctap.paths import NOTEBOOKS_DIR, SHIPPED_REFERENCE_DIR, Workspace
from hoctap.report import blocks as B

# One worker runs every test of the annual report: they all wait for the same build.
pytestmark = pytest.mark.xdist_group("annual-report")

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
    _indicator_rows(year - 1, scale=0.95).to_csv(prev / "indicators.csv", index=False, encoding="utf-8-sig")

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
    issues.insert(issues.columns.get_loc("field"), "cell", issues["column"] + issues["row"].astype(str))
    issues["detail"] = ""
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
    vil["report_date"] = pd.Timestamp(year, 12, 1)
    vil.to_parquet(proc / "villages.parquet", index=False)


def make_workspace(root: Path) -> Workspace:
    data = root / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference")
    (data / "raw").mkdir()
    (data / "processed").mkdir()
    ws = Workspace.at(data, root / "reports")
    build_processed(ws)
    return ws


def _build_annual(root: Path) -> dict:
    """Run notebook 03 through papermill and publish the document it shows."""
    import papermill as pm

    from hoctap.report.publish import publish_annual

    ws = make_workspace(root)
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
    files = publish_annual(ws, YEAR, executed)
    t2 = time.perf_counter()
    print(f"notebook {t1 - t0:.1f} s, render {t2 - t1:.1f} s")
    return {
        "data": str(ws.data_dir),
        "reports": str(ws.reports_dir),
        "executed": str(executed),
        "files": {k: str(v) for k, v in files.items()},
    }


@pytest.fixture(scope="module")
def built(request, tmp_path_factory):
    """The annual report of the hand-made workspace, built once per session (shared by xdist
    workers) and read-only."""
    from hoctap.report.notebook import read_document

    info = build_once(shared_dir(request, tmp_path_factory, "annual-report"), _build_annual)
    files = {k: Path(v) for k, v in info["files"].items()}
    executed = Path(info["executed"])
    return {
        "ws": Workspace.at(Path(info["data"]), Path(info["reports"])),
        "executed": executed,
        "files": files,
        "doc": read_document(executed),
        "pdf_text": _pdftotext(files["pdf"]),
        "html": files["html"].read_text(encoding="utf-8"),
    }


def _pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _table(doc, caption_start: str) -> B.Table:
    found = [t for t in doc.tables() if (t.caption or "").replace("\u00a0", " ").startswith(caption_start)]
    assert len(found) == 1, caption_start
    return found[0]


def _vn1(x: float) -> str:
    """One decimal, decimal comma: the test's own formatting, independent of hoctap.fmt."""
    return f"{x:.1f}".replace(".", ",")


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
        # dated 10/12/2026: the body valid then (settings.toml [[issuers]]), not the former district's
        "Gia Lai, ngày 10 tháng 12 năm 2026",
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "Nơi nhận:",
        "Lưu: VT, GDTX.",
        "Nguyễn Văn Hòa",
        "I. ĐẶC ĐIỂM TÌNH HÌNH",
        "III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
        "VI. KIẾN NGHỊ, ĐỀ XUẤT",
        "DỰ THẢO",
        "PHỤ LỤC",
    ):
        assert phrase in text, phrase
    # Figures of the indicator table, Vietnamese format; undefined rates print as a dash.
    for figure in ("8.123", "11.540", "70,4%", "10.234", "23.456", "43,6%", "99,9%", "79,97%", "—"):
        assert figure in text, figure
    for name in COMMUNES.values():
        assert name in text, name
    assert XSS in text  # shown as text in the appendix
    for english in ("family_title_rate", "NaN", "None", "True", "accepted", "Traceback"):
        assert english not in text, english
    # a document, not a data dump: no hash, file name, cell reference, path, software name
    for leftover in ("SHA-256", ".xlsx", "DonVi!", "/tmp/", "hoctap", "Python", "UBND HUYỆN", "toàn huyện"):
        assert leftover not in text, leftover


@pytest.mark.slow
def test_rate_next_to_its_target_is_not_rounded_onto_it(built):
    # Uar's family rate is 2399/3000 = 79.966...% against a target of 80: one decimal would print
    # "80,0%" next to "Chậm tiến độ". The commune table and the appendix print 79,97%.
    table = _table(built["doc"], "Bảng 2.")
    uar = [r for r in table.rows if r[1].text == "Uar"]
    assert len(uar) == 1 and uar[0][2].text == "79,97%" and uar[0][2].italic
    assert "80,0%" not in built["pdf_text"]
    rows = [line for line in built["pdf_text"].splitlines() if re.match(r"\s*\d+\s+Uar\s", line)]
    assert rows and "79,97%" in rows[0], rows


@pytest.mark.slow
def test_comparison_with_previous_year(built):
    ws = built["ws"]
    now = pd.read_csv(ws.processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    before = pd.read_csv(ws.processed(YEAR - 1) / "indicators.csv", encoding="utf-8-sig")
    now, before = (df[df["geo_level"] == "area"].set_index("indicator") for df in (now, before))
    deltas = (now["rate_pct"] - before["rate_pct"].reindex(now.index)).dropna()
    up, down = deltas[deltas.round(1) > 0], deltas[deltas.round(1) < 0]
    text = " ".join(built["pdf_text"].split())
    words = {1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy", 8: "tám", 9: "chín"}
    assert f"So với năm {YEAR - 1}, {words[len(up)]} chỉ tiêu tăng" in text
    assert f"(+{_vn1(up.max())} điểm phần trăm)" in text
    if len(down):
        assert f"{words[len(down)]} chỉ tiêu giảm" in text and f"(−{_vn1(abs(down.min()))} điểm phần trăm)" in text
    assert "0 chỉ tiêu giảm" not in text and "không chỉ tiêu giảm" not in text


@pytest.mark.slow
def test_best_and_weakest_communes_from_the_one_ranking(built):
    from hoctap.analysis.ranking import commune_ranking

    ind = pd.read_csv(built["ws"].processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    rank = commune_ranking(ind)
    assert list(rank["rank"]) == [1, 2, 3, 4]
    best, worst = rank.iloc[0], rank.iloc[-1]
    # Independent of the ranking code: share of judged indicators met or on track, then the mean
    # margin over what had to be reached (the line before the target year, the target in it).
    com = ind[(ind["geo_level"] == "commune") & ind["status"].notna() & ind["rate_pct"].notna()].copy()
    line = com["trajectory_pct"] if "trajectory_pct" in com else pd.Series(float("nan"), index=com.index)
    com["margin"] = com["rate_pct"] - line.where(line.notna(), com["target_pct"])
    com["good"] = com["status"].isin(["Đạt", "Đúng tiến độ"])
    g = com.groupby("geo_name").agg(share=("good", "mean"), margin=("margin", "mean"))
    order = g.sort_values(["share", "margin"], ascending=False).index
    assert best["geo_name"] == order[0] and worst["geo_name"] == order[-1]
    text = " ".join(built["pdf_text"].split())
    assert (
        f"Đơn vị có kết quả tốt nhất năm {YEAR} là {best['geo_name']} ({int(best['n_good'])}/{int(best['n'])}" in text
    )
    assert f"Đơn vị cần tập trung hỗ trợ là {worst['geo_name']} ({int(worst['n_good'])}/{int(worst['n'])}" in text


@pytest.mark.slow
def test_pdf_pages_are_a4(built):
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(built["files"]["pdf"])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = [line.split(":", 1)[1] for line in info.splitlines() if line.startswith("Page") and "size" in line]
    assert sizes and all("595.276 x 841.89" in s or "595 x 842" in s for s in sizes), sizes
    page2 = _pdftotext(built["files"]["pdf"], "-f", "2", "-l", "2")
    assert page2.strip().splitlines()[0].strip() == "2"  # page number at the top of page 2


@pytest.mark.slow
def test_html_is_clean_and_escaped(built):
    html = built["html"]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html  # no scripts at all: self-contained, uploadable
    for leftover in ("In&nbsp;[", "In [", "Out[", "import ", "display(", "Traceback"):
        assert leftover not in html, leftover
    assert html.count('src="data:image/png;base64,') == 2  # both charts embedded
    assert "http://" not in html.replace("http://x.invalid", "")  # nothing fetched from outside


@pytest.mark.slow
def test_published_document_is_the_one_the_notebook_showed(built):
    from hoctap.report import html
    from hoctap.report.notebook import MIME

    nb = nbformat.read(built["executed"], as_version=4)
    shown = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if MIME in o.get("data", {})]
    assert len(shown) == 1
    assert shown[0]["data"]["text/html"] in built["html"]  # what the analyst saw is published
    assert built["html"] == html.render(built["doc"])
    title = f"Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm {YEAR}"
    assert built["doc"].title == title
    names = [s.name for s in built["doc"].sections]
    assert names[0] == "header" and names[-1] == "appendix-schools" and "closing" in names
    assert "provenance" not in names  # in the technical annex, beside the document
    annex = _pdftotext(built["files"]["annex_pdf"])
    assert "PHỤ LỤC KỸ THUẬT" in annex and "SHA-256" in annex and "Phần mềm" in annex


@pytest.mark.slow
def test_excel_matches_indicators(built):
    ws = built["ws"]
    ind = pd.read_csv(ws.processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    wb = load_workbook(built["files"]["xlsx"])
    assert wb.sheetnames == [
        "Chỉ tiêu toàn địa bàn",
        "Chỉ tiêu theo xã",
        "Trường báo cáo",
        "Vấn đề số liệu",
        "Nguồn số liệu",
    ]
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
        assert (rate is None and pd.isna(r.rate_pct)) or rate == pytest.approx(r.rate_pct, rel=1e-12)
    assert sheet["B4"].number_format == "#,##0"
    com = wb["Chỉ tiêu theo xã"]
    assert sum(1 for _ in com.iter_rows(min_row=4)) == int((ind["geo_level"] == "commune").sum())
    uar = [r for r in com.iter_rows(min_row=4) if r[0].value == "Uar" and r[2].value == 2399]
    assert uar and uar[0][4].number_format == "0.00"  # 79,97 does not display as 80,0
    sources = {r[0]: r[1] for r in wb["Nguồn số liệu"].iter_rows(min_row=4, values_only=True)}
    from hoctap import __version__

    assert __version__ in sources["Phần mềm"]
    assert sources["KP006/ban-nhap.xlsx"] == "không tiếp nhận"


@pytest.mark.slow
def test_excel_formula_looking_text_is_text(built):
    wb = load_workbook(built["files"]["xlsx"])
    sheet = wb["Trường báo cáo"]
    cells = [row[1] for row in sheet.iter_rows(min_row=4) if row[1].value == FORMULA]
    assert cells and cells[0].data_type == "s" and cells[0].quotePrefix
    assert any(row[1].value == XSS for row in sheet.iter_rows(min_row=4))


def test_notebook_committed_clean_and_thin():
    nb = nbformat.read(NOTEBOOKS_DIR / "03-annual-report.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "year =" in tagged[0].source
    for cell in code:
        assert "def " not in cell.source and "class " not in cell.source, "logic is in the library"
    assert "show(document)" in code[-1].source


def test_error_cell_is_not_published(workspace):
    from hoctap.report.notebook import NotebookError
    from hoctap.report.publish import publish_annual

    build_processed(workspace)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback"])
    ]
    nb.cells = [cell]
    path = workspace.reports_year(YEAR) / "x.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    with pytest.raises(NotebookError, match="ô 0 của notebook có lỗi"):
        publish_annual(workspace, YEAR, path)
    assert not (workspace.reports_year(YEAR) / f"bao-cao-nam-{YEAR}.html").exists()


def test_header_and_closing_come_from_settings_and_are_escaped(workspace):
    from hoctap.report import annual, common, html

    build_processed(workspace)
    d = annual.load(workspace, YEAR)
    d.settings = {
        "issuer": {"parent": "UBND <b>X</b>", "name": "PHÒNG", "place": "A&B", "number": "Số: 1"},
        "signer": {"lines": ["TRƯỞNG PHÒNG"], "name": "<i>Tên</i>"},
        "distribution": {"lines": ["<script>"], "archive": "Lưu: VT."},
        "plan": {"programme": "Tóm tắt <x>"},
    }
    d.issue_date = dt.date(2026, 12, 10)
    head, closing = common.header(d), common.closing(d)
    block = head.blocks[0]
    assert block.parent == ["UBND <b>X</b>"]
    assert block.place_date == "A&B, ngày 10 tháng 12 năm 2026"
    assert block.summary == "Kết quả thực hiện Chương trình “Tóm tắt <x>” năm 2026"
    assert closing.blocks[0].recipients == ["- <script>;", "- Lưu: VT."]
    page = html.section_html(head) + html.section_html(closing)
    for raw in ("<b>X", "<script", "<i>Tên", "<x>"):
        assert raw not in page, raw
    assert "A&amp;B, ngày 10 tháng 12 năm 2026" in page


def test_index_lists_reports_newest_first(tmp_path):
    from hoctap.report.index import update_index

    for folder, stem in (
        ("2024", "bao-cao-nam-2024"),
        ("2026", "bao-cao-nam-2026"),
        ("so-ket-2021-2025", "so-ket-2021-2025"),
        ("phan-hoi", "x"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{stem}.pdf").write_bytes(b"%PDF")
    (tmp_path / "2026" / "bao-cao-nam-2026.html").write_text("x")
    from hoctap.paths import Workspace

    html = update_index(Workspace(tmp_path / "data", tmp_path)).read_text(encoding="utf-8")
    order = [html.index(t) for t in ("Báo cáo năm 2026", "Báo cáo sơ kết 2021-2025", "Báo cáo năm 2024")]
    assert order == sorted(order)
    assert 'href="2026/bao-cao-nam-2026.html"' in html and "phan-hoi" not in html


def test_rate_never_contradicts_status():
    from hoctap.report.meta import pct, pp_words

    assert pct(69.96, target=70, status="Chưa đạt") == "69,96%"
    assert pct(70.44) == "70,4%" and pct(None) == "—"
    assert pp_words(3.21) == "tăng 3,2 điểm %" and pp_words(-0.5) == "giảm 0,5 điểm %"


# ---- the document model and its renderers, on a small hand-made document ----------------------


def _png() -> bytes:
    """A real chart image (matplotlib), so the HTML and PDF embed what a report embeds."""
    import matplotlib.pyplot as plt

    from hoctap.report import charts

    fig, ax = plt.subplots(figsize=(3, 1.5))
    ax.bar([0, 1], [40, 70])
    image, mime, _width = charts.to_image(fig)
    assert mime == "image/png" and image[:8] == b"\x89PNG\r\n\x1a\n"
    return image


@pytest.fixture(scope="module")
def small():
    """Every kind of block once: header, headings, paragraph roles, list, tables, figure..."""
    import numpy as np

    frame = pd.DataFrame(
        {
            "name": ["Xã Ia Rsươm", XSS, "Đất Bằng"],
            "n": [np.int64(12345), np.int64(7), None],
            "rate": [69.96, 100.0, None],
            "status": ["Chưa đạt", "Đạt", None],
        }
    )
    from hoctap.report.meta import number, pct

    table = B.frame_table(
        frame,
        [("name", "Đơn vị"), ("n", "Số đạt"), ("rate", "Tỷ lệ"), ("status", "Đánh giá")],
        formats={"n": number, "rate": lambda x: pct(x, target=70)},
        numeric=("n", "rate"),
        cell_style={"status": lambda r: {"italic": r["status"] == "Chưa đạt"}},
        caption="Bảng 1. Kết quả thử",
        note='"—": không có số liệu.',
        keep_together=True,
    )
    sheet = B.Table(
        [
            B.Column("Tên", width=30),
            B.Column("Số", width=10, number_format="#,##0"),
            B.Column("Tỷ lệ (%)", width=10, number_format="0.0"),
            B.Column("Ngày", width=12, number_format="dd/mm/yyyy"),
        ],
        [
            [
                B.datum(FORMULA),
                B.datum(np.int64(12345)),
                B.datum(79.966, "0.00"),
                B.datum(pd.Timestamp("2026-12-01")),
            ],
            [B.datum("Ơi Hới"), B.datum(None), B.datum(float("nan")), B.datum(None)],
        ],
        caption="Bảng số liệu thử",
        name="Số liệu",
    )
    doc = B.Document(
        "Báo cáo thử",
        [
            B.Section(
                [
                    B.DocumentHeader(
                        ["UBND XÃ IA RSƯƠM"],
                        "HỘI KHUYẾN HỌC",
                        "Số:   /BC-HKH",
                        "Ia Rsươm, ngày 05 tháng 01 năm 2027",
                        "BÁO CÁO",
                        "Kết quả học tập suốt đời năm 2026",
                    )
                ],
                "header",
            ),
            B.Section(
                [
                    B.Heading("I. TÌNH HÌNH NỘP BÁO CÁO"),
                    B.Heading("1. Kết quả toàn xã", 2),
                    B.Paragraph("Đoạn văn thân bài có dấu: Người lao động đạt danh hiệu."),
                    B.Paragraph("Phần này do chuyên viên viết.", "placeholder"),
                    B.DashList(["mục một;", "mục hai."]),
                    table,
                    B.Figure(_png(), caption="Biểu đồ 1. Thử nghiệm", alt="biểu đồ", width=0.5),
                ],
                "body",
            ),
            B.Section([B.Closing(["- UBND xã (b/c);", "- Lưu: VT."], ["CHỦ TỊCH"], "Y Thử")], "closing"),
            B.Section(
                [
                    B.Heading("PHỤ LỤC", role="appendix-title", page_break_before=True),
                    B.Paragraph("(Kèm theo báo cáo thử)", "appendix-sub"),
                    sheet,
                ],
                "appendix",
            ),
        ],
    )
    return doc


def test_blocks_round_trip_through_json(small):
    data = json.loads(json.dumps(B.to_data(small)))  # JSON-ready: no numpy, bytes, NaN, dates
    back = B.from_data(data)
    assert back == small
    fig = next(b for b in back.blocks() if isinstance(b, B.Figure))
    assert fig.image[:4] == b"\x89PNG"
    sheet = back.tables()[1]
    assert sheet.rows[0][3].value == dt.datetime(2026, 12, 1) and sheet.rows[0][1].value == 12345
    assert type(sheet.rows[0][1].value) is int


def test_frame_table_formats_aligns_and_numbers_rows(small):
    t = small.tables()[0]
    assert [c.header for c in t.columns] == ["TT", "Đơn vị", "Số đạt", "Tỷ lệ", "Đánh giá"]
    assert [c.align for c in t.columns] == ["center", "left", "right", "right", "left"]
    assert [[c.text for c in r] for r in t.rows] == [
        ["1", "Xã Ia Rsươm", "12.345", "69,96%", "Chưa đạt"],
        ["2", XSS, "7", "100,0%", "Đạt"],
        ["3", "Đất Bằng", "—", "—", "—"],
    ]
    assert [r[4].italic for r in t.rows] == [True, False, False]
    from hoctap.report.html import table_html

    empty = B.frame_table(pd.DataFrame(columns=["a"]), {"a": "Tên"})
    assert empty.rows == [] and 'colspan="2">Không có</td>' in table_html(empty)
    text = small.text()
    assert "Bảng 1. Kết quả thử" in text and "- mục hai." in text and "Nơi nhận:" in text


def test_html_renderer(small):
    from bs4 import BeautifulSoup

    from hoctap.report import html

    page = html.render(small)
    soup = BeautifulSoup(page, "html.parser")
    assert soup.html["lang"] == "vi" and soup.title.text == "Báo cáo thử"
    assert soup.find("style").text.strip().startswith("/*")  # stylesheet embedded
    assert [h.text for h in soup.find_all("h2")] == ["I. TÌNH HÌNH NỘP BÁO CÁO", "PHỤ LỤC"]
    assert soup.find("h3").text == "1. Kết quả toàn xã"
    assert soup.find("h2", class_="appendix-title")["class"] == ["appendix-title", "new-page"]
    assert soup.find("p", class_="placeholder").text == "Phần này do chuyên viên viết."
    assert [p.text for p in soup.find_all("p", class_="dash")] == ["- mục một;", "- mục hai."]
    assert soup.find("td", class_="place-date").text == "Ia Rsươm, ngày 05 tháng 01 năm 2027"
    recipients = [d.text for d in soup.select(".recipients-list div")]
    assert recipients == ["- UBND xã (b/c);", "- Lưu: VT."]
    tables = soup.find_all("table", class_="data")
    scroll = tables[0].parent
    assert scroll.name == "div" and scroll["class"] == ["table-scroll"]
    assert scroll.parent["class"] == ["keep"]
    assert [th.text for th in tables[0].find_all("th")] == [
        "TT",
        "Đơn vị",
        "Số đạt",
        "Tỷ lệ",
        "Đánh giá",
    ]
    first = tables[0].find("tbody").find("tr").find_all("td")
    assert [c.get("class") for c in first] == [["c", "nowrap"], None, ["num"], ["num"], ["behind"]]
    assert scroll.find_previous_sibling("p")["class"] == ["table-caption"]
    assert soup.find(string=XSS) is not None and soup.find("script") is None  # escaped, not run
    img = soup.find("figure", class_="chart").find("img")
    mime, data = img["src"].split(",", 1)
    fig = next(b for b in small.blocks() if isinstance(b, B.Figure))
    assert mime == "data:image/png;base64" and base64.b64decode(data) == fig.image
    assert img["alt"] == "biểu đồ" and img["style"] == "width:50%"
    assert len(soup.select("main.document > div.section")) == 4


@pytest.mark.slow
def test_pdf_renderer(small, tmp_path):
    from hoctap.report.pdf import write_pdf

    path = write_pdf(small, tmp_path / "x.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+2\b", info), info  # the appendix starts a new page
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", info), info
    page1, page2 = (_pdftotext(path, "-f", str(n), "-l", str(n)) for n in (1, 2))
    flat1 = " ".join(page1.split())
    for phrase in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "UBND XÃ IA RSƯƠM",
        "Ia Rsươm, ngày 05 tháng 01 năm 2027",
        "Người lao động đạt danh hiệu",
        "Bảng 1. Kết quả thử",
        "Biểu đồ 1. Thử nghiệm",
        "Nơi nhận:",
        "Y Thử",
        "- mục hai.",
    ):
        assert phrase in flat1, phrase
    assert re.search(r"1\s+Xã Ia Rsươm\s+12\.345\s+69,96%\s+Chưa đạt", page1)
    assert XSS in flat1 and "\ufffd" not in page1 + page2
    assert page2.strip().splitlines()[0].strip() == "2" and "PHỤ LỤC" in page2
    assert "Bảng số liệu thử" in " ".join(page2.split())


def test_excel_renderer(small, tmp_path):
    from hoctap.report.excel import write_xlsx

    wb = load_workbook(write_xlsx(small, tmp_path / "x.xlsx"))
    assert wb.sheetnames == ["Bảng 1", "Số liệu"]  # a table without a name gets a numbered sheet
    ws = wb["Số liệu"]
    assert ws["A1"].value == "Bảng số liệu thử" and ws["A1"].font.b
    assert [c.value for c in ws[3]] == ["Tên", "Số", "Tỷ lệ (%)", "Ngày"]
    assert ws.freeze_panes == "A4" and ws.column_dimensions["A"].width == 30
    a4, b4, c4, d4 = ws["A4"], ws["B4"], ws["C4"], ws["D4"]
    assert a4.value == FORMULA and a4.data_type == "s" and a4.quotePrefix
    assert b4.value == 12345 and b4.number_format == "#,##0"
    assert c4.value == pytest.approx(79.966) and c4.number_format == "0.00"  # the cell's own
    assert d4.value == dt.datetime(2026, 12, 1) and d4.number_format == "dd/mm/yyyy"
    assert [c.value for c in ws[5]] == ["Ơi Hới", None, None, None]  # missing stays empty
    first = wb["Bảng 1"]
    assert [c.value for c in first[4]] == ["1", "Xã Ia Rsươm", "12.345", "69,96%", "Chưa đạt"]


def test_read_document_from_notebook(small, tmp_path):
    from hoctap.report.notebook import MIME, NotebookError, read_document

    def notebook(*docs):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell("show(document)")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": "<p>x</p>", MIME: B.to_data(d)}) for d in docs
        ]
        nb.cells = [cell]
        path = tmp_path / f"nb{len(docs)}.ipynb"
        nbformat.write(nb, path)
        return path

    assert read_document(notebook(small)) == small
    with pytest.raises(NotebookError, match="không có nội dung"):
        read_document(notebook())
    with pytest.raises(NotebookError, match="chỉ được có một"):
        read_document(notebook(small, small))


# ---- one ranking, one vocabulary, one report layer ----------------------------------------------


def test_commune_ranking():
    from hoctap.analysis.ranking import commune_ranking, tally

    rows = pd.DataFrame(
        [
            # geo_level, code, name, rate, target, line (trajectory), status
            ("area", "AREA", "", 90.0, 80.0, None, "Đạt"),
            ("commune", "B", "Bờ", 70.0, 80.0, None, "Chưa đạt"),  # B: 1/2 good, margin (-10 + 10)/2 = 0
            ("commune", "B", "Bờ", 90.0, 80.0, None, "Đạt"),
            ("commune", "A", "Ân", 60.0, 90.0, 55.0, "Đúng tiến độ"),  # A: 1/1, judged on its line: +5
            ("commune", "C", "Cư", 60.0, 70.0, None, "Chưa đạt"),  # C: 0/1, -10; the unjudged row
            ("commune", "C", "Cư", 99.0, None, None, None),  # does not count
            ("commune", "D", "Dơ", 75.0, 70.0, None, "Đạt"),  # D: 1/1, +5: tied with A, after it by name
            ("commune", "E", "Ê", 50.0, 70.0, 60.0, "Chậm tiến độ"),  # E: 0/1, -10, after C by name
        ],
        columns=["geo_level", "geo_code", "geo_name", "rate_pct", "target_pct", "trajectory_pct", "status"],
    )
    rank = commune_ranking(rows)
    assert list(rank["geo_code"]) == ["A", "D", "B", "C", "E"] and list(rank["rank"]) == [1, 2, 3, 4, 5]
    assert list(rank["n"]) == [1, 1, 2, 1, 1] and list(rank["n_good"]) == [1, 1, 1, 0, 0]
    assert list(rank["margin"]) == [5.0, 5.0, 0.0, -10.0, -10.0]
    assert commune_ranking(rows[rows["geo_level"] == "area"]).empty
    t = tally(rows)
    assert (t.judged, t.met, t.good, t.bad, t.unjudged) == (1, 1, 1, 0, 0)


def test_one_vocabulary_for_views_feedback_and_documents():
    from hoctap import vocabulary
    from hoctap.cleaning import feedback
    from hoctap.cleaning import views as clean

    assert feedback.STATUS_VI is vocabulary.INTAKE_WORDS_FOR_SCHOOLS
    assert feedback.SEVERITY_VI is vocabulary.SEVERITY_WORDS_FOR_SCHOOLS
    intake = pd.DataFrame({"status": ["accepted", "rejected", "accepted", "ignored"]})
    view = clean.intake_view(intake)
    words = vocabulary.INTAKE_WORDS_FOR_SCHOOLS
    assert list(view["Tình trạng"]) == [words["accepted"], words["rejected"], words["ignored"]]
    issues = pd.DataFrame({"severity": ["warning", "error"], "code": ["W", "E"], "path": ["a", "b"]})
    severity = vocabulary.SEVERITY_WORDS_FOR_SCHOOLS
    assert list(clean.issues_view(issues)["Mức độ"]) == [severity["error"], severity["warning"]]
    assert vocabulary.GOOD | vocabulary.BEHIND == set(vocabulary.STATUSES)
    from hoctap.analysis import indicators

    assert indicators.status(70.0, 2030, 2030, 70.0, None, None) == vocabulary.STATUS_MET

"""The 5-year and 10-year reviews end to end on the demo sample (2021-2026).

Real papermill runs of notebooks 01, 02 and 04 through ``pipeline.report_period``, real HTML,
PDF (WeasyPrint, read back with poppler) and Excel files. The demo sample (session fixture)
and the three reviews are built once and shared by every test of this module, also across
pytest-xdist workers (the first worker builds, the others wait for it), to keep the run short.
"""

from __future__ import annotations

import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from builders.shared import build_once, copy_workspace, shared_dir
from hoctap.paths import NOTEBOOKS_DIR, Workspace

YEARS = range(2021, 2027)
# One worker runs every test of the reviews: they all wait for the same build.
pytestmark = pytest.mark.xdist_group("period-reviews")

SO_KET = "so-ket-2021-2025"
TONG_KET = "tong-ket-2021-2030"


def _build(sample: Workspace, root: Path) -> dict:
    """From a copy of the demo sample 2021-2026: the 5-year review, the 10-year review and the
    10-year review on old communes. copytree keeps modification times, so the sample's processed
    tables are not stale and not rebuilt."""
    from hoctap.pipeline import build, period_plan, report_period

    ws = copy_workspace(sample, root)
    data = ws.data_dir
    # The old-geography review in another copy (it writes the same period folder name), built in
    # this process while the other two are built side by side in worker processes, as `hoctap run
    # --all` builds them; report_period then finds those up to date and names their files. The
    # unregistered school that only reported on the new communes counts in the area total only.
    old_ws = copy_workspace(sample, root / "old")  # with reports/: the stamps' products are there
    old_data = old_ws.data_dir
    plan = {s.key: s for s in [*period_plan(ws, "so-ket", 2021, 2025), *period_plan(ws, "tong-ket", 2021, 2030)]}
    t0 = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:
        old_run = pool.submit(report_period, old_ws, "tong-ket", 2021, 2030, old_communes=True)
        result = build(ws, list(plan.values()), jobs=2)
        old = old_run.result()
    assert not result.failed, result.summary()
    times = {"three reviews": time.perf_counter() - t0}
    so_ket = report_period(ws, "so-ket", 2021, 2025)
    tong_ket = report_period(ws, "tong-ket", 2021, 2030)
    return {
        "data": str(data),
        "reports": str(ws.reports_dir),
        "old_data": str(old_data),
        "old_reports": str(root / "old" / "reports"),
        "times": times,
        "so_ket": {k: str(v) for k, v in so_ket.items()},
        "tong_ket": {k: str(v) for k, v in tong_ket.items()},
        "old": {k: str(v) for k, v in old.items()},
    }


@pytest.fixture(scope="module")
def built(request, tmp_path_factory, demo_sample) -> dict:
    """The three reviews, built once per session (shared by xdist workers), read-only."""
    root = shared_dir(request, tmp_path_factory, "period-reviews")
    info = build_once(root, lambda ws_root: _build(demo_sample, ws_root))
    print("build times (s):", {k: round(v, 1) for k, v in info["times"].items()})
    return info


def _pdftext(path, layout: bool = True) -> str:
    """The PDF's text, non-breaking spaces read as spaces."""
    args = ["pdftotext", "-layout", str(path), "-"] if layout else ["pdftotext", str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout.replace("\u00a0", " ")


def _captioned(doc, start: str):
    return next(t for t in doc.tables() if (t.caption or "").replace("\u00a0", " ").startswith(start))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def texts(built) -> dict[str, str]:
    return {key: _pdftext(built[key]["pdf"]) for key in ("so_ket", "tong_ket", "old")}


def _period_table(data_dir: str, stem: str, name: str = "indicators.csv") -> pd.DataFrame:
    return pd.read_csv(Path(data_dir) / "processed" / "periods" / stem / name, encoding="utf-8-sig")


# ---- files -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_review_files_and_index(built):
    reports = Path(built["reports"])
    for stem, key in ((SO_KET, "so_ket"), (TONG_KET, "tong_ket")):
        for ext in ("html", "pdf", "xlsx"):
            path = reports / stem / f"{stem}.{ext}"
            assert path.is_file() and path.stat().st_size > 0, path
            assert built[key][ext] == str(path)
        assert (reports / stem / "04-period-review.ipynb").is_file(), "executed notebook kept next to the report"
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert "Báo cáo sơ kết 2021-2025" in index and "Báo cáo tổng kết 2021-2030" not in index
    assert "Báo cáo kết quả giai đoạn 2021-2030 (tính đến năm 2026)" in index  # a progress report
    assert f"{SO_KET}/{SO_KET}.pdf" in index and f"{TONG_KET}/{TONG_KET}.pdf" in index
    # the published index links the documents, not the school-level tables or the annex
    assert f"{TONG_KET}.xlsx" not in index and "phu-luc-ky-thuat" not in index
    for stem in (SO_KET, TONG_KET):
        assert (reports / stem / f"phu-luc-ky-thuat-{stem}.pdf").is_file()


@pytest.mark.slow
def test_pages_are_a4(built):
    for key in ("so_ket", "tong_ket", "old"):
        info = subprocess.run(
            ["pdfinfo", "-f", "1", "-l", "999", built[key]["pdf"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
        assert sizes, info
        for w, h in sizes:
            assert abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1, (key, w, h)


@pytest.mark.slow
def test_html_is_self_contained_without_code(built):
    html = Path(built["tong_ket"]["html"]).read_text(encoding="utf-8")
    assert '<html lang="vi">' in html and re.search(r'src="data:image/(svg\+xml|png);base64,', html)
    assert 'src="http' not in html and "Traceback" not in html and "period.load" not in html


# ---- document form and titles ----------------------------------------------------------------


@pytest.mark.slow
def test_titles_and_document_form(built, texts):
    so, tong = _flat(texts["so_ket"]), _flat(texts["tong_ket"])
    for text in (so, tong):
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
        assert "BÁO CÁO" in text and "Nơi nhận:" in text and "Lưu: VT, GDTX." in text
        for section in (
            "I. ĐẶC ĐIỂM TÌNH HÌNH",
            "II. CÔNG TÁC CHỈ ĐẠO, TUYÊN TRUYỀN, TRIỂN KHAI",
            "III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
            "4. Chất lượng số liệu",
            "IV. ĐÁNH GIÁ CHUNG",
            "3. Bài học kinh nghiệm",
            "V. PHƯƠNG HƯỚNG, NHIỆM VỤ",
            "VI. KIẾN NGHỊ, ĐỀ XUẤT",
            "PHỤ LỤC",
        ):
            assert section in text, section
        for leftover in ("SHA-256", ".xlsx", "hoctap", "Python", "UBND HUYỆN", "toàn huyện", "UBND huyện"):
            assert leftover not in text, leftover
    assert "Sơ kết 5 năm thực hiện Chương trình" in so and "giai đoạn 2021-2025" in so
    assert "tính đến năm" not in so, "the 5-year review has every year of its period"
    # Before its final year the 10-year document is a progress report, not a "tổng kết".
    assert "Tổng kết 10 năm" not in tong and "giai đoạn 2021-2030 (tính đến năm 2026)" in tong
    assert "Kết quả thực hiện Chương trình" in tong
    assert "mục II.5.b" in so and "mục II.5.b" not in tong
    annex = _flat(_pdftext(Path(built["reports"]) / TONG_KET / f"phu-luc-ky-thuat-{TONG_KET}.pdf"))
    assert "PHỤ LỤC KỸ THUẬT" in annex and "Mã băm SHA-256" in annex and "Nguồn số liệu" in annex


@pytest.mark.slow
def test_vietnamese_text_survives_in_the_pdf(texts):
    text = texts["so_ket"]
    for word in (
        "Chương trình",
        "Gia đình học tập",
        "Dòng họ học tập",
        "điểm %",
        "Đề xuất",
        "Kết quả",
    ):
        assert word in text, word
    assert "\ufffd" not in text and "□" not in text


# ---- figures agree with the period tables ------------------------------------------------------


def _series_rows(area: pd.DataFrame, fmt_pct) -> dict[str, list[str]]:
    rows = {}
    for code, g in area.groupby("indicator"):
        g = g.sort_values("year")
        rows[code] = [fmt_pct(r.rate_pct, target=r.target_pct, status=r.status) for r in g.itertuples()]
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("key,stem", [("so_ket", SO_KET), ("tong_ket", TONG_KET)])
def test_series_in_pdf_match_period_tables(built, texts, key, stem):
    from hoctap.report.meta import pct

    ind = _period_table(built["data"], stem)
    area = ind[ind["geo_level"] == "area"]
    years = sorted(area["year"].unique())
    assert years == (list(range(2021, 2026)) if key == "so_ket" else list(range(2021, 2027)))
    text = texts[key]
    checked = 0
    for code, values in _series_rows(area, pct).items():
        # The series table prints one row per indicator with every year in order.
        pattern = r"\s+".join(re.escape(v) for v in values)
        assert re.search(pattern, text), f"{code}: series {values} not found in a row of the PDF"
        checked += 1
    assert checked >= 8


@pytest.mark.slow
def test_change_and_result_match_summary(built, texts):
    from hoctap.report.meta import decimal

    ind = _period_table(built["data"], SO_KET)
    area = ind[ind["geo_level"] == "area"].dropna(subset=["rate_pct"])
    text = _flat(texts["so_ket"])
    changes = {}
    for code, g in area.groupby("indicator"):
        g = g.sort_values("year")
        changes[code] = float(g["rate_pct"].iloc[-1]) - float(g["rate_pct"].iloc[0])
    for change in changes.values():  # the "Thay đổi" column of Bảng 2
        assert f"{'+' if change > 0 else '-'}{decimal(abs(change), 1)}" in text, change
    rising = sum(round(c, 1) > 0 for c in changes.values())
    words = {8: "tám", 9: "chín", 10: "mười", 7: "bảy", 6: "sáu", 5: "năm"}
    assert f"So với năm 2021, {words[rising]} chỉ tiêu tăng" in text
    assert f"+{decimal(max(changes.values()), 1)} điểm phần trăm" in text


@pytest.mark.slow
def test_result_statuses_match_summary(built, texts):
    """Bảng 2 of the 5-year review gives each indicator the status summary.csv holds for it, which
    is the last year's own status (the annual report's)."""
    from hoctap.report.meta import indicator_meta
    from hoctap.report.notebook import read_document

    summary = _period_table(built["data"], SO_KET, "summary.csv")
    area = summary[summary["geo_level"] == "area"].set_index("indicator")["result_status"]
    meta = indicator_meta()
    statuses = {meta[code].label: ("—" if pd.isna(s) else s) for code, s in area.items()}
    assert set(statuses.values()) >= {"Đạt", "Chưa đạt", "Đúng tiến độ"}, "the demo has these outcomes"
    doc = read_document(Path(built["reports"]) / SO_KET / "04-period-review.ipynb")
    table = _captioned(doc, "Bảng 2.")
    status_col = [c.header for c in table.columns].index("Đánh giá")
    shown = {row[1].text.replace('"', "").replace("“", "").replace("”", ""): row[status_col].text for row in table.rows}
    assert shown == {k.replace('"', ""): v for k, v in statuses.items()}
    region = texts["so_ket"].split("Bảng 2. Kết quả giai đoạn", 1)[1].split("Bảng 3.", 1)[0]
    words = region.split()
    assert words.count("Chưa") == list(statuses.values()).count("Chưa đạt")
    good = sum(s in ("Đạt", "Đúng tiến độ") for s in statuses.values())
    judged = sum(s != "—" for s in statuses.values())
    sentence = f"Năm 2025, trong {judged} chỉ tiêu được đánh giá có {good} chỉ tiêu đạt hoặc đúng tiến độ"
    assert sentence in _flat(texts["so_ket"])


@pytest.mark.slow
def test_ten_year_review_to_date_shows_projection(texts):
    text = _flat(texts["tong_ket"])
    assert "Giai đoạn 2021-2030 chưa kết thúc" in text and "chưa có số liệu các năm 2027-2030" in text
    assert "Dự báo năm 2030" in text, "projection column in the result table"
    assert text.count("dự báo") >= 2, "projections are labelled as such"
    assert text.count("đây là dự báo") <= 1, "said once, not after every indicator"
    assert "không phải kết quả" in text
    assert "Đề xuất khen thưởng" not in text and "Bảng 8." not in text, "no proposals in a progress report"


# ---- geography ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_new_geography_named_and_used(built, texts):
    text = _flat(texts["tong_ket"])
    assert "Số liệu các năm được quy đổi theo địa giới 4 xã sau sắp xếp (hiệu lực từ ngày 01 tháng 7 năm 2025)" in text
    ind = _period_table(built["data"], TONG_KET)
    communes = {re.sub(r"^(xã|thị trấn) ", "", n) for n in ind.loc[ind["geo_level"] == "commune", "geo_name"]}
    assert communes == {"Phú Túc", "Ia Dreh", "Ia Rsai", "Uar"}
    assert "Bảng 4. Xếp hạng các đơn vị năm 2026" in text


@pytest.mark.slow
def test_old_communes_option(built, texts):
    text = _flat(texts["old"])
    assert "14 xã, thị trấn trước sắp xếp" in text
    for name in ("Chư Drăng", "Ia Rsươm", "Krông Năng", "Đất Bằng"):
        assert name in text, name
    ind = _period_table(built["old_data"], TONG_KET)
    assert set(ind["geography_date"].astype(str).str[:10]) == {"2025-06-30"}
    # The unregistered school that reported only on the new communes counts in the area total
    # only, and the review says so instead of dropping it or refusing to build.
    notes = (Path(built["old_data"]) / "processed" / "periods" / TONG_KET / "notes.txt").read_text(encoding="utf-8")
    assert "Hoa Sữa" in notes
    assert "chỉ được tính vào số liệu chung toàn địa bàn" in text
    annex = _flat(_pdftext(Path(built["old_reports"]) / TONG_KET / f"phu-luc-ky-thuat-{TONG_KET}.pdf"))
    assert "Hoa Sữa" in annex
    area = ind[(ind["geo_level"] == "area") & (ind["indicator"] == "school_unit_title_rate")].set_index("year")
    communes = ind[(ind["geo_level"] == "commune") & (ind["indicator"] == "school_unit_title_rate")].groupby("year")
    assert area.loc[2026, "denominator"] == communes["denominator"].sum().loc[2026] + 1


# ---- proposals, coverage -----------------------------------------------------------------------


@pytest.mark.slow
def test_candidates_proposed_with_reasons(built):
    """Bảng 7-8 list candidates.csv in rank order with its reasons; the PDF shows each of them."""
    from hoctap.report.notebook import read_document

    text = _flat(_pdftext(built["so_ket"]["pdf"], layout=False))  # reading order
    assert "Đề xuất khen thưởng tập thể tiêu biểu" in text and "Lý do đề xuất" in text
    cand = _period_table(built["data"], SO_KET, "candidates.csv")
    assert set(cand["candidate_kind"]) <= {"commune", "school"}
    schools = cand[cand["candidate_kind"] == "school"].sort_values("rank")
    assert len(schools) >= 5, "the demo has schools with the title every year"
    doc = read_document(Path(built["reports"]) / SO_KET / "04-period-review.ipynb")
    table = _captioned(doc, "Bảng 8.")
    curly = str.maketrans({"“": '"', "”": '"'})  # the document prints Vietnamese quotes
    assert [[c.text.translate(curly) for c in row[1:]] for row in table.rows] == [
        [r.name, r.commune_name, r.reason] for r in schools.itertuples()
    ]
    communes = _captioned(doc, "Bảng 7.")
    assert len(communes.rows) == int((cand["candidate_kind"] == "commune").sum())
    # The PDF's reading order interleaves wrapped cells (the row number inside a long name, the
    # commune inside a reason, a row's reason after the next row's): each name, allowing its row
    # number between its words, and the figures that end its reason ("73,2% (30/41 người).").
    for k, r in enumerate(schools.itertuples(), 1):
        name = rf"\s+(?:{k}\s+)?".join(re.escape(w) for w in r.name.split())
        assert re.search(name, text), r.name
        tail = re.split(r"[:;] ", r.reason)[-1]
        assert tail.replace('"', "") in text.replace("“", "").replace("”", ""), (r.name, tail)


@pytest.mark.slow
def test_coverage_over_the_years(built, texts):
    """Bảng 1 row by row against each year's completeness.csv, counted here independently."""
    text = texts["tong_ket"]
    table = text.split("Bảng 1. Tình hình nộp báo cáo của các trường qua các năm", 1)[1]
    table = table.split("Bảng 2.", 1)[0]
    for year in range(2021, 2027):
        comp = pd.read_csv(Path(built["data"]) / "processed" / str(year) / "completeness.csv", encoding="utf-8-sig")
        yes = {c: comp[c].astype(str).str.lower().eq("true") for c in ("expected", "submitted", "on_time")}
        exp = yes["expected"]
        n_exp, n_sub = int(exp.sum()), int((exp & yes["submitted"]).sum())
        n_on = int((exp & yes["submitted"] & yes["on_time"]).sum())
        row = rf"^\s*{year}\s+{n_exp}\s+{n_sub}\s+{n_on}\s+{n_sub - n_on}\s+{n_exp - n_sub}\s"
        assert re.search(row, table, re.M), (year, n_exp, n_sub, n_on)


@pytest.mark.slow
def test_ranking_is_the_one_ranking(built, texts):
    """Bảng 4 ranks the communes of the last year as its annual report does, checked by hand on
    the period's indicators: share met or on track, then mean margin over what had to be reached."""
    from hoctap.report.notebook import read_document

    ind = _period_table(built["data"], TONG_KET)
    com = ind[(ind["geo_level"] == "commune") & (ind["year"] == 2026)]
    com = com[com["status"].notna() & com["rate_pct"].notna()]
    level = com["trajectory_pct"].where(com["trajectory_pct"].notna(), com["target_pct"])
    com = com.assign(margin=com["rate_pct"] - level, good=com["status"].isin(["Đạt", "Đúng tiến độ"]))
    by = com.groupby("geo_name").agg(margin=("margin", "mean"), good=("good", "sum"), n=("good", "size"))
    order = sorted(by.index, key=lambda n: (-by.loc[n, "good"] / by.loc[n, "n"], -by.loc[n, "margin"], n))
    expected = [
        [
            str(k),
            name,
            f"{int(by.loc[name, 'good'])}/{int(by.loc[name, 'n'])}",
            f"{by.loc[name, 'margin']:+.1f}".replace(".", ",").replace("+0,0", "0,0"),
        ]
        for k, name in enumerate(order, 1)
    ]
    doc = read_document(Path(built["reports"]) / TONG_KET / "04-period-review.ipynb")
    table = _captioned(doc, "Bảng 4.")
    assert [[c.text for c in row] for row in table.rows] == expected
    flat = _flat(texts["tong_ket"])
    assert f"Đơn vị có kết quả tốt nhất năm 2026 là {order[0]} (" in flat
    assert f"Đơn vị cần tập trung hỗ trợ là {order[-1]} (" in flat


@pytest.mark.slow
def test_notebook_only_reads_the_period_tables(built, tmp_path):
    """Notebook 04 run again on a built workspace leaves processed/periods/ byte for byte as is."""
    import hashlib

    import papermill as pm

    folder = Path(built["data"]) / "processed" / "periods"

    def state():
        return {
            p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(folder.rglob("*"))
            if p.is_file()
        }

    before = state()
    assert len(before) >= 8
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "04-period-review.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={
            "kind": "so-ket",
            "year_from": 2021,
            "year_to": 2025,
            "geography_date": "",
            "data_dir": built["data"],
            "reports_dir": str(tmp_path / "reports"),
        },
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
        progress_bar=False,
    )
    assert state() == before
    assert not (tmp_path / "reports").exists(), "the notebook shows the review, publishes nothing"


# ---- Excel appendix ----------------------------------------------------------------------------


@pytest.mark.slow
def test_excel_appendix(built):
    wb = load_workbook(built["tong_ket"]["xlsx"])
    for name in (
        "Kết quả giai đoạn",
        "Chuỗi toàn địa bàn",
        "Tỷ lệ theo năm",
        "Chuỗi theo xã",
        "Nộp báo cáo",
        "Nguồn số liệu",
    ):
        assert name in wb.sheetnames, name
    assert "Đề xuất tiêu biểu" not in wb.sheetnames, "no proposals in a progress report"
    assert "Đề xuất tiêu biểu" in load_workbook(built["so_ket"]["xlsx"]).sheetnames
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A4", ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        assert ws.cell(row=3, column=1).value and not re.search(r"_[a-z]", str(ws.cell(row=3, column=1).value))
    sheet = wb["Chuỗi theo xã"]
    headers = [c.value for c in sheet[3]]
    assert headers[:3] == ["Đơn vị", "Chỉ tiêu", "Năm"] and "Tỷ lệ (%)" in headers
    col = headers.index("Tỷ lệ (%)") + 1
    rates = [sheet.cell(row=r, column=col) for r in range(4, sheet.max_row + 1)]
    # Numbers stay numbers (openpyxl reads a whole 100.0 back as 100).
    assert any(isinstance(c.value, float) for c in rates)
    assert all(c.value is None or isinstance(c.value, (int, float)) for c in rates)
    ind = _period_table(built["data"], TONG_KET)
    com = ind[ind["geo_level"] == "commune"].dropna(subset=["rate_pct"])
    stored = sorted(round(c.value, 6) for c in rates if c.value is not None)
    assert stored == sorted(round(float(x), 6) for x in com["rate_pct"])


@pytest.mark.slow
def test_excel_sources_sheet(built):
    """The review's provenance sheet: software version and every input file of every year."""
    from hoctap import __version__
    from hoctap.vocabulary import INTAKE_WORDS

    wb = load_workbook(built["so_ket"]["xlsx"])
    rows = list(wb["Nguồn số liệu"].iter_rows(min_row=4, values_only=True))
    facts = {r[0]: r[1] for r in rows}
    assert __version__ in facts["Phần mềm"] and facts["Giai đoạn"] == "2021-2025"
    files = [r for r in rows if r[2]]
    for year in range(2021, 2026):
        intake = pd.read_csv(Path(built["data"]) / "processed" / str(year) / "intake.csv", encoding="utf-8-sig")
        mine = [r for r in files if r[0].startswith(f"{year}: ")]
        assert len(mine) == len(intake)
        assert {(r[0], r[1]) for r in mine} == {
            (f"{year}: {p}", INTAKE_WORDS[s]) for p, s in zip(intake["path"], intake["status"], strict=True)
        }


# ---- the notebook ------------------------------------------------------------------------------


def test_notebook_is_thin_and_committed_without_outputs():
    nb = nbformat.read(NOTEBOOKS_DIR / "04-period-review.ipynb", as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    src = params[0].source
    for line in (
        'kind = "tong-ket"',
        "year_from = 2021",
        "year_to = 2030",
        'geography_date = ""',
        'data_dir = "../data"',
        'reports_dir = "../reports"',
    ):
        assert line in src, line
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            assert "def " not in cell.source and "class " not in cell.source, "logic belongs in the library"
            assert "build_period" not in cell.source, "the pipeline writes the period tables"

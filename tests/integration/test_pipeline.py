"""End to end: a demo year through papermill to the annual report in HTML and PDF."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hoctap.catalog import Catalog
from hoctap.paths import Workspace


def _hoctap(*args):
    return subprocess.run([sys.executable, "-m", "hoctap", *args], capture_output=True, text=True, timeout=600)


def _pdftext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_run_year_end_to_end(tmp_path):
    data, reports = tmp_path / "data", tmp_path / "reports"
    ws = Workspace.at(data, reports)
    demo = _hoctap("demo", "--data-dir", str(data), "--years", "2024-2024")
    assert demo.returncode == 0, demo.stderr
    assert ws.raw(2024).is_dir() and any(ws.raw(2024).rglob("*.xls*"))

    out = _hoctap("run", "--year", "2024", "--data-dir", str(data), "--reports-dir", str(reports))
    assert out.returncode == 0, out.stderr
    signed = _hoctap(
        "report",
        "annual",
        "--year",
        "2024",
        "--date",
        "2024-12-20",
        "--data-dir",
        str(data),
        "--reports-dir",
        str(reports),
    )
    assert signed.returncode == 0, signed.stderr
    for run in (out, signed):  # a quiet build log: progress lines only, no kernel or library noise
        log = run.stdout + run.stderr
        assert "IPKernelApp" not in log and "Traceback" not in log and "WARNING" not in log, log

    for name in (
        "intake.csv",
        "issues.csv",
        "schools.parquet",
        "villages.parquet",
        "completeness.csv",
        "indicators.csv",
    ):
        assert (ws.processed(2024) / name).is_file(), name
    year_dir = ws.reports_year(2024)
    for name in ("01-clean.ipynb", "02-indicators.ipynb", "03-annual-report.ipynb"):
        assert (year_dir / name).is_file(), f"executed notebook {name} kept next to the report"

    html = (year_dir / "bao-cao-nam-2024.html").read_text(encoding="utf-8")
    assert "Độc lập - Tự do - Hạnh phúc" in html
    assert "import " not in html and "In&nbsp;[" not in html and "Traceback" not in html

    pdf = year_dir / "bao-cao-nam-2024.pdf"
    text = _pdftext(pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "DỮ LIỆU GIẢ LẬP" in text, "a report built from the synthetic sample says so"
    assert "ngày 20 tháng 12 năm 2024" in text, "--date sets the signing date"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    assert (reports / "index.html").is_file()

    log = [json.loads(line) for line in Catalog(ws).path("runs_log").read_text(encoding="utf-8").splitlines()]
    assert any(e["command"] == "run" and e["outcome"] == "ok" for e in log)


def test_report_for_a_year_without_data_is_one_line(workspace):
    out = _hoctap(
        "report",
        "annual",
        "--year",
        "2023",
        "--data-dir",
        str(workspace.data_dir),
        "--reports-dir",
        str(workspace.reports_dir),
    )
    assert out.returncode == 2
    assert out.stderr.strip().startswith("Lỗi:") and len(out.stderr.strip().splitlines()) == 1


def test_old_communes_date_comes_from_the_change_table(workspace):
    from hoctap.errors import HoctapError
    from hoctap.pipeline import old_communes_date

    assert old_communes_date(workspace).isoformat() == "2025-06-30"
    path = workspace.reference_dir / "commune_changes.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2025-07-01", "2026-01-01"), encoding="utf-8")
    assert old_communes_date(workspace).isoformat() == "2025-12-31"
    path.write_text("old_code,new_code,effective_date,share\n", encoding="utf-8")
    with pytest.raises(HoctapError, match="không có thay đổi địa giới"):
        old_communes_date(workspace)

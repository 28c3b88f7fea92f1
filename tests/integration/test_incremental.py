"""Incremental builds on a copy of the demo sample: a stage reruns only when the content it reads
changed, never because of a modification time.

The year 2026 (cleaning, indicators, annual report) and the indicators of 2025 are built once for
the module through the real pipeline (papermill, WeasyPrint); each test then changes an input on
that build or on a private copy of it and reads what the next run did from the run's outcomes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from builders.shared import copy_workspace
from hoctap import io, pipeline, stages
from hoctap.catalog import Catalog
from hoctap.paths import NOTEBOOKS_DIR, Workspace

YEAR = 2026
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]
YEAR_STAGES = [f"clean-{YEAR}", f"indicators-{YEAR}", f"annual-{YEAR}"]


def _plan(ws: Workspace) -> list[stages.Stage]:
    """The year, its annual report, and last year's indicators (which the report compares with)."""
    return [*pipeline.year_plan(ws, YEAR), stages.annual_stage(ws, YEAR), stages.indicators_stage(ws, YEAR - 1)]


def _snapshot(paths) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in paths if p.is_file()}


def _stage_lines(ws: Workspace) -> int:
    return sum(1 for e in Catalog(ws).read("runs_log") if e["command"] == "stage")


def _status(ws: Workspace, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "hoctap",
            "status",
            "--data-dir",
            str(ws.data_dir),
            "--reports-dir",
            str(ws.reports_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def built(demo_sample, tmp_path_factory) -> tuple[Workspace, pipeline.Build]:
    """A copy of the demo sample (built through the pipeline, so its years carry their stamps) with
    the plan above built once: only the annual report is new."""
    ws = copy_workspace(demo_sample, tmp_path_factory.mktemp("incremental"))
    return ws, pipeline.build(ws, _plan(ws))


def _copy(built, tmp_path) -> Workspace:
    return copy_workspace(built[0], tmp_path)


def test_a_build_stamps_the_inputs_code_and_products_of_each_stage(built):
    ws, first = built
    assert first.failed == [] and first.built == [f"annual-{YEAR}"], "the sample's years were up to date"
    assert sorted(first.up_to_date) == sorted([f"clean-{YEAR}", f"indicators-{YEAR}", f"indicators-{YEAR - 1}"])
    stamp = json.loads(Catalog(ws).path("stamp", stage=f"clean-{YEAR}").read_text(encoding="utf-8"))
    raw = sorted(p.relative_to(ws.data_dir).as_posix() for p in ws.raw(YEAR).rglob("*") if p.is_file())
    assert sorted(k[5:] for k in stamp["inputs"] if k.startswith("data:raw/")) == raw
    assert "code:hoctap/resources/rules.csv" in stamp["inputs"] and "code:hoctap/cleaning/clean.py" in stamp["inputs"]
    assert not any(k.startswith("code:hoctap/report/") for k in stamp["inputs"]), "cleaning runs no report code"
    assert "notebook:01-clean.ipynb" in stamp["inputs"] and stamp["failure"] is None
    assert f"data:processed/{YEAR}/intake.csv" in stamp["products"]
    assert any(k.startswith(f"reports:{YEAR}/phan-hoi/") for k in stamp["products"]), "the feedback files too"
    annual = json.loads(Catalog(ws).path("stamp", stage=f"annual-{YEAR}").read_text(encoding="utf-8"))
    assert "code:hoctap/report/annual.py" in annual["inputs"] and annual["inputs"]["value:issue_date"] == ""
    assert f"data:processed/{YEAR - 1}/indicators.csv" in annual["inputs"]


def test_a_second_run_builds_nothing(built):
    ws, _ = built
    logged = _stage_lines(ws)
    again = pipeline.build(ws, _plan(ws))
    assert again.built == [] and again.failed == [] and sorted(again.up_to_date) == sorted(s.key for s in _plan(ws))
    assert _stage_lines(ws) == logged, "no stage ran"
    assert again.summary() == "Xong: 0 bước đã lập, 4 bước đã cập nhật từ trước."


def test_touch_rebuilds_nothing(built):
    ws, _ = built
    later = time.time() + 3600
    for folder in (ws.raw(YEAR), ws.reference_dir, ws.processed_root, ws.reports_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                os.utime(path, (later, later))
    assert all(stages.check(ws, s).up_to_date for s in _plan(ws))
    assert pipeline.build(ws, _plan(ws)).built == []


def test_status_says_what_is_up_to_date_and_why_not(built):
    ws, _ = built
    out = _status(ws)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for label in (f"Làm sạch năm {YEAR}", f"Tính chỉ tiêu năm {YEAR}", f"Báo cáo năm {YEAR}"):
        assert f"[đã cập nhật] {label}" in lines
    report = f"{ws.reports_dir.name}/{YEAR - 1}/bao-cao-nam-{YEAR - 1}.html"
    assert f"[cần lập lại] Báo cáo năm {YEAR - 1}: chưa có sản phẩm (8 tệp, như {report})" in lines
    ok = sum(line.startswith("[đã cập nhật] ") for line in lines)
    assert ok >= 4 and sum(line.startswith("[cần lập lại] ") for line in lines) == 22 - ok
    assert lines[-1] == f"Tổng: 22 bước, {ok} đã cập nhật, {22 - ok} cần lập lại."

    # an edited narrative makes the report stale, naming the file; the old text back, it is not
    narrative = Catalog(ws).path("annual_narrative", year=YEAR)
    text = narrative.read_bytes()
    narrative.write_bytes(text + "\nThêm một đoạn.\n".encode())
    try:
        lines = _status(ws).stdout.splitlines()
        assert f"[cần lập lại] Báo cáo năm {YEAR}: tệp narrative/bao-cao-nam-{YEAR}.md đã thay đổi" in lines
        assert f"[đã cập nhật] Làm sạch năm {YEAR}" in lines
    finally:
        narrative.write_bytes(text)
    assert f"[đã cập nhật] Báo cáo năm {YEAR}" in _status(ws).stdout.splitlines()


def test_rules_a_notebook_and_code_make_only_their_stages_stale(built, tmp_path):
    """The package copied, then rules.csv, notebook 03 and report code edited: cleaning reruns for
    the rules, the annual report for its notebook and code, the indicators for neither."""
    ws, _ = built
    lib = tmp_path / "lib"
    shutil.copytree(stages.hashing.LIB_DIR / "hoctap", lib / "hoctap", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(NOTEBOOKS_DIR, tmp_path / "notebooks")
    with (lib / "hoctap" / "resources" / "rules.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    nb = tmp_path / "notebooks" / stages.ANNUAL_NB
    nb.write_text(nb.read_text(encoding="utf-8").replace("ngày ký báo cáo", "ngày ký của báo cáo"), encoding="utf-8")
    with (lib / "hoctap" / "report" / "annual.py").open("a", encoding="utf-8") as fh:
        fh.write("# a comment changes the source\n")
    out = _status(ws, env={**os.environ, "PYTHONPATH": str(lib)})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert f"[cần lập lại] Làm sạch năm {YEAR}: tệp hoctap/resources/rules.csv đã thay đổi" in lines
    assert f"[đã cập nhật] Tính chỉ tiêu năm {YEAR}" in lines
    assert (
        f"[cần lập lại] Báo cáo năm {YEAR}: notebook {stages.ANNUAL_NB} đã thay đổi; "
        "mã nguồn thay đổi (hoctap/report/annual.py)"
    ) in lines
    # every year's cleaning reads the rules (the other years are stale anyway: never stamped here)
    assert all(stages.RULES in stages.clean_stage(ws, y).inputs for y in ws.raw_years())


def test_a_failing_stage_keeps_its_products_and_the_others_still_build(built, tmp_path):
    """Cleaning 2026 fails after writing its tables (one school's feedback cannot be written):
    every product of the stage is back as it was, the stages reading it are skipped, and the
    indicators of 2025 (which do not) are built."""
    ws = _copy(built, tmp_path)
    cat = Catalog(ws)
    intake = cat.read("intake", year=YEAR)
    accepted = intake[intake["status"] == "accepted"]
    removed, kept = accepted.iloc[0], accepted.iloc[1]
    (ws.raw_root / removed["path"]).unlink()  # the tables would change...
    blocker = cat.path("feedback", year=YEAR, school_id=kept["school_id"])
    assert blocker.is_file()
    blocker.unlink()
    blocker.mkdir()  # ...but this school's feedback file cannot be replaced
    cat.path("indicators", year=YEAR - 1).unlink()
    clean = stages.clean_stage(ws, YEAR)
    before = _snapshot([*clean.products, *stages.hashing.tree(clean.families[0])])
    before_report = _snapshot(stages.annual_stage(ws, YEAR).products)

    result = pipeline.build(ws, _plan(ws))
    assert result.failed == [f"clean-{YEAR}"]
    assert result.skipped == [f"indicators-{YEAR}", f"annual-{YEAR}"]
    assert result.built == [f"indicators-{YEAR - 1}"] and cat.exists("indicators", year=YEAR - 1)
    assert _snapshot(before) == before, "the previous tables, notebook and feedback files, byte for byte"
    assert _snapshot(before_report) == before_report
    assert removed["path"] in set(cat.read("intake", year=YEAR)["path"]), "the old ledger is still there"
    assert result.summary().startswith(f"1 bước bị lỗi (Làm sạch năm {YEAR}), 2 bước bị bỏ qua")
    failed_nb = cat.path("stamp_failure", stage=f"clean-{YEAR}")
    assert failed_nb.is_file() and str(failed_nb) in str(result.first_error())
    state = stages.check(ws, clean)
    assert not state.up_to_date and state.failure and "01-clean.ipynb dừng ở ô" in state.failure
    assert f"tệp raw/{removed['path']} đã bị xóa" in state.reasons
    assert not list(ws.staging_dir.iterdir()), "no backup left in the staging folder"
    log = [e for e in cat.read("runs_log") if e["command"] == "stage"]
    assert log[-2]["params"] == {"stage": f"clean-{YEAR}"} and log[-2]["outcome"].startswith("failed")

    blocker.rmdir()  # repaired: the next run builds it, and the failure's record goes
    assert pipeline.build(ws, [clean]).built == [clean.key]
    assert not failed_nb.exists() and stages.check(ws, clean).failure is None


def test_a_removed_file_rebuilds_its_year_and_report_only(built, tmp_path):
    ws = _copy(built, tmp_path)
    cat = Catalog(ws)
    intake = cat.read("intake", year=YEAR)
    gone = intake[intake["status"] == "accepted"].iloc[0]["path"]
    (ws.raw_root / gone).unlink()
    result = pipeline.build(ws, _plan(ws))
    assert result.built == YEAR_STAGES and result.up_to_date == [f"indicators-{YEAR - 1}"]
    clean = next(o for o in result.outcomes if o.stage.key == f"clean-{YEAR}")
    assert clean.reasons == [f"tệp raw/{gone} đã bị xóa"]
    assert gone not in set(cat.read("intake", year=YEAR)["path"]), "the intake ledger lists what is there"
    removed = cat.read("removed", year=YEAR)
    assert removed["path"].tolist() == [gone] and removed["status"].tolist() == ["accepted"], "and shows it gone"
    assert removed["sha256"].item() == intake.set_index("path").loc[gone, "sha256"]
    annex = cat.path("annual_annex_html", year=YEAR).read_text(encoding="utf-8")
    assert "nay không còn trong thư mục" in annex and html.escape(gone) in annex and removed["sha256"].item() in annex
    assert pipeline.build(ws, _plan(ws)).built == []


def test_a_forced_run_rebuilds_a_stage_that_is_up_to_date(built, tmp_path):
    ws = _copy(built, tmp_path)
    stage = stages.indicators_stage(ws, YEAR - 1)
    result = pipeline.build(ws, [stage], force=True)
    assert result.built == [stage.key] and result.outcomes[0].reasons == ["lập lại theo yêu cầu (--force)"]
    assert stages.check(ws, stage).up_to_date


def test_a_stage_that_fails_first_leaves_no_product(workspace):
    """A year whose cleaning fails before any stamp: recorded, nothing half-written published."""
    raw = workspace.raw(YEAR)
    raw.mkdir(parents=True)
    io.write_text(workspace.reference_dir / "settings.toml", "[reporting\n")  # unreadable settings
    (raw / "a.xlsx").write_bytes(b"not a workbook")
    result = pipeline.build(workspace, pipeline.year_plan(workspace, YEAR))
    assert result.failed == [f"clean-{YEAR}"] and result.skipped == [f"indicators-{YEAR}"]
    assert not any(Catalog(workspace).exists(n, year=YEAR) for n in stages.CLEAN_TABLES)
    assert not Catalog(workspace).path("year_notebook", year=YEAR, notebook=stages.CLEAN_NB).exists()
    assert Catalog(workspace).path("stamp_failure", stage=f"clean-{YEAR}").is_file()


def test_a_report_whose_notebook_fails_keeps_the_annex_written_beside_it(built, tmp_path, monkeypatch):
    """The annex and appendix are written while the notebook runs; when the notebook then fails,
    every product of the report (those new files too) is back as it was, byte for byte."""
    import nbformat

    ws = _copy(built, tmp_path)
    report = stages.annual_stage(ws, YEAR, dt.date(YEAR, 12, 30))  # another date: the annex changes
    before = _snapshot(report.products)
    assert {p.name for p in before} >= {f"phu-luc-ky-thuat-{YEAR}.pdf", f"bao-cao-nam-{YEAR}.xlsx"}
    nb = nbformat.read(NOTEBOOKS_DIR / pipeline.ANNUAL_NB, as_version=4)
    nb.cells[-1].source = "raise RuntimeError('hỏng ở ô cuối')"
    broken = tmp_path / "broken.ipynb"
    nbformat.write(nb, broken)
    monkeypatch.setattr(pipeline, "ANNUAL_NB", str(broken))
    result = pipeline.build(ws, [report])
    assert result.failed == [report.key]
    assert "hỏng ở ô cuối" in str(result.first_error())
    assert _snapshot(before) == before, "the previous document, appendix and annex, byte for byte"
    assert not list(ws.staging_dir.iterdir())

"""Stages and stamps without papermill: staleness by content on real files, the code each stage
hashes, the dates it stamps, the order it runs in, the products a failure puts back."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from hoctap import hashing, io, stages
from hoctap.catalog import Catalog


def _built(ws, year=2024):
    """A cleaning stage of ``year`` whose products exist (written here) and whose stamp says so."""
    raw = ws.raw(year)
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "a.xlsx").write_bytes(b"first")
    stage = stages.clean_stage(ws, year)
    for path in stage.products:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(path.name, encoding="utf-8")
    state = stages.check(ws, stage)
    stages.write_stamp(ws, stage, state.fingerprint, 1.0)
    return stage


def test_content_not_modification_times_decides(workspace):
    stage = _built(workspace)
    assert stages.check(workspace, stage).up_to_date
    later = time.time() + 3600
    for path in [*workspace.raw(2024).iterdir(), *workspace.reference_dir.iterdir(), *stage.products]:
        os.utime(path, (later, later))
    assert stages.check(workspace, stage).up_to_date, "touch rebuilds nothing"

    raw = workspace.raw(2024)
    (raw / "a.xlsx").write_bytes(b"second")
    assert stages.check(workspace, stage).reasons == ["tệp raw/2024/a.xlsx đã thay đổi"]
    (raw / "a.xlsx").write_bytes(b"first")
    assert stages.check(workspace, stage).up_to_date, "the same bytes again: nothing to do"

    (raw / "sub").mkdir()
    (raw / "sub" / "b.xlsx").write_bytes(b"late school")
    assert stages.check(workspace, stage).reasons == ["có tệp mới raw/2024/sub/b.xlsx"]
    (raw / "sub" / "b.xlsx").unlink()
    (raw / "a.xlsx").unlink()
    assert stages.check(workspace, stage).reasons == ["tệp raw/2024/a.xlsx đã bị xóa"]


def test_reference_products_and_history_make_it_stale(workspace):
    stage = _built(workspace)
    settings = workspace.reference_dir / "settings.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\n# sửa\n", encoding="utf-8")
    assert stages.check(workspace, stage).reasons == ["tệp reference/settings.toml đã thay đổi"]

    stage = _built(workspace)
    intake = Catalog(workspace).path("intake", year=2024)
    intake.write_text("edited by hand", encoding="utf-8")
    assert stages.check(workspace, stage).reasons == ["sản phẩm processed/2024/intake.csv đã bị sửa sau lần lập trước"]
    intake.unlink()
    assert stages.check(workspace, stage).reasons == ["chưa có sản phẩm processed/2024/intake.csv"]

    stage = _built(workspace)
    history = Catalog(workspace).path("villages", year=2023)
    history.parent.mkdir(parents=True)
    history.write_bytes(b"last year's villages")
    assert stages.check(workspace, stage).reasons == ["có tệp mới processed/2023/villages.parquet"]


def test_no_stamp_and_no_products_say_so(workspace):
    workspace.raw(2024).mkdir(parents=True)
    stage = stages.clean_stage(workspace, 2024)
    assert stages.check(workspace, stage).reasons == ["chưa có sản phẩm (8 tệp, như processed/2024/intake.csv)"]
    for path in stage.products:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    assert stages.check(workspace, stage).reasons[0].startswith("chưa có bản ghi lần lập trước")


def test_each_stage_hashes_the_code_it_runs(workspace):
    def code(stage):
        return set(stages.stage_code(stage))

    clean = code(stages.clean_stage(workspace, 2024))
    assert {"hoctap.cleaning.clean", "hoctap.intake.workbook", "hoctap.reference", "hoctap.api"} <= clean
    assert not any(m.startswith(("hoctap.report", "hoctap.analysis", "hoctap.sample")) for m in clean)
    indicators = code(stages.indicators_stage(workspace, 2024))
    assert "hoctap.analysis.indicators" in indicators and "hoctap.analysis.views" in indicators
    assert not any(m.startswith(("hoctap.report", "hoctap.cleaning")) for m in indicators)
    annual = code(stages.annual_stage(workspace, 2024))
    assert {
        "hoctap.report.annual",
        "hoctap.report.publish",
        "hoctap.report.pdf",
        "hoctap.analysis.indicators",
    } <= annual
    assert "hoctap.cli" not in annual and "hoctap.workers" not in annual
    assert "hoctap.pipeline" in clean and "hoctap.pipeline" in annual, "the runner's own text, not what it imports"
    tables, review = stages.period_stages(workspace, "so-ket", 2021, 2025, dt.date(2025, 12, 31))
    assert "hoctap.analysis.periods" in code(tables) and not any(m.startswith("hoctap.report") for m in code(tables))
    assert "hoctap.report.period_sections" in code(review)


def test_a_default_date_is_stamped_as_what_it_selects(workspace):
    default = stages.annual_stage(workspace, 2024)
    given = stages.annual_stage(workspace, 2024, dt.date(2024, 12, 20))
    assert default.values["issue_date"] == "" and len(default.values["issuer_today"]) == 16
    assert given.values == {"issue_date": "2024-12-20"}
    today = dt.date.today()
    tables, _ = stages.period_stages(workspace, "tong-ket", 2021, 2030, today)
    assert tables.values["geography"] == "hôm nay, địa giới từ 2025-07-01", "the 2025 merger is in force"
    tables, _ = stages.period_stages(workspace, "tong-ket", 2021, 2030, today, geography_explicit=True)
    assert tables.values["geography"] == today.isoformat()
    tables, _ = stages.period_stages(workspace, "so-ket", 2021, 2025, dt.date(2025, 12, 31))
    assert tables.values["geography"] == "2025-12-31"


def test_stages_run_after_what_they_read(workspace):
    for year in (2024, 2025):
        workspace.raw(year).mkdir(parents=True)
    annual = stages.annual_stage(workspace, 2025)
    plan = [
        annual,
        stages.indicators_stage(workspace, 2025),
        stages.clean_stage(workspace, 2025),
        stages.indicators_stage(workspace, 2024),
        stages.clean_stage(workspace, 2024),
    ]
    order = stages.ordered(plan)
    for i, stage in enumerate(order):  # whatever a stage reads of the plan was written before it
        assert not stage.reads() & {p for s in order[i:] for p in s.writes()}
    assert [s.key for s in order][0] == "clean-2024" and order[-1] is annual
    assert stages.ordered(order) == order, "stable"


def test_a_guard_puts_the_products_back_when_the_stage_fails(workspace):
    stage = _built(workspace)
    before = {p: p.read_bytes() for p in stage.products}
    feedback = stage.families[0]
    feedback.mkdir(parents=True)
    (feedback / "KP001.xlsx").write_bytes(b"old feedback")
    with pytest.raises(RuntimeError), stages.Guard(stage):
        for path in stage.products:  # the stage replaces every product, as hoctap.io writes...
            io.write_bytes(path, b"half-done")
        io.write_bytes(feedback / "KP002.xlsx", b"new feedback")
        raise RuntimeError("...and stops")
    assert {p: p.read_bytes() for p in stage.products} == before
    assert sorted(p.name for p in feedback.iterdir()) == ["KP001.xlsx"]
    assert (feedback / "KP001.xlsx").read_bytes() == b"old feedback"
    assert not list(workspace.staging_dir.iterdir())


def test_file_digests_follow_rewrites_in_the_same_process(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"a")
    first = hashing.file_digest(path)
    tmp = tmp_path / "g"
    tmp.write_bytes(b"b")
    os.replace(tmp, path)  # how every writer of the package replaces a file
    assert hashing.file_digest(path) != first
    assert hashing.file_digest(tmp_path / "none") is None

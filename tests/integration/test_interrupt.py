"""Ctrl+C as a terminal sends it: SIGINT to every process of the command (the parent, its
workers, their kernels, a report's helper).

The command must end within seconds with one line and exit code 130, leave no process behind,
publish nothing half-written, put back the products of the stages it cut short, and record no
failure for them (the analyst stopped them; nothing is wrong with the stage).
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import pytest

from builders.shared import copy_workspace
from hoctap import pipeline, stages
from hoctap.catalog import Catalog

YEAR = 2026
DATE = "2026-12-20"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reported(demo_sample, tmp_path_factory):
    """A copy of the demo sample with the annual report of YEAR built."""
    ws = copy_workspace(demo_sample, tmp_path_factory.mktemp("interrupt"))
    import datetime as dt

    pipeline.report_annual(ws, YEAR, report_date=dt.date.fromisoformat(DATE))
    return ws


def _digests(paths) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None for p in paths}


def _interrupt(ws, delay: float, *args: str):
    """Run ``hoctap ARGS`` in a session of its own, send SIGINT to its whole group after ``delay``."""
    dirs = ["--data-dir", str(ws.data_dir), "--reports-dir", str(ws.reports_dir)]
    process = subprocess.Popen(
        [sys.executable, "-m", "hoctap", *args, *dirs],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    t0 = time.monotonic()
    try:
        out, err = process.communicate(timeout=60)
        seconds = time.monotonic() - t0
        left = _running(process.pid)
        for _ in range(20):  # a process killed last may still be on its way out
            if not left:
                break
            time.sleep(0.25)
            left = _running(process.pid)
    finally:
        if _running(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, out, err, left, seconds


def _running(group: int) -> list[str]:
    """The processes of ``group`` still alive (a zombie waiting to be reaped by init is not)."""
    out = subprocess.run(["pgrep", "-g", str(group)], capture_output=True, text=True).stdout.split()
    alive = []
    for pid in out:
        try:
            state = open(f"/proc/{pid}/stat", encoding="utf-8").read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _no_failure_recorded(ws) -> None:
    cat = Catalog(ws)
    for state in pipeline.status(ws):
        assert state.failure is None, (state.stage.key, state.failure)
        assert not cat.path("stamp_failure", stage=state.stage.key).exists()


@pytest.mark.parametrize("delay", [0.8, 2.0])
def test_ctrl_c_during_one_report_puts_its_products_back(reported, tmp_path, delay):
    ws = copy_workspace(reported, tmp_path)
    stage = stages.annual_stage(ws, YEAR)
    stamp = Catalog(ws).path("stamp", stage=stage.key)
    before = _digests([*stage.products, stamp])
    assert all(before.values())

    rc, out, err, left, seconds = _interrupt(ws, delay, "report", "annual", "--year", str(YEAR), "--force")
    assert rc == 130, (out, err)
    assert err == "Đã dừng.\n", "one line, no traceback, no library's log"
    assert left == [] and seconds < 15, "no kernel, helper or worker left running"
    assert _digests([*stage.products, stamp]) == before, "the report as it was, byte for byte"
    assert not list(ws.staging_dir.iterdir()), "no backup or half-written file left in the staging folder"
    _no_failure_recorded(ws)


def test_ctrl_c_during_a_parallel_build_stops_its_workers(reported, tmp_path):
    ws = copy_workspace(reported, tmp_path)
    rc, out, err, left, seconds = _interrupt(ws, 3.0, "run", "--all", "--jobs", "2")
    assert rc == 130, (out, err)
    assert "đã dừng theo yêu cầu" not in out and "lỗi" not in out, "a stage cut short is not reported as failed"
    assert err == "Đã dừng.\n"
    assert left == [] and seconds < 20, "the workers, their kernels and the resource tracker are gone"
    assert not list(ws.staging_dir.iterdir())
    _no_failure_recorded(ws)
    states = pipeline.status(ws)  # checked against the stamps: a stage is whole, or stale and rebuilt next time
    assert any(not s.up_to_date for s in states), "the build was cut short"
    assert all(s.up_to_date for s in states if s.stage.action in ("clean", "indicators")), "the sample's years"

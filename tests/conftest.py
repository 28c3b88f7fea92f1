"""Shared fixtures: a fresh workspace with the shipped reference data, and the demo sample.

The demo sample (2021-2026, cleaned, with indicators) costs about half a minute to build, so it
is built once per test session and shared read-only by every test that needs it, also across
pytest-xdist workers: the first worker to take the lock builds it, the others wait and reuse it.
A test that changes files copies it first (``builders.shared.copy_workspace``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from builders.shared import build_once, shared_dir
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

REPO = Path(__file__).resolve().parents[1]
SAMPLE_YEARS = range(2021, 2027)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace (raw/, processed/, reports) holding a copy of the reference data."""
    data = tmp_path / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference")
    (data / "raw").mkdir()
    (data / "processed").mkdir()
    return Workspace.at(data, tmp_path / "reports")


def _build_sample(root: Path) -> dict:
    from hoctap import pipeline
    from hoctap.sample.demo import generate

    ws = Workspace.at(root / "data", root / "reports")
    summary = generate(ws, years=SAMPLE_YEARS)
    # Through the pipeline (notebooks 01, 02), so the sample carries its stamps and a review
    # built on a copy rebuilds nothing that is up to date.
    result = pipeline.build(ws, [s for y in SAMPLE_YEARS for s in pipeline.year_plan(ws, y)], jobs=2)
    assert not result.failed, result.summary()
    return {
        "data": str(ws.data_dir),
        "reports": str(ws.reports_dir),
        "years": sorted(summary["years"]),
    }


@pytest.fixture(scope="session")
def demo_sample(request, tmp_path_factory) -> Workspace:
    """The demo sample 2021-2026 made by ``hoctap.sample.demo.generate``, cleaned, with indicators.

    Read-only: its raw files, ``demo_truth/`` and processed tables are shared by the session.
    """
    info = build_once(shared_dir(request, tmp_path_factory, "demo-sample"), _build_sample)
    assert info["years"] == list(SAMPLE_YEARS)
    return Workspace.at(Path(info["data"]), Path(info["reports"]))

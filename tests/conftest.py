"""Shared fixtures: a fresh workspace with the shipped reference data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """An empty workspace (raw/, processed/, reports) holding a copy of the reference data."""
    data = tmp_path / "data"
    shutil.copytree(SHIPPED_REFERENCE_DIR, data / "reference")
    (data / "raw").mkdir()
    (data / "processed").mkdir()
    return Workspace.at(data, tmp_path / "reports")

"""Builds shared by a test session and its pytest-xdist workers, and private copies of them."""

from __future__ import annotations

import fcntl
import json
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from hoctap.paths import Workspace


def shared_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder of this session seen by every xdist worker (their basetemps share a parent)."""
    base = tmp_path_factory.getbasetemp()
    if getattr(request.config, "workerinput", None) is not None:
        base = base.parent
    return base / f"shared-{name}"


def build_once(root: Path, build: Callable[[Path], dict]) -> dict:
    """Run ``build(root / "ws")`` once per session under an exclusive lock; return its JSON result.

    A failed build is recorded, so the workers waiting on it fail with its traceback instead of
    building again.
    """
    root.mkdir(parents=True, exist_ok=True)
    done, failed = root / "done.json", root / "failed.txt"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if the worker dies
        if done.is_file():
            return json.loads(done.read_text(encoding="utf-8"))
        if failed.is_file():
            pytest.fail("the shared build failed in another worker:\n" + failed.read_text(encoding="utf-8"))
        try:
            info = build(root / "ws")
        except BaseException:
            failed.write_text(traceback.format_exc(), encoding="utf-8")
            raise
        done.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        return info


def copy_workspace(ws: Workspace, dest: Path) -> Workspace:
    """A private copy of a shared workspace; copytree keeps modification times (nothing goes stale)."""
    shutil.copytree(ws.data_dir, dest / "data", symlinks=True)
    if ws.reports_dir.is_dir():
        shutil.copytree(ws.reports_dir, dest / "reports", symlinks=True)
    return Workspace.at(dest / "data", dest / "reports")

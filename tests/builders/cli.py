"""The real ``hoctap`` command run as a subprocess, the way an analyst runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from builders.corpus import YEAR
from hoctap.paths import Workspace

HOCTAP = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hoctap"


def hoctap(*args: str, prefix: tuple[str, ...] = (), timeout: int = 300) -> subprocess.CompletedProcess:
    """``hoctap ARGS`` (after ``prefix``, e.g. a command that drops privileges), output captured."""
    return subprocess.run([*prefix, str(HOCTAP), *args], capture_output=True, text=True, timeout=timeout)


def clean(ws: Workspace, *extra: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """``hoctap clean`` of the corpus year on ``ws``."""
    return hoctap(
        "clean",
        "--year",
        str(YEAR),
        "--data-dir",
        str(ws.data_dir),
        "--reports-dir",
        str(ws.reports_dir),
        *extra,
        prefix=prefix,
    )

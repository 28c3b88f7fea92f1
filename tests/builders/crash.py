"""Stage actions for the worker tests: module-level, so a worker process can unpickle them."""

from __future__ import annotations

import os
from pathlib import Path


def write_pid(folder: Path, stage, progress) -> None:
    (Path(folder) / "pid").write_text(str(os.getpid()))
    progress("  pid written")


def exit_now(folder: Path, stage, progress) -> None:
    os._exit(7)

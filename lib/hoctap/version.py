"""The version that names the code behind every run log line and every report.

A fixed "0.1.0" cannot tell two builds apart, so the release number from the package metadata
gets the commit it was built from (PEP 440 local part), read from git when the package runs from
a checkout: ``0.1.0+g3d08b41``, or ``0.1.0+g3d08b41.dirty`` with uncommitted changes.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]
_FALLBACK = "0.1.0"


def _release() -> str:
    try:
        return metadata.version("hoctap")
    except metadata.PackageNotFoundError:
        return _FALLBACK


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", "-C", str(_ROOT), *args], capture_output=True, text=True, timeout=5, check=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


@lru_cache(maxsize=1)
def version() -> str:
    """Release plus commit; the bare release outside a git checkout (an installed wheel)."""
    release = _release()
    if not (_ROOT / ".git").exists():
        return release
    commit = _git("rev-parse", "--short=7", "HEAD")
    if not commit:
        return release
    tag = _git("describe", "--tags", "--exact-match", "--match", "v*", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    if tag == f"v{release}" and not dirty:
        return release
    return f"{release}+g{commit}" + (".dirty" if dirty else "")

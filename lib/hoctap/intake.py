"""Files of a year: which are read, which ignored, and which version of a school's report wins.

The raw folder is only ever read: files are listed, hashed and opened read-only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .workbook import READABLE


@dataclass
class FileEntry:
    path: Path  # absolute
    rel: str  # relative to raw/, POSIX separators
    size: int
    sha256: str
    ignored: bool


def is_ignored(rel_parts: tuple[str, ...]) -> bool:
    """Lock files (~$), hidden files or folders, and formats other than the four read."""
    name = rel_parts[-1]
    if name.startswith("~$") or any(part.startswith(".") for part in rel_parts):
        return True
    return Path(name).suffix.lower() not in READABLE


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def discover(raw_root: Path, year_dir: Path) -> list[FileEntry]:
    """Every file under ``year_dir`` (recursively), sorted by path so runs are reproducible."""
    out = []
    for path in sorted(p for p in year_dir.rglob("*") if p.is_file()):
        rel_parts = path.relative_to(year_dir).parts
        size = path.stat().st_size
        out.append(FileEntry(path, path.relative_to(raw_root).as_posix(), size, sha256_of(path), is_ignored(rel_parts)))
    return out


@dataclass
class Version:
    rel: str
    report_date: dt.date
    fingerprint: str


def choose_versions(versions: list[Version]) -> dict[str, tuple[str, str]]:
    """rel -> (status, other): the latest report_date wins, older ones are superseded.

    Several files on the latest date: identical figures keep one (the first path), different
    figures reject all of them until the analyst removes one (rule version_conflict).
    """
    if not versions:
        return {}
    latest = max(v.report_date for v in versions)
    top = sorted((v for v in versions if v.report_date == latest), key=lambda v: v.rel)
    out: dict[str, tuple[str, str]] = {}
    if len({v.fingerprint for v in top}) > 1:
        for v in top:
            out[v.rel] = ("version_conflict", ", ".join(o.rel for o in top if o is not v))
        winner = None
    else:
        winner = top[0]
        out[winner.rel] = ("accepted", "")
        for v in top[1:]:
            out[v.rel] = ("superseded", winner.rel)
    for v in versions:
        if v.rel not in out:
            out[v.rel] = ("superseded", winner.rel if winner else ", ".join(o.rel for o in top))
    return out

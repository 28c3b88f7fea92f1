"""Atomic writes and the CSV ledgers' Excel-safe text.

A run that dies half-way leaves the previous outputs whole, and no temporary file ever sits in
a published folder (processed/<Y>/, reports/<Y>/...): temporaries are made in the workspace's
hidden staging folder (``<data>/.staging``, same filesystem) and renamed into place. Temporaries
left there by a killed run are swept when the next run opens the workspace.

CSV ledgers are opened in Excel: a text cell beginning with ``= + - @``, a tab or a carriage
return would be taken for a formula, so it is written with a leading apostrophe and
``read_csv`` takes it off again (Parquet keeps the raw text).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hoctap.errors import OutputError, os_errno, os_error_text

if TYPE_CHECKING:  # pandas is imported on use: ``hoctap --help`` stays fast
    import pandas as pd

STAGING_NAME = ".staging"
STALE_SECONDS = 24 * 3600  # a temporary this old is stale even if its process id was reused
_WRITE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EIO,
}

_UMASK = os.umask(0)
os.umask(_UMASK)

_ROOTS: dict[str, str] = {}  # published root (absolute) -> its staging folder
_STAGING_FOR: dict[str, str | None] = {}  # directory -> staging folder (cache)
_READY: set[str] = set()  # staging folders created or swept by this process
_CROSS_DEVICE: set[tuple[str, str]] = set()  # (staging, directory) where rename fails (EXDEV)
_COUNTER = itertools.count()
_ENV = "HOCTAP_STAGING"  # the registry, inherited by spawned workers (Windows, macOS) and kernels
with contextlib.suppress(ValueError, TypeError, AttributeError):
    _ROOTS.update({str(k): str(v) for k, v in json.loads(os.environ.get(_ENV, "{}")).items()})
_TEMP_NAME = re.compile(r"^(\d+)-\d+-.*\.tmp(\.\w+)?$")


# ---- staging ----------------------------------------------------------------------------------


def register_workspace(data_dir: str | Path, reports_dir: str | Path) -> Path:
    """Make ``<data_dir>/.staging`` the staging folder of the data and reports trees.

    Called by ``Workspace``; sweeps the temporaries that killed runs left there (once per process).
    """
    staging = os.path.join(os.path.abspath(data_dir), STAGING_NAME)
    changed = False
    for root in (data_dir, reports_dir):
        root = os.path.abspath(root)
        if _ROOTS.get(root) != staging:
            _ROOTS[root] = staging
            changed = True
    if changed:
        _STAGING_FOR.clear()
        os.environ[_ENV] = json.dumps(_ROOTS)
    if staging not in _READY:
        sweep_staging(staging)
    return Path(staging)


def sweep_staging(staging: str | Path) -> list[Path]:
    """Delete temporaries of processes that no longer run (or older than a day); return them."""
    staging = str(staging)
    _READY.add(staging)
    removed = []
    try:
        names = os.listdir(staging)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        m = _TEMP_NAME.match(name)
        if not m:
            continue
        path = os.path.join(staging, name)
        pid = int(m.group(1))
        try:
            old = now - os.stat(path).st_mtime > STALE_SECONDS
            if (pid != os.getpid() and not _alive(pid)) or old:
                os.unlink(path)
                removed.append(Path(path))
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def staging_dir(target: str | Path) -> Path | None:
    """The staging folder for ``target``: that of the registered tree holding it, else None."""
    parent = os.path.dirname(os.path.abspath(target))
    if parent in _STAGING_FOR:
        hit = _STAGING_FOR[parent]
        return Path(hit) if hit else None
    best = None
    for root, staging in _ROOTS.items():
        if (parent == root or parent.startswith(root.rstrip(os.sep) + os.sep)) and (
            best is None or len(root) > len(best[0])
        ):
            best = (root, staging)
    hit = best[1] if best else None
    _STAGING_FOR[parent] = hit
    return Path(hit) if hit else None


def temp_path(target: str | Path, keep_suffix: bool = False) -> Path:
    """A fresh temporary name for ``target``: in its staging folder, else hidden beside it.

    Cheap (no mkstemp): the process id and a counter make it unique, and tell the sweep whose it is.
    ``keep_suffix`` ends the name with the target's own suffix too, for writers that check it.
    """
    target = Path(target)
    end = ".tmp" + (target.suffix if keep_suffix else "")
    staging = staging_dir(target)
    if staging is not None and (str(staging), str(target.parent)) not in _CROSS_DEVICE:
        key = str(staging)
        if key not in _READY or not os.path.isdir(key):
            os.makedirs(key, exist_ok=True)
            sweep_staging(key)
        return staging / f"{os.getpid()}-{next(_COUNTER)}-{target.name}{end}"
    return target.with_name(f".{target.name}.{os.getpid()}-{next(_COUNTER)}{end}")


def publish(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` over ``target``; across filesystems, through a hidden copy beside it."""
    try:
        os.replace(tmp, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    _CROSS_DEVICE.add((str(tmp.parent), str(target.parent)))
    beside = target.with_name(f".{target.name}.{os.getpid()}-{next(_COUNTER)}.tmp")
    try:
        shutil.copyfile(tmp, beside)
        os.chmod(beside, 0o666 & ~_UMASK)
        os.replace(beside, target)
    except OSError as exc:  # shutil names the staged source; the analyst needs the file being published
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(beside)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path for ``target`` (not yet created); rename it over ``target`` on success.

    A read-only folder, a full disk and the like become one OutputError naming ``target``.
    """
    target = Path(target)
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(target)
        yield tmp
        publish(tmp, target)
    except OSError as exc:
        if os_errno(exc) in _WRITE_ERRNOS:
            raise OutputError(os_error_text(exc, target)) from exc
        raise
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


# ---- CSV ledgers --------------------------------------------------------------------------------

_ESCAPE = re.compile(r"'*[=+\-@\t\r]")  # what Excel would read as a formula (and escaped text itself)
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_HAS_CR = re.compile(r"[^\r]*\r")


def escape_cell(text: str) -> str:
    """The text as written in a CSV ledger: a leading apostrophe where Excel would see a formula.

    Text that already starts with apostrophes before such a character gets one more, so
    ``unescape_cell`` gives back exactly the original.
    """
    return "'" + text if _ESCAPE.match(text) else text


def unescape_cell(text: str) -> str:
    return text[1:] if _ESCAPED.match(text) else text


def _text_columns(df: pd.DataFrame) -> list:
    import pandas as pd

    return [c for c in df.columns if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype)]


def _matches(series: pd.Series, pattern: re.Pattern) -> pd.Series:
    try:
        hit = series.str.match(pattern.pattern)
    except AttributeError:  # an object column without any text
        return series.map(lambda _: False)
    return hit.fillna(False).astype(bool)


def excel_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells are escaped for Excel (``df`` itself when none needs it)."""
    out = df
    for col in _text_columns(df):
        mask = _matches(df[col], _ESCAPE)
        if mask.any():
            if out is df:
                out = df.copy()
            values = out[col].astype(object)
            values[mask] = ["'" + v for v in values[mask]]
            out[col] = values.astype(df[col].dtype) if df[col].dtype != object else values
    return out


def write_csv(target: str | Path, df: pd.DataFrame) -> None:
    """UTF-8 with BOM so that Excel on Windows opens Vietnamese text correctly; text Excel-safe.

    Lines end in LF; a file with a carriage return inside a text cell ends its lines in CRLF,
    because Python's csv module quotes a field only for the characters of the line ending.
    """
    safe = excel_safe(df)
    ending = "\r\n" if any(_matches(safe[c], _HAS_CR).any() for c in _text_columns(safe)) else "\n"
    with atomic_path(target) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator=ending)


def write_parquet(target: str | Path, df: pd.DataFrame) -> None:
    with atomic_path(target) as tmp:
        df.to_parquet(tmp, index=False)


def read_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """A ledger written by ``write_csv``, with the original text (the Excel escapes taken off).

    A column that only held text because of its escapes gets the type pandas would have given
    it (a column of "-3", "5" is numbers again), unless ``dtype`` fixes it.
    """
    import pandas as pd

    df = pd.read_csv(path, encoding="utf-8-sig", **kwargs)
    dtype = kwargs.get("dtype")
    for col in _text_columns(df):
        mask = _matches(df[col], _ESCAPED)
        if not mask.any():
            continue
        values = df[col].astype(object)
        values[mask] = [v[1:] for v in values[mask]]
        fixed = dtype is not None and (not isinstance(dtype, dict) or col in dtype)
        if not fixed:
            with contextlib.suppress(ValueError, TypeError):
                values = pd.to_numeric(values)
        df[col] = values.astype(df[col].dtype) if fixed and df[col].dtype != object else values
    return df

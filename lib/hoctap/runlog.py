"""A log of each run: one JSON line per command in ``processed/runs.log``.

The log answers "which inputs and which version produced this report?" after the fact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator

from hoctap import __version__
from hoctap.catalog import Catalog
from hoctap.paths import Workspace


@contextlib.contextmanager
def logged(ws: Workspace, command: str, **params) -> Iterator[dict]:
    """Record start, parameters, duration and outcome of one command, even when it fails.

    The body may add fields to the yielded entry (the stages built) or set its outcome.
    """
    entry: dict = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": command,
        "params": {k: str(v) for k, v in params.items()},
        "version": __version__,
    }
    t0 = time.perf_counter()
    try:
        yield entry
        entry.setdefault("outcome", "ok")  # a run that went on past failed stages says so itself
    except BaseException as exc:
        entry["outcome"] = f"failed: {type(exc).__name__}: {exc}"
        raise
    finally:
        entry["seconds"] = round(time.perf_counter() - t0, 3)
        try:
            Catalog(ws).append("runs_log", entry)
        except OSError:
            if entry.get("outcome") == "ok":
                raise
            # the run already failed (often for the same read-only or full disk): keep its reason

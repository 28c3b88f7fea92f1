"""Read untrusted workbooks in worker processes that may die: a file can fail only itself.

A damaged workbook can make the reader (calamine, in Rust) panic, abort on an allocation of
hundreds of GB, or loop. Each file is therefore read in a worker process under a time bound
(``FILE_TIMEOUT``, a wall-clock alarm that kills the worker) and an address-space bound
(``MEMORY_LIMIT`` above the worker's size at start, RLIMIT_AS; skipped where ``resource`` is
missing, i.e. Windows). pebble's ProcessPool replaces a worker that dies and reports the death
on that task's future, so a run never hangs. Files go in batches (one task per batch keeps the
per-file cost of a pool low); a batch whose worker died is tried again file by file, which
finds the culprit and reads the others.
"""

from __future__ import annotations

import faulthandler
import math
import multiprocessing as mp
import os
import shutil
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import pebble
from pebble.common import CONSTS as _PEBBLE

# pebble's manager threads poll every 0.1 s, which a pool's shutdown waits for: a tenth of the
# whole run for a few hundred small files. 20 ms keeps the polling cheap and the close quick.
_PEBBLE.sleep_unit = min(_PEBBLE.sleep_unit, 0.02)

try:
    import resource
except ImportError:  # Windows
    resource = None

FILE_TIMEOUT = 60.0  # seconds one file may take
MEMORY_LIMIT = 2 << 30  # bytes a worker may add to its address space while reading
BATCH_MAX = 32
BATCH_BYTES = 4 << 20  # a batch of small files; a big file goes (nearly) alone
_GRACE = 15.0  # pebble's own bound on a task, past the per-file alarm (and where there is none)


@dataclass(frozen=True)
class Failure:
    """Why a job gave no result: a rules.csv code, its Vietnamese detail, the technical text."""

    code: str
    detail: str
    technical: str


def _worker_init(timeout: float, memory: int, scratch: str) -> None:
    """Bound the worker; never raises, since pebble would respawn a failing worker forever."""
    try:
        _bound_worker(timeout, memory, scratch)
    except Exception:
        pass


def _bound_worker(timeout: float, memory: int, scratch: str) -> None:
    """Its stderr goes to a log that the parent reads when it dies."""
    tempfile.tempdir = scratch  # temporary copies of workbooks land where the parent cleans up
    global _LOG
    _LOG = open(os.path.join(scratch, f"worker-{os.getpid()}.log"), "a", encoding="utf-8", errors="replace")
    os.dup2(_LOG.fileno(), 2)
    if faulthandler.is_enabled():  # inherited (pytest, PYTHONFAULTHANDLER): dump into the log too
        faulthandler.enable(file=_LOG)
    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the alarm ends the process, even inside Rust
    _die_with_parent()
    if resource is not None and memory:
        try:
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = _address_space() + memory
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ValueError, OSError):
            pass
    global _TIMEOUT
    _TIMEOUT = timeout


_TIMEOUT = FILE_TIMEOUT
_LOG = None  # the worker's stderr log, kept open for faulthandler


def _die_with_parent() -> None:
    """Linux: a worker ends when the process that owns the pool dies (killed, not closed)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the owner died before the call
            os._exit(0)
    except (OSError, AttributeError):
        pass


def _address_space() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _run_batch(fn: Callable, jobs: list) -> list[tuple[bool, object]]:
    """In a worker: (True, result) or (False, Failure) per job; a Python error fails one job."""
    out = []
    alarm = hasattr(signal, "setitimer")
    for job in jobs:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, _TIMEOUT)
        try:
            out.append((True, fn(job)))
        except MemoryError:
            out.append((False, Failure("file_crash", "tệp cần quá nhiều bộ nhớ", "MemoryError")))
        except Exception as exc:
            tech = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            out.append((False, Failure("file_crash", "lỗi của chương trình khi đọc tệp", tech[:500])))
        finally:
            if alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
    return out


class Sandbox:
    """A pool of bounded worker processes; ``map`` never raises for what a job's input does."""

    def __init__(self, workers: int | None = None, timeout: float = FILE_TIMEOUT, memory: int = MEMORY_LIMIT):
        self.workers = max(1, workers or min(2, os.cpu_count() or 1))
        self.timeout = timeout
        self.memory = memory
        self._scratch = tempfile.mkdtemp(prefix="hoctap-sandbox-")
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self._pool = pebble.ProcessPool(
            max_workers=self.workers,
            initializer=_worker_init,
            initargs=(timeout, memory, self._scratch),
            context=ctx,
        )

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.close(wait=exc_type is None)

    def close(self, wait: bool = True) -> None:
        """End the workers: after the pending tasks, or at once (``wait=False``, e.g. Ctrl-C)."""
        try:
            if wait:
                self._pool.close()
            else:
                self._pool.stop()
            self._pool.join()
        finally:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def map(
        self,
        fn: Callable,
        jobs: list,
        on_error: Callable | None = None,
        sizes: list[int] | None = None,
    ) -> list:
        """``fn`` over ``jobs`` in the workers, results in the order of ``jobs``.

        A job that fails (exception, worker killed by the alarm or the memory bound, crash)
        gives ``on_error(job, Failure)``; without ``on_error`` it runs again in this process
        (for trusted jobs such as writing feedback, where a worker death is not the job's doing).
        ``sizes`` (bytes of each job's file) keeps big files in small batches.
        """
        jobs = list(jobs)
        if not jobs:
            return []
        batches = _batches(jobs, sizes, max(1, min(BATCH_MAX, math.ceil(len(jobs) / (self.workers * 4)))))
        futures = [self._schedule(fn, b) for b in batches]
        wait = self.timeout + _GRACE + 60  # pebble ends a task at timeout + grace; this never waits on
        results: list[list | None] = []  # a pool that stopped answering
        for fut in futures:
            try:
                results.append(fut.result(timeout=wait))
            except Exception:
                fut.cancel()
                results.append(None)
        singles = {
            (bi, j): self._schedule(fn, [job])
            for bi, res in enumerate(results)
            if res is None
            for j, job in enumerate(batches[bi])
        }
        out = []
        for bi, batch in enumerate(batches):
            res = results[bi]
            if res is None:
                res = []
                for j in range(len(batch)):
                    try:
                        (one,) = singles[(bi, j)].result(timeout=wait)
                    except Exception as exc:
                        one = (False, self._failure(exc))
                    res.append(one)
            for job, (ok, value) in zip(batch, res, strict=True):
                if ok:
                    out.append(value)
                elif on_error is None:
                    out.append(fn(job))
                else:
                    out.append(on_error(job, value))
        return out

    def _schedule(self, fn: Callable, batch: list):
        # One bound per task, however many files it holds: a batch of small files takes a fraction
        # of it, and a batch that runs over (or a worker stuck before its first file) is simply
        # tried again file by file, each with the same bound.
        return self._pool.schedule(_run_batch, args=(fn, batch), timeout=self.timeout + _GRACE)

    def _failure(self, exc: BaseException) -> Failure:
        seconds = f"{self.timeout:g} giây"
        if isinstance(exc, FutureTimeout):
            return Failure("file_timeout", seconds, f"task timeout after {self.timeout:g} s")
        if isinstance(exc, pebble.ProcessExpired):
            code = exc.exitcode
            tech = f"worker exit code {code}" + _last_line(self._scratch, exc.pid)
            if hasattr(signal, "SIGALRM") and code == -signal.SIGALRM:
                return Failure("file_timeout", seconds, tech)
            if code == -signal.SIGABRT:
                limit = f"{self.memory / (1 << 30):g} GB"
                return Failure("file_crash", f"vượt giới hạn bộ nhớ {limit} hoặc trình đọc gặp lỗi", tech)
            if hasattr(signal, "SIGKILL") and code == -signal.SIGKILL:
                return Failure("file_crash", "hệ thống dừng tiến trình đọc, có thể vì hết bộ nhớ", tech)
            if hasattr(signal, "SIGSEGV") and code == -signal.SIGSEGV:
                return Failure("file_crash", "trình đọc truy cập bộ nhớ sai", tech)
            return Failure("file_crash", "tiến trình đọc dừng đột ngột", tech)
        tech = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return Failure("file_crash", "lỗi của chương trình khi đọc tệp", tech[:500])


def _batches(jobs: list, sizes: list[int] | None, count: int) -> list[list]:
    """Consecutive runs of at most ``count`` jobs and (with ``sizes``) about BATCH_BYTES."""
    out: list[list] = []
    weight = 0
    for k, job in enumerate(jobs):
        w = sizes[k] if sizes else 0
        if not out or len(out[-1]) >= count or (weight and weight + w > BATCH_BYTES):
            out.append([])
            weight = 0
        out[-1].append(job)
        weight += w
    return out


def _last_line(scratch: str, pid: int | None) -> str:
    """What a dead worker last said on stderr (e.g. Rust's "memory allocation of N bytes failed")."""
    if pid is None:
        return ""
    try:
        lines = Path(scratch, f"worker-{pid}.log").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    lines = [ln.strip() for ln in lines if ln.strip()]
    telling = [ln for ln in lines if "memory allocation" in ln or "panicked" in ln or "Error" in ln]
    line = (telling or lines or [""])[-1]
    return f": {line[:300]}" if line else ""

"""Calls handed to a forked copy of this process, run on the other core while this one goes on.

A report's heaviest work is WeasyPrint laying out its PDFs (about 2 s of one core). Run here,
beside the notebook, it starves the papermill client of this process of the GIL (a 2 s notebook
took 3.3 s); a spawned process pays all its imports again. A forked copy starts in
milliseconds with this process's imports, and nothing it does slows this process.

The fork is made from the main thread before the kernel's thread is given anything for the
report (it is idle, or not started yet): no other thread of this process is running Python
code, and the child never touches the kernel's sockets (pyzmq leaves a parent's sockets alone
in a child). The kernel then boots while the child writes the annex. The child ignores Ctrl+C
(this process kills it) and ends by ``os._exit``; a child that uses no CPU for ``STALL``
seconds is killed and its calls run here.

Forking is used only on Linux and only with a core to spare (``HOCTAP_JOBS`` is not 1, and not
inside a worker, whose neighbour uses the other core). Everywhere else a call runs in this
process when its result is first asked for, so the caller's code is the same.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
import warnings
from collections import deque

from hoctap.errors import HoctapError, failure_reason

STALL = 60.0  # seconds a busy child may use no CPU before it is taken for dead (a lock it will never get)


def _resolve(name: str):
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def _run(name: str, args: tuple):
    return _resolve(name)(*args)


def _portable(exc: BaseException) -> bytes:
    """``exc`` pickled so that it unpickles here too; else a HoctapError with its reason."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:
        return pickle.dumps(HoctapError(failure_reason(exc)))


def _serve(conn) -> None:
    """The child's loop: (name, args) in, ("ok", result) or ("error", pickled exception) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            reply = ("ok", _run(*job))
        except BaseException as exc:  # every failure goes back to the caller, none is printed here
            reply = ("error", _portable(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # a result that does not pickle
            conn.send(("error", _portable(exc)))


def spare_core() -> bool:
    """Whether a forked helper would run on a core of its own."""
    if not sys.platform.startswith("linux") or mp.parent_process() is not None:
        return False
    jobs = os.environ.get("HOCTAP_JOBS", "").strip()
    if jobs.isdigit() and int(jobs) == 1:
        return False
    return (os.cpu_count() or 1) > 1


class Job:
    """One call's outcome, once ``result`` is asked for."""

    def __init__(self, helper: Helper, name: str, args: tuple) -> None:
        self.helper, self.name, self.args = helper, name, args
        self.done, self.value, self.error = False, None, None

    def wait(self) -> None:
        """Until the call is over (here: run it now); its error is kept for ``result``."""
        while not self.done:
            self.helper._settle_next()

    def result(self):
        self.wait()
        if self.error is not None:
            raise self.error
        return self.value


class Helper:
    """Calls run in order, in a forked child (``forked``) or here when asked for; ``with``
    waits for every call before it ends (no file is written after its stage)."""

    def __init__(self, forked: bool | None = None) -> None:
        self.pending: deque[Job] = deque()
        self.process = self.conn = None
        if forked if forked is not None else spare_core():
            try:
                self._fork()
            except OSError:  # no memory or no process left for a fork: everything runs here
                self.process = self.conn = None

    def _fork(self) -> None:
        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        with warnings.catch_warnings():  # Python 3.12 warns of any fork of a process with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="hoctap-helper")
            self.process.start()
        child.close()

    @property
    def forked(self) -> bool:
        return self.process is not None

    def submit(self, name: str, *args) -> Job:
        """``module:function`` called with ``args`` (picklable): in the child now, else here later."""
        job = Job(self, name, args)
        self.pending.append(job)
        if self.forked:
            try:
                self.conn.send((name, args))
            except (OSError, ValueError):  # the child is gone: this job and the next run here
                self._abandon()
        return job

    def _settle_next(self) -> None:
        job = self.pending[0]
        if self.forked:
            try:
                status, payload = self._receive()
            except _Stalled:
                self._abandon()  # the jobs it held run here instead
                return
            except (EOFError, OSError) as exc:
                self.pending.popleft()
                code = self._end(kill=True)
                job.done, job.error = (
                    True,
                    HoctapError(f"tiến trình phụ lập tệp dừng đột ngột (mã thoát {code}); sản phẩm cũ được giữ nguyên"),
                )
                job.error.__cause__ = exc
                return
            self.pending.popleft()
            job.done = True
            if status == "ok":
                job.value = payload
            else:
                job.error = pickle.loads(payload)
            return
        self.pending.popleft()
        try:
            job.value = _run(job.name, job.args)
        except Exception as exc:
            job.error = exc
        job.done = True

    def _receive(self):
        """The child's next reply; _Stalled when it is alive but has used no CPU for STALL s."""
        cpu, since = _cpu_ticks(self.process.pid), time.monotonic()
        while not self.conn.poll(1.0):
            if not self.process.is_alive():
                raise EOFError
            now = _cpu_ticks(self.process.pid)
            if now != cpu:
                cpu, since = now, time.monotonic()
            elif time.monotonic() - since > STALL:
                raise _Stalled
        return self.conn.recv()

    def _abandon(self) -> None:
        """Kill the child; the calls it had not answered run here."""
        self._end(kill=True)

    def _end(self, kill: bool) -> int | None:
        if self.process is None:
            return None
        process, conn, self.process, self.conn = self.process, self.conn, None, None
        try:
            if kill:
                process.kill()
            else:
                conn.send(None)
        except (OSError, ValueError):
            process.kill()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
        return process.exitcode

    def close(self) -> None:
        """Wait for every call (their errors are their callers'), then end the child."""
        try:
            while self.pending:
                self._settle_next()
        finally:
            self._end(kill=False)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None and not issubclass(exc_type, Exception):  # Ctrl+C: no waiting
            self.pending.clear()
            self._end(kill=True)
            return
        self.close()


class _Stalled(Exception):
    pass


def _cpu_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None

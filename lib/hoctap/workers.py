"""Worker processes that run pipeline stages side by side, each with its own Jupyter kernel.

The stages of a build are mostly independent (a year's report does not wait for the next
year's cleaning), and each is CPU-bound Python (pandas, matplotlib, WeasyPrint): two cores
take two at a time only in two processes. The parent keeps everything that decides (what is
stale, stamps, the log, the guard that puts products back after a failure); a worker only runs
one stage's action and sends back its progress lines and its error. A worker that dies is
replaced, and its stage fails alone.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
from collections.abc import Callable

from hoctap.errors import HoctapError, failure_reason
from hoctap.paths import Workspace

Progress = Callable[[str], None] | None


def _stopped(signum, frame) -> None:
    raise SystemExit(128 + signum)  # not an Exception: the Kernel's block kills its kernel (quietly) on the way out


def _serve(conn) -> None:
    """A worker's loop: (action, workspace, stage) in, ("ok" | "error", lines, error) out, None
    ends it. The action is a module-level function, pickled by name.

    Ctrl+C is the parent's to handle (a terminal sends it to every process of the command): the
    parent stops its workers with SIGTERM, on which a worker kills its kernel and ends quietly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)
    from hoctap.execute import Kernel

    with Kernel() as kernel:
        try:  # while the parent decides what to run first: the kernel and the renderers' imports
            kernel.warm()
            import hoctap.report.publish  # noqa: F401
        except Exception:
            kernel.close()  # the first run starts a kernel the usual way and reports what fails
        while True:
            try:
                job = conn.recv()
            except EOFError:
                return
            if job is None:
                return
            action, ws, stage = job
            lines: list[str] = []
            try:
                action(ws, stage, lines.append)
            except Exception as exc:  # sent to the parent, which records the stage as failed
                try:
                    pickle.dumps(exc)
                except Exception:
                    exc = HoctapError(failure_reason(exc))
                conn.send(("error", lines, exc))
            else:
                conn.send(("ok", lines, None))


class Worker:
    """One worker process; ``run`` blocks until its stage is done (call it from one thread)."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")  # no fork of a parent with threads; the same on Windows
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="hoctap-worker")
        self.process.start()
        child.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def run(self, action: Callable, ws: Workspace, stage, progress: Progress = None) -> None:
        """Run ``action(ws, stage, progress)`` in the worker; its progress lines go to
        ``progress``, its error is raised here."""
        try:
            self.conn.send((action, ws, stage))
            status, lines, error = self.conn.recv()
        except (EOFError, OSError) as exc:
            self.process.join(5)
            code = self.process.exitcode
            raise HoctapError(
                f"tiến trình chạy bước {stage.label} dừng đột ngột (mã thoát {code}); sản phẩm cũ được giữ nguyên"
            ) from exc
        for line in lines:
            if progress:
                progress(line)
        if status != "ok":
            raise error

    def stop(self) -> None:
        """End the worker now, its stage unfinished (Ctrl+C): SIGTERM, then SIGKILL."""
        if self.alive:
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def close(self) -> None:
        try:
            if self.alive:
                self.conn.send(None)
        except OSError:
            pass
        self.process.join(30)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        self.conn.close()

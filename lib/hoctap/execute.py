"""Run a notebook with papermill, alone or in a kernel shared by several runs.

A kernel start and the imports of pandas, matplotlib and the package cost about 2 s a notebook;
a build runs up to twenty. A ``Kernel`` keeps one kernel for the runs made in its ``with``
block; before each run the kernel's namespace is reset and its figures closed, so a notebook
sees only its own parameters (modules stay imported: their code cannot change during a build).
A kernel that died is replaced for the next run.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from hoctap import io
from hoctap.errors import HoctapError, NotebookError, reported_error_text
from hoctap.paths import NOTEBOOKS_DIR

Progress = Callable[[str], None] | None
KERNEL = "python3"
# ipykernel warns on every start that local TCP is unencrypted and logs the interrupt that ends
# it as an ERROR ("KeyboardInterrupt caught in kernel"); real failures come back as cell errors.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
_RESET = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import sys as _sys\n"
    "_sys.modules['matplotlib.pyplot'].close('all') if 'matplotlib.pyplot' in _sys.modules else None\n"
    "del _sys\n"
)


_local = threading.local()  # each thread's current Kernel


class Kernel:
    """One Jupyter kernel for the notebook runs inside ``with Kernel():`` (in this thread).

    Everything that touches the kernel (start, runs, reset, shutdown) happens in one thread of
    its own: jupyter_client's asyncio objects never cross threads, and a caller may go on with
    other work while a notebook runs (``submit``).
    """

    def __init__(self) -> None:
        self.km = None
        self.runs = 0
        self._outer: Kernel | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hoctap-kernel")

    def __enter__(self) -> Kernel:
        self._outer, _local.kernel = Kernel.current(), self
        return self

    def __exit__(self, exc_type, *exc) -> None:
        _local.kernel = self._outer
        if exc_type is not None and not issubclass(exc_type, Exception):  # Ctrl+C: no waiting for a run
            import logging

            logging.disable(logging.CRITICAL)  # nbclient's "Kernel died..." as it is killed: expected now
            self._kill()
        try:
            self.close()
        finally:
            self._thread.shutdown(wait=True)

    @staticmethod
    def current() -> Kernel | None:
        return getattr(_local, "kernel", None)

    def submit(self, fn: Callable, *args) -> Future:
        """``fn(*args)`` in the kernel's thread."""
        return self._thread.submit(fn, *args)

    def notebook(self, name: str, output: Path, parameters: dict, progress: Progress = None) -> Future:
        """``execute_notebook`` in this kernel, in its thread: the caller goes on meanwhile."""
        return self.submit(_execute_notebook, name, output, parameters, progress, self)

    def _kill(self) -> None:
        """End the kernel's process at once (from any thread); a run in it fails."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            process.kill()

    def manager(self):
        """The kernel manager for the next run: the running kernel, reset, or a new one (in the
        kernel's thread)."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        if self.km is not None and not run_sync(self.km.is_alive)():
            self._close()
        if self.km is None:
            self.km = AsyncKernelManager(kernel_name=KERNEL)
        elif self.runs:
            run_sync(self._reset)()
        return self.km

    def start(self) -> Future:
        """Start the kernel and its imports (unless it is running) in the kernel's thread, while
        the caller goes on; the thread is idle again once the future is done."""
        return self.submit(self._warm)

    def warm(self) -> None:
        """Start the kernel now and import what the notebooks import, while nothing waits for it
        (a worker before its first stage)."""
        self.start().result()

    def _warm(self) -> None:
        from jupyter_core.utils import run_sync

        os.environ.setdefault("MPLBACKEND", "Agg")
        self.km = self.manager()
        if self.km.has_kernel:
            return
        run_sync(self.km.start_kernel)(extra_arguments=KERNEL_ARGS, cwd=str(NOTEBOOKS_DIR))
        run_sync(self._execute)("import hoctap.api\n")
        self.runs = 1  # what it imported stays; the next run starts on a clean namespace

    async def _reset(self) -> None:
        await self._execute(_RESET)

    async def _execute(self, code: str) -> None:
        """``code`` run in the kernel; a kernel that dies meanwhile (killed on Ctrl+C) ends the
        wait at once instead of after the reply's timeout."""
        import asyncio

        kc = self.km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)  # it watches the kernel's process itself
            reply = asyncio.ensure_future(kc.execute_interactive(code, timeout=120, output_hook=lambda msg: None))
            while not (await asyncio.wait({reply}, timeout=0.25))[0]:
                if not await self.km.is_alive():
                    reply.cancel()
                    raise HoctapError("kernel Jupyter dừng đột ngột khi chuẩn bị chạy notebook")
            if reply.result()["content"]["status"] != "ok":
                raise HoctapError("kernel Jupyter không chạy được lệnh chuẩn bị giữa hai notebook")
        finally:
            kc.stop_channels()

    def close(self) -> None:
        """Shut the kernel down (after the run in progress, if any); a next run starts another."""
        self.submit(self._close).result()

    def _close(self) -> None:
        from jupyter_core.utils import run_sync

        if self.km is None:
            return
        km, self.km, self.runs = self.km, None, 0
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        finally:
            run_sync(km.cleanup_resources)()


def execute_notebook(name: str, output: Path, parameters: dict, progress: Progress = None) -> Path:
    """Run one notebook with papermill into ``output`` (in the current ``Kernel`` if there is
    one); a failing cell raises NotebookError, its notebook published to be read."""
    shared = Kernel.current()
    if shared is None:
        return _execute_notebook(name, output, parameters, progress, None)
    return shared.notebook(name, output, parameters, progress).result()


def _execute_notebook(name: str, output: Path, parameters: dict, progress: Progress, shared: Kernel | None) -> Path:
    import papermill as pm

    source = NOTEBOOKS_DIR / name
    if not source.is_file():
        raise HoctapError(f"không tìm thấy notebook {source}")
    output.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MPLBACKEND", "Agg")
    engine = {"km": shared.manager()} if shared else {}
    t0 = time.perf_counter()
    # papermill saves the notebook as it runs: into the staging folder, renamed when it stops, so a
    # killed run leaves no half-run notebook in reports/ (a failed one is published, to be read)
    tmp = io.temp_path(output, keep_suffix=True)
    try:
        pm.execute_notebook(
            str(source),
            str(tmp),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(NOTEBOOKS_DIR),
            progress_bar=False,
            log_output=False,
            extra_arguments=KERNEL_ARGS,
            **engine,
        )
    except pm.PapermillExecutionError as exc:
        io.publish(tmp, output)
        raise NotebookError(
            f"notebook {name} dừng ở ô {exc.cell_index}: {reported_error_text(exc.ename, exc.evalue)} (xem {output})",
            notebook=output,
            cell=exc.cell_index,
        ) from exc
    except OSError as exc:
        if exc.filename is None:  # papermill saving the notebook as it runs (a full disk): name the file
            raise OSError(exc.errno, exc.strerror, str(output)) from exc
        raise
    else:
        io.publish(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
        if shared:
            shared.runs += 1
    if progress:
        progress(f"  {name}: {time.perf_counter() - t0:.1f} giây")
    return output

"""Notebook runs in a shared kernel and stages in worker processes: real kernels, real processes.

A shared kernel must not leak one notebook's variables into the next, and a kernel or a
worker that dies fails its own run only.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from builders.crash import exit_now, write_pid
from hoctap.errors import HoctapError
from hoctap.execute import Kernel, execute_notebook
from hoctap.stages import Stage
from hoctap.workers import Worker


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = None", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _printed(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [o["text"].strip() for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]


def test_a_shared_kernel_runs_each_notebook_on_a_clean_namespace(tmp_path):
    first = _notebook(tmp_path / "a.ipynb", "import os\nleft_behind = 1\nprint(os.getpid(), x)")
    second = _notebook(tmp_path / "b.ipynb", "import os\nprint(os.getpid(), x, 'left_behind' in dir())")
    with Kernel() as kernel:
        execute_notebook(str(first), tmp_path / "a-out.ipynb", {"x": 1})
        execute_notebook(str(second), tmp_path / "b-out.ipynb", {"x": 2})
        assert kernel.runs == 2
    (pid_a, x_a), (pid_b, x_b, leaked) = (_printed(tmp_path / n)[0].split() for n in ("a-out.ipynb", "b-out.ipynb"))
    assert pid_a == pid_b, "one kernel for both runs"
    assert (x_a, x_b, leaked) == ("1", "2", "False"), "the second run sees only its own parameters"
    assert kernel.km is None  # shut down when the block ends


def test_a_kernel_that_dies_fails_its_run_and_the_next_run_gets_a_new_kernel(tmp_path):
    dying = _notebook(tmp_path / "dying.ipynb", "import os\nos._exit(3)")
    fine = _notebook(tmp_path / "fine.ipynb", "print('ok', x)")
    with Kernel():
        with pytest.raises(Exception) as failed:
            execute_notebook(str(dying), tmp_path / "dying-out.ipynb", {"x": 1})
        assert "Dead" in type(failed.value).__name__ or "died" in str(failed.value).lower()
        execute_notebook(str(fine), tmp_path / "fine-out.ipynb", {"x": 5})
    assert _printed(tmp_path / "fine-out.ipynb") == ["ok 5"]


def test_a_worker_that_dies_fails_its_stage_only(tmp_path):
    stage = Stage(key="thu", action="thu", label="Bước thử")
    worker = Worker()
    try:
        worker.run(write_pid, tmp_path, stage)
        first_pid = int((tmp_path / "pid").read_text())
        assert first_pid != os.getpid(), "the action ran in the worker process"
        with pytest.raises(HoctapError, match="dừng đột ngột"):
            worker.run(exit_now, tmp_path, stage)
        assert not worker.alive
    finally:
        worker.close()
    replacement = Worker()
    try:
        replacement.run(write_pid, tmp_path, stage, progress=(lines := []).append)
        assert int((tmp_path / "pid").read_text()) not in (first_pid, os.getpid())
        assert lines == ["  pid written"], "the worker's progress lines come back"
    finally:
        replacement.close()


def test_a_notebook_runs_in_the_kernel_thread_while_the_caller_works_and_the_next_sees_it_clean(tmp_path):
    """``Kernel.notebook`` returns at once; a run from the caller's thread afterwards uses the same
    kernel, reset (jupyter_client's objects stay in the kernel's own thread)."""
    import threading

    slow = _notebook(tmp_path / "slow.ipynb", "import os, time\ntime.sleep(1)\nmine = 1\nprint(os.getpid(), x)")
    after = _notebook(tmp_path / "after.ipynb", "import os\nprint(os.getpid(), x, 'mine' in dir())")
    with Kernel() as kernel:
        run = kernel.notebook(str(slow), tmp_path / "slow-out.ipynb", {"x": 1})
        assert not run.done(), "the caller goes on while the kernel works"
        caller = threading.current_thread().name
        assert run.result(timeout=120) == tmp_path / "slow-out.ipynb"
        execute_notebook(str(after), tmp_path / "after-out.ipynb", {"x": 2})
        assert threading.current_thread().name == caller
    (pid_a, x_a), (pid_b, x_b, leaked) = (
        _printed(tmp_path / n)[0].split() for n in ("slow-out.ipynb", "after-out.ipynb")
    )
    assert pid_a == pid_b and (x_a, x_b, leaked) == ("1", "2", "False")


def test_ctrl_c_during_a_run_ends_the_kernel_instead_of_waiting_for_it(tmp_path):
    import time

    endless = _notebook(tmp_path / "endless.ipynb", "import time\ntime.sleep(600)")
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with Kernel() as kernel:
            run = kernel.notebook(str(endless), tmp_path / "endless-out.ipynb", {"x": 1})
            while getattr(getattr(kernel.km, "provisioner", None), "process", None) is None:
                assert time.monotonic() - t0 < 60, "the kernel never started"
                time.sleep(0.1)
            time.sleep(1)
            raise KeyboardInterrupt
    assert time.monotonic() - t0 < 120, "the block ends without waiting ten minutes for the notebook"
    assert run.exception() is not None, "the run in the killed kernel failed"
    assert kernel.km is None


def test_a_kernel_killed_while_it_prepares_a_run_ends_the_wait_at_once():
    """Ctrl+C kills the kernel from the main thread while the kernel's thread waits on it (a reset
    between notebooks, the warm-up imports): the wait ends when the kernel dies, not after the
    reply's two-minute timeout."""
    import time

    from jupyter_core.utils import run_sync

    with Kernel() as kernel:
        kernel.warm()
        waiting = kernel.submit(lambda: run_sync(kernel._execute)("import time\ntime.sleep(60)\n"))
        time.sleep(1.0)
        t0 = time.monotonic()
        kernel._kill()
        with pytest.raises(HoctapError, match="dừng đột ngột"):
            waiting.result(timeout=60)
        assert time.monotonic() - t0 < 10

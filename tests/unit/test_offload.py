"""The forked helper of a report (``hoctap.offload``): real forks, real processes.

A call handed to the helper must give the same result or the same error as the call made here,
a helper that dies or hangs must fail or fall back without losing a call, and no call may still
be running when its ``with`` block ends (the stage's guard may be putting files back).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hoctap import offload
from hoctap.errors import HoctapError
from hoctap.offload import Helper

HERE = __name__


class Unpicklable(Exception):
    def __init__(self, handle) -> None:
        super().__init__("unpicklable")
        self.handle = handle

    def __reduce__(self):
        raise TypeError("cannot pickle this error")


def pid() -> int:
    return os.getpid()


def fail(message: str) -> None:
    raise ValueError(message)


def fail_unpicklably() -> None:
    raise Unpicklable(lambda: None)


def die(code: int) -> None:
    os._exit(code)


def hang_in_child(parent: int) -> int:
    """Blocks without using CPU in a child (a lock it never gets); runs at once in ``parent``."""
    if os.getpid() != parent:
        time.sleep(600)
    return os.getpid()


def write_late(path: str, text: str) -> str:
    time.sleep(0.3)
    Path(path).write_text(text)
    return text


def test_a_forked_helper_runs_calls_in_another_process_in_order():
    with Helper(forked=True) as helper:
        assert helper.forked
        first, second = helper.submit(f"{HERE}:pid"), helper.submit("os.path:join", "a", "b")
        assert first.result() != os.getpid(), "run in the child"
        assert second.result() == os.path.join("a", "b")
    assert not helper.forked, "the child is gone once the block ends"


def test_an_error_in_the_child_is_the_callers_error_and_the_helper_goes_on():
    with Helper(forked=True) as helper:
        failing = helper.submit(f"{HERE}:fail", "ô C7 không phải là số")
        after = helper.submit(f"{HERE}:pid")
        with pytest.raises(ValueError, match="ô C7 không phải là số"):
            failing.result()
        assert after.result() != os.getpid()


def test_an_error_that_does_not_pickle_comes_back_as_one_line():
    with Helper(forked=True) as helper:
        job = helper.submit(f"{HERE}:fail_unpicklably")
        with pytest.raises(HoctapError, match="unpicklable"):
            job.result()


def test_a_child_that_dies_fails_its_call_in_vietnamese_and_the_next_calls_run_here():
    with Helper(forked=True) as helper:
        dying = helper.submit(f"{HERE}:die", 9)
        with pytest.raises(HoctapError, match="mã thoát 9") as failed:
            dying.result()
        assert "sản phẩm cũ được giữ nguyên" in str(failed.value)
        assert not helper.forked
        assert helper.submit(f"{HERE}:pid").result() == os.getpid()


def test_a_child_that_hangs_without_cpu_is_killed_and_its_calls_run_here(monkeypatch):
    monkeypatch.setattr(offload, "STALL", 1.0)
    t0 = time.monotonic()
    with Helper(forked=True) as helper:
        child = helper.process.pid
        hung = helper.submit(f"{HERE}:hang_in_child", os.getpid())
        queued = helper.submit(f"{HERE}:pid")
        assert hung.result() == os.getpid(), "run here after the child was given up"
        assert queued.result() == os.getpid()
    assert time.monotonic() - t0 < 30
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]


def test_the_block_ends_only_when_every_call_is_over(tmp_path):
    target = tmp_path / "late.txt"
    with Helper(forked=True) as helper:
        helper.submit(f"{HERE}:write_late", str(target), "xong")  # its result is never asked for
    assert target.read_text() == "xong"


def test_ctrl_c_kills_the_child_without_waiting(tmp_path):
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt), Helper(forked=True) as helper:
        child = helper.process
        helper.submit("time:sleep", 60)
        raise KeyboardInterrupt
    assert time.monotonic() - t0 < 15 and not child.is_alive()


def test_without_a_fork_calls_run_here_when_first_asked_for(tmp_path):
    target = tmp_path / "late.txt"
    helper = Helper(forked=False)
    job = helper.submit(f"{HERE}:write_late", str(target), "ở đây")
    assert not target.exists(), "nothing runs before it is asked for"
    assert job.result() == "ở đây" and target.read_text() == "ở đây"
    with pytest.raises(ValueError):
        helper.submit(f"{HERE}:fail", "x").result()
    helper.close()


@pytest.mark.parametrize(("jobs", "expected"), [("1", False), ("2", True), ("", True)])
def test_a_fork_only_with_a_core_to_spare(monkeypatch, jobs, expected):
    monkeypatch.setenv("HOCTAP_JOBS", jobs)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert offload.spare_core() is expected
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert offload.spare_core() is False

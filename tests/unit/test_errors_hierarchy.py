"""hoctap's errors: one hierarchy under HoctapError, each surviving a trip through pickle.

Workers of the cleaning pool raise inside another process: an error that cannot be pickled back,
or that loses its fields on the way, turns a clear message into a pool crash.
"""

from __future__ import annotations

import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from hoctap import errors
from hoctap.errors import (
    HoctapError,
    InputError,
    NotebookError,
    OutputError,
    ReferenceDataError,
    reported_error_text,
)

CASES = [
    HoctapError("thiếu lệnh"),
    ReferenceDataError("Thiếu tệp dữ liệu tham chiếu: schools.csv"),
    OutputError("ổ đĩa đã đầy"),
    InputError("chưa có thư mục dữ liệu data/raw/2025", path=Path("data/raw/2025")),
    InputError("chưa có số liệu năm nào"),
    NotebookError("notebook 03 dừng ở ô 4: lỗi", notebook=Path("reports/2025/03.ipynb"), cell=4),
    NotebookError("notebook không có nội dung báo cáo"),
]


def _fields(exc: BaseException) -> dict:
    return {"type": type(exc), "args": exc.args, "text": str(exc), **vars(exc)}


@pytest.mark.parametrize("exc", CASES, ids=lambda e: type(e).__name__)
def test_every_error_is_a_hoctap_error_and_survives_pickling(exc):
    assert isinstance(exc, HoctapError)
    back = pickle.loads(pickle.dumps(exc))
    assert _fields(back) == _fields(exc)


def test_structured_fields_are_kept():
    exc = pickle.loads(pickle.dumps(CASES[5]))
    assert (exc.notebook, exc.cell) == (Path("reports/2025/03.ipynb"), 4)
    assert pickle.loads(pickle.dumps(CASES[3])).path == Path("data/raw/2025")
    assert (CASES[6].notebook, CASES[6].cell) == (None, None)


def test_the_module_defines_no_error_outside_the_hierarchy():
    classes = [v for v in vars(errors).values() if isinstance(v, type) and issubclass(v, Exception)]
    assert classes and all(issubclass(c, HoctapError) for c in classes)
    assert {c.__name__ for c in classes} == {
        "HoctapError",
        "ReferenceDataError",
        "OutputError",
        "InputError",
        "NotebookError",
    }


def _raise_in_worker(kind: str) -> None:
    if kind == "input":
        raise InputError("Không có thư mục dữ liệu thô của năm 2025", path=Path("raw/2025"))
    raise NotebookError("ô 2 của notebook có lỗi", notebook="03-annual-report.ipynb", cell=2)


def test_an_error_raised_in_a_worker_process_arrives_whole():
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.raises(InputError, match="năm 2025") as caught:
            pool.submit(_raise_in_worker, "input").result()
        assert caught.value.path == Path("raw/2025")
        with pytest.raises(NotebookError) as caught:
            pool.submit(_raise_in_worker, "notebook").result()
        assert (caught.value.notebook, caught.value.cell) == ("03-annual-report.ipynb", 2)


@pytest.mark.parametrize("name", ["HoctapError", "InputError", "NotebookError", "OutputError"])
def test_a_kernel_reported_own_error_keeps_its_vietnamese_text(name):
    assert reported_error_text(name, "năm 2025 chưa có số liệu") == "năm 2025 chưa có số liệu"
    assert reported_error_text("KeyError", "'x'").startswith("lỗi ngoài dự kiến")

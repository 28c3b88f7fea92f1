"""Errors that end a command with a one-line reason for the analyst (in Vietnamese)."""

from __future__ import annotations

import errno
import re


class HoctapError(Exception):
    """A command cannot go on: bad arguments or unusable inputs. The message is for people."""


class ReferenceDataError(HoctapError):
    """Reference data (reference/*.csv, settings.toml) missing or unusable; names file and column."""


class OutputError(HoctapError):
    """An output could not be written (read-only folder, full disk...); the previous one is intact."""


class InputError(HoctapError):
    """The raw inputs cannot be used as asked (no folder or no data for a year); ``path`` names
    the folder or file concerned, when there is one."""

    def __init__(self, message: str, path: object = None):
        super().__init__(message)
        self.path = path


class NotebookError(HoctapError):
    """A notebook stopped on an error, or holds no document: the report is not published.

    ``notebook`` is its name or path, ``cell`` the index of the failing cell (None: not known).
    """

    def __init__(self, message: str, notebook: object = None, cell: int | None = None):
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell


# Raised in a worker process, an error crosses back pickled: BaseException pickles ``args`` (the
# message) and restores the fields from ``__dict__``, so every field above must be optional.


_ERRNO_IN_TEXT = re.compile(r"\[errno (\d+)\]", re.IGNORECASE)


def os_errno(exc: BaseException) -> int | None:
    """The errno of an OSError, also when a library (pyarrow) only puts it in the message."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return code
    m = _ERRNO_IN_TEXT.search(str(exc))
    return int(m.group(1)) if m else None


def os_error_text(exc: BaseException, path: object = None, writing: bool | None = True) -> str:
    """One Vietnamese sentence for an operating-system error, naming the file concerned.

    ``writing`` says what was being done (None: not known), for the words of a permission error.
    """
    code = os_errno(exc)
    where = str(path or getattr(exc, "filename", None) or "").strip()
    target = f" {where}" if where else ""
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"ổ đĩa đã đầy (hết dung lượng hoặc hết hạn mức) khi ghi{target}; "
            "giải phóng dung lượng rồi chạy lại (các kết quả cũ vẫn còn nguyên)"
        )
    if code == errno.EFBIG:
        return f"tệp{target} vượt quá kích thước tệp cho phép trên máy này; giải phóng dung lượng hoặc báo người quản trị máy"
    if code == errno.EROFS:
        return (
            f"thư mục chỉ cho phép đọc nên không ghi được{target}; "
            "chọn thư mục khác bằng --data-dir hoặc --reports-dir, hoặc nhờ người quản trị mở quyền ghi"
        )
    if code in (errno.EACCES, errno.EPERM):
        verb = {True: "ghi", False: "đọc"}.get(writing, "truy cập")
        return (
            f"không có quyền {verb}{target}; kiểm tra quyền của thư mục, "
            "hoặc đóng tệp nếu đang mở bằng Excel, rồi chạy lại"
        )
    if code == errno.ENOENT:
        return f"không tìm thấy{target or ' tệp hoặc thư mục'}; kiểm tra lại đường dẫn"
    if code == errno.EISDIR:
        return f"{where or 'đường dẫn'} là một thư mục, không phải tệp"
    if code == errno.ENOTDIR:
        return f"một phần của đường dẫn{target} không phải thư mục"
    if code == errno.EIO:
        return f"lỗi đọc/ghi ổ đĩa với{target}; kiểm tra ổ đĩa hoặc thẻ nhớ rồi chạy lại"
    name = errno.errorcode.get(code, "") if code is not None else ""
    verb = "ghi" if writing else "truy cập"
    return (
        f"lỗi hệ thống khi {verb}{target}"
        + (f" (mã {name})" if name else "")
        + "; kiểm tra ổ đĩa và quyền truy cập rồi chạy lại"
    )


_OWN_ERROR_NAMES = {
    "HoctapError",
    "ReferenceDataError",
    "OutputError",
    "InputError",
    "NotebookError",
}
_OS_ERROR_NAMES = {
    "OSError",
    "IOError",
    "PermissionError",
    "FileNotFoundError",
    "IsADirectoryError",
    "NotADirectoryError",
    "FileExistsError",
    "OutputError",
}
_OS_TEXT = re.compile(r"\[Errno (\d+)\][^:]*(?::\s*'(.*)')?")


def reported_error_text(ename: str, evalue: str) -> str:
    """Vietnamese text of an exception known only by name and message (from a notebook kernel).

    The project's own errors are already Vietnamese; an operating-system error is translated;
    anything else keeps its technical text, marked as unexpected.
    """
    if ename in _OWN_ERROR_NAMES:
        return evalue
    if ename in _OS_ERROR_NAMES:
        m = _OS_TEXT.search(evalue)
        if m:
            return os_error_text(OSError(int(m.group(1)), ""), m.group(2), writing=None)
    return f"lỗi ngoài dự kiến ({ename}: {evalue})"


def failure_reason(exc: BaseException) -> str:
    """The one-line Vietnamese reason of a stage's failure, whatever was raised."""
    if isinstance(exc, HoctapError):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = os_error_text(exc, writing=None)
    else:
        text = f"lỗi ngoài dự kiến ({type(exc).__name__}: {exc})"
    return " ".join(text.split())

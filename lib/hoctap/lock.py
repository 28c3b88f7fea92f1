"""One writing command at a time on a workspace.

Two builds on one data folder (a second terminal, two analysts on a shared drive) would each
write every file atomically, yet a stamp could then describe products of the other run. A
command that writes holds an operating-system lock on ``processed/.lock``: the system releases
it when the process ends, however it ends, so a killed run leaves nothing stale behind. A second
command stops at once with one line naming the first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from hoctap.catalog import Catalog
from hoctap.errors import HoctapError
from hoctap.paths import Workspace

_HELD: dict[Path, int] = {}  # locks this process holds -> nesting depth
_NOTE_AT = 16  # the holder's description starts past the locked byte (Windows cannot read a locked byte)


class WorkspaceBusy(HoctapError):
    """Another command is writing the same workspace."""


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it down."""
    try:
        os.lseek(fd, _NOTE_AT, os.SEEK_SET)
        note = json.loads(os.read(fd, 4096).decode("utf-8"))
        started = dt.datetime.fromisoformat(note["started"])
        return (
            f"lệnh `hoctap {note['command']}` (tiến trình {note['pid']} trên máy {note['host']}, "
            f"bắt đầu lúc {started:%H:%M %d/%m/%Y})"
        )
    except (OSError, ValueError, KeyError, TypeError):
        return "một lệnh hoctap khác"


def _write_note(fd: int, command: str) -> None:
    note = {
        "command": command,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started": dt.datetime.now().isoformat(timespec="seconds"),
    }
    with contextlib.suppress(OSError):
        os.ftruncate(fd, _NOTE_AT)
        os.lseek(fd, _NOTE_AT, os.SEEK_SET)
        os.write(fd, json.dumps(note, ensure_ascii=False).encode("utf-8"))


def _open(path: Path, create: bool) -> int | None:
    """The lock file's descriptor; None where its folder is missing or it cannot be opened."""
    if not path.parent.is_dir():
        return None
    flags = os.O_RDWR | (os.O_CREAT if create else 0) | getattr(os, "O_BINARY", 0)
    try:
        return os.open(path, flags, 0o644)
    except OSError:
        return None


@contextlib.contextmanager
def exclusive(ws: Workspace, command: str) -> Iterator[None]:
    """Hold the workspace's lock for ``command`` (nested calls in this process share it); raise
    WorkspaceBusy when another process holds it. Nothing is created for it: a workspace without
    a processed folder yet (or a mistyped --data-dir) is left unlocked, and so is one where the
    lock cannot be opened (a read-only folder); the command fails there with its own reason."""
    path = Catalog(ws).path("build_lock")
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    fd = _open(path, create=True)
    if fd is None:
        yield
        return
    try:
        if not _try_lock(fd):
            raise WorkspaceBusy(
                f"thư mục dữ liệu {ws.data_dir} đang bận: {_holder(fd)} đang ghi vào đó; "
                "chờ lệnh đó chạy xong rồi chạy lại"
            )
        _write_note(fd, command)
        _HELD[path] = 1
        try:
            yield
        finally:
            del _HELD[path]
    finally:
        os.close(fd)  # releases the lock


def holder(ws: Workspace) -> str | None:
    """Who is writing the workspace now (None: nobody), without waiting and without holding it."""
    path = Catalog(ws).path("build_lock")
    if path in _HELD:
        return None
    fd = _open(path, create=False)
    if fd is None:
        return None
    try:
        return None if _try_lock(fd) else _holder(fd)
    finally:
        os.close(fd)

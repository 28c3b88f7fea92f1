"""Files of a year: which are read, which ignored, and which version of a school's report wins.

The raw folder is only ever read: entries are listed without following links, regular files
are hashed through a descriptor opened without blocking (a FIFO is never opened), and nothing
is written. Every entry that is not an ordinary folder becomes one row of intake.csv: regular
files, special files (FIFO, socket, device), links, and folders named like a workbook.

Links are never followed, not even to a file inside the year folder: the target is its own
entry when it lies there, and reading the link too would count one report twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hoctap.intake import formats


@dataclass
class FileEntry:
    path: Path  # absolute; may hold surrogate escapes for a name that is not valid UTF-8
    rel: str  # relative to raw/, POSIX separators, valid UTF-8 (undecodable bytes as \\xNN)
    size: int
    sha256: str
    ignored: bool
    code: str = ""  # rules.csv code of an ignored entry (ignored_file, ignored_link, ...)
    params: dict = field(default_factory=dict)  # its message parameters


def display(name: str) -> str:
    """A file name as valid UTF-8: bytes that are not UTF-8 shown as \\xNN escapes."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _sort_key(entry: os.DirEntry) -> bytes:
    return os.fsencode(entry.name)


def is_ignored(rel_parts: tuple[str, ...]) -> bool:
    """Lock files (~$) and hidden files or folders, whatever their content."""
    name = rel_parts[-1]
    return name.startswith("~$") or any(part.startswith(".") for part in rel_parts)


def sha256_of(path: Path) -> str:
    return _hash_regular(path)[0]


def _hash_regular(path) -> tuple[str, bytes, int]:
    """(sha256, first bytes, size) of a regular file; OSError for anything else.

    O_NONBLOCK: opening a FIFO that replaced the file since it was listed must not block.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {path!r}")
        h = hashlib.sha256()
        head = b""
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                if not head:
                    head = chunk[: formats.HEAD_BYTES]
                h.update(chunk)
        return h.hexdigest(), head, st.st_size
    finally:
        os.close(fd)


def classify(path: Path, rel: str, rel_parts: tuple[str, ...]) -> FileEntry:
    """The entry of one regular file: read, or ignored with the reason (shared by check and clean)."""
    try:
        digest, head, size = _hash_regular(path)
    except OSError as exc:
        return unopened(path, rel, exc)
    if is_ignored(rel_parts):
        return FileEntry(path, rel, size, digest, True, "ignored_file")
    decision = formats.decide(rel_parts[-1], path, head)
    if decision.read:
        return FileEntry(path, rel, size, digest, False)
    return FileEntry(path, rel, size, digest, True, decision.code, decision.params)


def unopened(path, rel: str, exc: OSError) -> FileEntry:
    """The entry of a listed file that could not be opened or looked at.

    Only what the file is (lstat) makes it special: a FIFO, socket or device, whatever its
    permissions. A regular file, or one whose kind cannot be learnt because access is denied
    (a 000 file, a folder without the search permission), is unreadable: its permissions are
    the analyst's to fix, it is not "not a regular file"."""
    try:
        mode = os.lstat(path).st_mode
    except OSError as lexc:
        mode, exc = None, exc if isinstance(exc, PermissionError) else lexc
    if mode is not None and not stat.S_ISREG(mode):
        detail = _special_kind(path, exc)
        return FileEntry(path, rel, 0, "", True, "ignored_special", {"detail": detail})
    if isinstance(exc, PermissionError):
        why = "không có quyền đọc"
    elif isinstance(exc, FileNotFoundError):
        why = "tệp đã bị xóa hoặc đổi tên trong lúc đọc"
    else:
        why = "lỗi khi đọc tệp"
    return FileEntry(path, rel, 0, "", True, "ignored_unreadable", {"detail": why})


def _special_kind(path, exc: OSError | None = None) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "không đọc được"
    if stat.S_ISFIFO(mode):
        return "ống dẫn FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "tệp thiết bị"
    if stat.S_ISDIR(mode):
        return "thư mục"
    return "không đọc được" if exc is not None else "tệp đặc biệt"


def discover(raw_root: Path, year_dir: Path) -> list[FileEntry]:
    """Every entry under ``year_dir`` (recursively), sorted by path so runs are reproducible.

    Walks with os.scandir and never follows a link; one unreadable folder or odd name is one
    ignored row, never a stopped run.
    """
    year_real = os.path.realpath(year_dir)
    base = display(os.path.relpath(year_dir, raw_root)).replace(os.sep, "/")
    out: list[FileEntry] = []

    def walk(folder: str, parts: tuple[str, ...]) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_sort_key)
        except OSError as exc:
            if parts:
                denied = isinstance(exc, PermissionError)
                why = "không có quyền mở" if denied else "lỗi khi mở thư mục"
                out.append(
                    FileEntry(
                        Path(folder),
                        "/".join((base, *parts)),
                        0,
                        "",
                        True,
                        "ignored_folder_unreadable",
                        {"detail": why},
                    )
                )
            return
        for e in entries:
            shown = (*parts, display(e.name))
            rel = "/".join((base, *shown))
            try:
                if e.is_symlink():
                    out.append(
                        FileEntry(
                            Path(e.path),
                            rel,
                            0,
                            "",
                            True,
                            "ignored_link",
                            {"detail": _link_detail(e.path, year_real, raw_root)},
                        )
                    )
                elif e.is_dir(follow_symlinks=False):
                    if formats.declared_kind(e.name):
                        out.append(
                            FileEntry(
                                Path(e.path),
                                rel,
                                0,
                                "",
                                True,
                                "ignored_folder",
                                {"detail": "các tệp bên trong, nếu có, được xét riêng"},
                            )
                        )
                    walk(e.path, shown)
                elif e.is_file(follow_symlinks=False):
                    out.append(classify(Path(e.path), rel, (*parts, e.name)))
                else:
                    out.append(
                        FileEntry(
                            Path(e.path),
                            rel,
                            0,
                            "",
                            True,
                            "ignored_special",
                            {"detail": _special_kind(e.path)},
                        )
                    )
            except OSError as exc:  # vanished or unreadable between listing and looking
                out.append(unopened(Path(e.path), rel, exc))

    walk(os.fspath(year_dir), ())
    return sorted(out, key=lambda f: f.rel)


def _link_detail(link: str, year_real: str, raw_root: Path) -> str:
    """What a link points to, in Vietnamese, without opening the target."""
    try:
        st = os.stat(link)  # follows the link: only to learn what is there
    except OSError as exc:
        import errno

        return "vòng lặp (liên kết trỏ về chính nó)" if exc.errno == errno.ELOOP else "bị hỏng (đích không còn)"
    target = os.path.realpath(link)
    inside = os.path.commonpath([target, year_real]) == year_real
    if stat.S_ISDIR(st.st_mode):
        return "trỏ tới một thư mục"
    if not inside:
        return "trỏ ra ngoài thư mục năm"
    if not stat.S_ISREG(st.st_mode):
        return "trỏ tới một tệp đặc biệt"
    shown = display(os.path.relpath(target, os.path.realpath(raw_root))).replace(os.sep, "/")
    return f"trỏ tới tệp {shown} trong thư mục năm (tệp đó được xét riêng)"


@dataclass
class Version:
    rel: str
    report_date: dt.date
    fingerprint: str


def choose_versions(versions: list[Version]) -> dict[str, tuple[str, str]]:
    """rel -> (status, other): the latest report_date wins, older ones are superseded.

    Several files on the latest date: identical figures keep one (the first path), different
    figures reject all of them until the analyst removes one (rule version_conflict).
    """
    if not versions:
        return {}
    latest = max(v.report_date for v in versions)
    top = sorted((v for v in versions if v.report_date == latest), key=lambda v: v.rel)
    out: dict[str, tuple[str, str]] = {}
    if len({v.fingerprint for v in top}) > 1:
        for v in top:
            out[v.rel] = ("version_conflict", ", ".join(o.rel for o in top if o is not v))
        winner = None
    else:
        winner = top[0]
        out[winner.rel] = ("accepted", "")
        for v in top[1:]:
            out[v.rel] = ("superseded", winner.rel)
    for v in versions:
        if v.rel not in out:
            out[v.rel] = ("superseded", winner.rel if winner else ", ".join(o.rel for o in top))
    return out

"""``hoctap check FILE...``: validate workbooks the way ``clean`` does, before a school sends them.

No year folder is needed: the year is the one written in the workbook (or, with ``--year``, the
year the school is reporting for, so a file copied from last year is caught), and the checks
that need other files (versions, duplicates between schools, history outliers) are skipped.
Which files are read is the decision ``clean`` makes (intake.classify, formats.decide), and the
reading runs in a bounded worker process (sandbox), so a file that crashes the reader is a
message here too, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from hoctap.cleaning import rules
from hoctap.cleaning.assess import assess, issue_row
from hoctap.intake.discovery import FileEntry, classify, display, unopened
from hoctap.intake.sandbox import Failure, Sandbox
from hoctap.intake.workbook import Finding, Submission, read_workbook
from hoctap.paths import Workspace
from hoctap.reference import Reference

_TAG = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "THÔNG TIN"}
_ORDER = {"error": 0, "warning": 1, "info": 2}


# Paths that name no file at all: the message shows the path as typed, with no "fix the file".
_NOT_A_FILE = ("file_missing", "file_is_folder")


def _entry(path: Path) -> FileEntry:
    """The intake decision for a file named on the command line (ignored, with the rule code,
    when it is missing, a folder or unreadable).

    A link given by the user is followed (they named it); clean never follows links.
    """
    shown = display(str(path))
    try:
        st = os.stat(path)
    except PermissionError as exc:  # a folder on the way that may not be searched
        return unopened(path, shown, exc)
    except (OSError, ValueError):  # missing, a broken link or a loop, an impossible name
        return FileEntry(path, shown, 0, "", True, "file_missing")
    if os.path.isdir(path):
        return FileEntry(path, shown, 0, "", True, "file_is_folder")
    real = Path(os.path.realpath(path)) if os.path.islink(path) else path
    entry = classify(real, display(real.name), (real.name,))
    entry.size = entry.size or st.st_size
    return entry


def _failed(path: Path, failure: Failure) -> Submission:
    return Submission(
        path=Path(path),
        fatal=failure.code,
        fatal_detail=failure.detail,
        fatal_technical=failure.technical,
    )


def read_contained(paths: list[Path]) -> list[Submission]:
    """read_workbook of each path in bounded worker processes, in order."""
    if not paths:
        return []
    with Sandbox(workers=min(2, len(paths))) as box:
        return box.map(read_workbook, list(paths), on_error=_failed)


def _shown(entry: FileEntry, name: str) -> str:
    """The name in an ignored entry's message: the path as typed when it names no file."""
    return entry.rel if entry.code in _NOT_A_FILE else name


def _ignored_issue(entry: FileEntry, name: str, year: int | None) -> dict:
    finding = Finding(entry.code, value=_shown(entry, name), params=entry.params)
    return issue_row(name, year or 0, finding)


def check_file(path: Path, ref: Reference, year: int | None = None) -> list[dict]:
    """Issues of one workbook (dicts with the issues.csv columns), read in a worker process."""
    path = Path(path)
    entry = _entry(path)
    name = display(path.name)
    if entry.ignored:
        return [_ignored_issue(entry, name, year)]
    (sub,) = read_contained([entry.path])
    return assess(name, sub, ref, year).issues


def run_check(paths: list[Path], ws: Workspace, year: int | None = None) -> int:
    """Print the problems of each file in Vietnamese; 1 when any file has an error, else 0.

    A file that ``clean`` would not read (another format, a lock file...) counts as an error:
    sent as it is, it would not be counted.
    """
    ref = Reference(ws.reference_dir)
    paths = [Path(p) for p in paths]
    entries = [_entry(p) for p in paths]
    to_read = [e.path for e in entries if not e.ignored]
    subs = iter(read_contained(to_read))
    any_error = False
    for path, entry in zip(paths, entries, strict=True):
        print(f"== {display(str(path))}")
        name = display(path.name)
        if entry.ignored:
            print(f"  [LỖI] {rules.message(entry.code, value=_shown(entry, name), **entry.params)}")
            if entry.code not in _NOT_A_FILE:
                print("  => Tệp này sẽ không được đọc khi gửi; sửa theo hướng dẫn trên rồi kiểm tra lại.")
            any_error = True
            continue
        issues = assess(name, next(subs), ref, year).issues
        issues.sort(
            key=lambda i: (
                _ORDER[i["severity"]],
                i["sheet"] or "",
                i["row"] or 0,
                i["column"] or "",
            )
        )
        errors = sum(i["severity"] == "error" for i in issues)
        warnings = sum(i["severity"] == "warning" for i in issues)
        for i in issues:
            print(f"  [{_TAG[i['severity']]}] {i['message']}")
        if errors:
            any_error = True
            print(f"  => {errors} lỗi, {warnings} cảnh báo: sửa các lỗi rồi kiểm tra lại trước khi gửi.")
        elif warnings:
            print(f"  => Không có lỗi; {warnings} cảnh báo: kiểm tra lại các số liệu được nêu.")
        else:
            print("  => Tệp hợp lệ, có thể gửi.")
    return 1 if any_error else 0

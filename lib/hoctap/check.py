"""``hoctap check FILE...``: validate workbooks the way ``clean`` does, before a school sends them.

No year folder is needed: the year is the one written in the workbook (or, with ``--year``, the
year the school is reporting for, so a file copied from last year is caught), and the checks
that need other files (versions, duplicates between schools, history outliers) are skipped.
"""

from __future__ import annotations

from pathlib import Path

from .clean import assess
from .paths import Workspace
from .reference import Reference
from .workbook import read_workbook

_TAG = {"error": "LỖI", "warning": "CẢNH BÁO", "info": "THÔNG TIN"}


def check_file(path: Path, ref: Reference, year: int | None = None) -> list[dict]:
    """Issues of one workbook (dicts with the issues.csv columns)."""
    sub = read_workbook(path)
    return assess(path.name, sub, ref, year).issues


def run_check(paths: list[Path], ws: Workspace, year: int | None = None) -> int:
    """Print the problems of each file in Vietnamese; 1 when any file has an error, else 0."""
    ref = Reference(ws.reference_dir)
    any_error = False
    for path in paths:
        path = Path(path)
        print(f"== {path}")
        if not path.is_file():
            print("  [LỖI] Không tìm thấy tệp; kiểm tra lại đường dẫn.")
            any_error = True
            continue
        issues = check_file(path, ref, year)
        order = {"error": 0, "warning": 1, "info": 2}
        issues.sort(key=lambda i: (order[i["severity"]], i["sheet"] or "", i["row"] or 0, i["column"] or ""))
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

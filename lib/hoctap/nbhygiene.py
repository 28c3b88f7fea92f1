"""Notebooks are committed without outputs: list those that have any (``python -m hoctap.nbhygiene``)."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat


def notebooks_with_outputs(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        if any(c.get("outputs") or c.get("execution_count") for c in nb.cells if c.cell_type == "code"):
            found.append(path)
    return found


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else "notebooks")
    bad = notebooks_with_outputs(folder)
    for path in bad:
        print(f"Notebook có kết quả chạy (cần xóa trước khi commit): {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

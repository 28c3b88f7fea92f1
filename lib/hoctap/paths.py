"""The one place that resolves every path of a workspace.

A workspace is a data folder with ``raw/``, ``reference/`` and ``processed/``, plus a reports
folder. The repository's ``data/`` and ``reports/`` are the default workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SHIPPED_REFERENCE_DIR = PROJECT_ROOT / "data" / "reference"
RESOURCES_DIR = Path(__file__).resolve().parent / "resources"


@dataclass(frozen=True)
class Workspace:
    data_dir: Path
    reports_dir: Path

    def __post_init__(self) -> None:
        # outputs of this workspace are staged in <data>/.staging, never beside published files
        from hoctap.io import register_workspace

        register_workspace(self.data_dir, self.reports_dir)

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / ".staging"

    @classmethod
    def at(cls, data_dir: str | Path = "data", reports_dir: str | Path = "reports") -> Workspace:
        return cls(Path(data_dir).resolve(), Path(reports_dir).resolve())

    @property
    def raw_root(self) -> Path:
        return self.data_dir / "raw"

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def processed_root(self) -> Path:
        return self.data_dir / "processed"

    def raw(self, year: int) -> Path:
        return self.raw_root / str(year)

    def processed(self, year: int) -> Path:
        return self.processed_root / str(year)

    def period(self, kind: str, year_from: int, year_to: int) -> Path:
        return self.processed_root / "periods" / f"{kind}-{year_from}-{year_to}"

    def reports_year(self, year: int) -> Path:
        return self.reports_dir / str(year)

    def reports_period(self, kind: str, year_from: int, year_to: int) -> Path:
        return self.reports_dir / f"{kind}-{year_from}-{year_to}"

    def feedback_dir(self, year: int) -> Path:
        return self.reports_year(year) / "phan-hoi"

    def raw_years(self) -> list[int]:
        if not self.raw_root.is_dir():
            return []
        return sorted(int(p.name) for p in self.raw_root.iterdir() if p.is_dir() and p.name.isdigit())

    def processed_years(self) -> list[int]:
        if not self.processed_root.is_dir():
            return []
        return sorted(int(p.name) for p in self.processed_root.iterdir() if p.is_dir() and p.name.isdigit())

"""The data catalog: every file the package writes, named once with its path, format and columns.

Code asks the catalog for a dataset by name (``catalog.read("intake", year=2025)``) and never
builds a file name itself, so a file is renamed in one place and nobody guesses the columns of
a file the package wrote. Patterns are kedro-style dataset factories: ``processed/{year}/...``
lives in the workspace's processed folder, ``reports/...`` in its reports folder; ``Workspace``
stays the one resolver of those folders.

Columns are "at least": ``columns`` come first in their order, then the ``optional`` ones the
frame has (written today, not required of a file: diagnostics), then any extra column, then
``tail`` (declared columns whose place follows a variable block, e.g. the template's fields).
Writes are atomic (``hoctap.io``): a write refused for a missing column leaves the old file whole.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hoctap import io
from hoctap.errors import HoctapError
from hoctap.paths import Workspace

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("csv", "parquet")
FORMATS = (*TABLES, "text", "jsonl", "json", "html", "pdf", "xlsx", "docx", "ipynb", "folder")
ROOTS = ("processed", "reports", "narrative")


@dataclass(frozen=True)
class Dataset:
    """One file (or family of files) the package writes; ``pattern`` starts with a root."""

    name: str
    pattern: str
    format: str
    columns: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    doc: str = ""
    optional: tuple[str, ...] = ()
    made_by: str = ""  # the command that writes it, told when a file lacks a column

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"dataset {self.name}: unknown format {self.format!r}")
        if self.pattern.split("/", 1)[0] not in ROOTS:
            raise ValueError(f"dataset {self.name}: pattern must start with one of {ROOTS}")

    @property
    def keys(self) -> tuple[str, ...]:
        """The placeholders of the pattern, in order of first appearance."""
        seen: list[str] = []
        for _text, key, _spec, _conv in string.Formatter().parse(self.pattern):
            if key and key not in seen:
                seen.append(key)
        return tuple(seen)

    @property
    def required(self) -> tuple[str, ...]:
        return (*self.columns, *self.tail)

    def order(self, present: list) -> list:
        """Declared head, the optional ones present, the extra columns in their order, the tail."""
        declared = {*self.required, *self.optional}
        optional = [c for c in self.optional if c in present]
        return [*self.columns, *optional, *[c for c in present if c not in declared], *self.tail]


_PERIOD = "processed/periods/{kind}-{year_from}-{year_to}"
_CLEAN = "hoctap clean --year {year}"
_REVIEW = "hoctap report {kind} --from {year_from} --to {year_to}"
_PERIOD_REPORT = "reports/{kind}-{year_from}-{year_to}"

INTAKE_COLUMNS = (
    "year",
    "path",
    "sha256",
    "size_bytes",
    "status",
    "school_id",
    "school_name",
    "commune_code",
    "report_date",
    "n_errors",
    "n_warnings",
    "reason",
)
ISSUE_COLUMNS = (
    "year",
    "path",
    "school_id",
    "sheet",
    "row",
    "column",
    "cell",
    "field",
    "value",
    "code",
    "severity",
    "message",
    "detail",
)
COMPLETENESS_COLUMNS = (
    "year",
    "school_id",
    "school_name",
    "commune_code",
    "expected",
    "registered",
    "submitted",
    "on_time",
    "report_date",
    "status",
)
# a file of an earlier cleaning of the year that is no longer under raw/<year>/: its intake row up
# to the school's name (year, path, sha256, size_bytes, status, school_id, school_name), then the
# day a cleaning first found it gone
REMOVED_COLUMNS = (*INTAKE_COLUMNS[: INTAKE_COLUMNS.index("school_name") + 1], "detected")
# the template's ThongTin fields; the DonVi fields follow as extra columns, then the tail
SCHOOL_COLUMNS = (
    "year",
    "school_id",
    "school_name",
    "school_code",
    "registered",
    "commune_code",
    "commune_raw",
    "school_level",
    "report_date",
    "template_id",
    "preparer",
    "phone",
)
SCHOOL_TAIL = ("source_path", "status")
VILLAGE_COLUMNS = ("year", "commune_code", "village", "village_key")  # then the DiaBan fields
ROW_TAIL = ("school_id", "source_path", "source_row", "report_date", "status")
ORG_COLUMNS = (
    "year",
    "commune_code",
    "org_name",
    "org_key",
    "org_type",
    "org_unit_title",
    "org_staff_total",
    "org_staff_citizen",
)
INDICATOR_COLUMNS = (
    "year",
    "geo_level",
    "geo_code",
    "geo_name",
    "indicator",
    "label",
    "numerator",
    "denominator",
    "rate_pct",
    "target_year",
    "target_pct",
    "status",
    "schools_reporting",
    "schools_expected",
    "villages_reporting",
    "villages_known",
    "reporting_rate_pct",
    "on_time_rate_pct",
    "geography_date",
)
# how the straight-line status was judged: written by the code, not needed by a reader
INDICATOR_DIAGNOSTICS = ("baseline_year", "baseline_pct", "trajectory_pct")
SUMMARY_COLUMNS = (
    "geo_level",
    "geo_code",
    "geo_name",
    "indicator",
    "label",
    "first_year",
    "first_rate_pct",
    "last_year",
    "last_rate_pct",
    "change_pp",
    "period_target_year",
    "period_target_pct",
    "result_status",
    "judged_target_year",
    "judged_target_pct",
    "margin_pp",
    "projection_year",
    "projection_2030_pct",
    "is_projection",
    "years_with_data",
    "geography_date",
)
CANDIDATE_COLUMNS = (
    "candidate_kind",
    "rank",
    "code",
    "name",
    "commune_code",
    "commune_name",
    "score_pct",
    "reason",
    "geography_date",
)

DATASETS: tuple[Dataset, ...] = (
    # the year's ledgers and tables (hoctap clean)
    Dataset(
        "intake",
        "processed/{year}/intake.csv",
        "csv",
        INTAKE_COLUMNS,
        doc="one row per file found under raw/<year>/",
        made_by=_CLEAN,
    ),
    Dataset(
        "issues",
        "processed/{year}/issues.csv",
        "csv",
        ISSUE_COLUMNS,
        doc="one row per problem found",
        made_by=_CLEAN,
    ),
    Dataset(
        "schools",
        "processed/{year}/schools.parquet",
        "parquet",
        SCHOOL_COLUMNS,
        SCHOOL_TAIL,
        doc="one row per accepted school-year",
        made_by=_CLEAN,
    ),
    Dataset(
        "villages",
        "processed/{year}/villages.parquet",
        "parquet",
        VILLAGE_COLUMNS,
        ROW_TAIL,
        doc="one row per village row read, with its status",
        made_by=_CLEAN,
    ),
    Dataset(
        "orgs",
        "processed/{year}/orgs.parquet",
        "parquet",
        ORG_COLUMNS,
        ROW_TAIL,
        doc="one row per organization row read, with its status",
        made_by=_CLEAN,
    ),
    Dataset(
        "completeness",
        "processed/{year}/completeness.csv",
        "csv",
        COMPLETENESS_COLUMNS,
        doc="one row per expected or submitting school",
        made_by=_CLEAN,
    ),
    Dataset(
        "removed",
        "processed/{year}/removed.csv",
        "csv",
        REMOVED_COLUMNS,
        doc="one row per file an earlier cleaning of the year listed and this one no longer found, with its "
        "status then and the day it was found gone",
        made_by=_CLEAN,
    ),
    # hoctap indicators
    Dataset(
        "indicators",
        "processed/{year}/indicators.csv",
        "csv",
        INDICATOR_COLUMNS,
        doc="year, geography, indicator",
        optional=INDICATOR_DIAGNOSTICS,
        made_by="hoctap indicators --year {year}",
    ),
    # period reviews
    Dataset(
        "period_indicators",
        f"{_PERIOD}/indicators.csv",
        "csv",
        INDICATOR_COLUMNS,
        doc="every year of the period on the review's one geography",
        optional=INDICATOR_DIAGNOSTICS,
        made_by=_REVIEW,
    ),
    Dataset("period_summary", f"{_PERIOD}/summary.csv", "csv", SUMMARY_COLUMNS, made_by=_REVIEW),
    Dataset("period_candidates", f"{_PERIOD}/candidates.csv", "csv", CANDIDATE_COLUMNS, made_by=_REVIEW),
    Dataset(
        "period_notes",
        f"{_PERIOD}/notes.txt",
        "text",
        doc="rows only the area total holds, one a line",
    ),
    # the log of runs
    Dataset("runs_log", "processed/runs.log", "jsonl", doc="one JSON line per command"),
    # what each stage was last built from (hoctap.stages): content hashes of its inputs and products
    Dataset(
        "stamp", "processed/.stamps/{stage}.json", "json", doc="a stage's inputs and products when it last succeeded"
    ),
    Dataset(
        "stamp_failure",
        "processed/.stamps/{stage}-loi.ipynb",
        "ipynb",
        doc="the executed notebook of a stage's last failed run (its previous products were kept)",
    ),
    Dataset(
        "build_lock",
        "processed/.lock",
        "text",
        doc="held by the command writing the workspace (hoctap.lock), with who it is; released when it ends",
    ),
    Dataset(
        "chart_cache",
        "processed/.cache/chart-images",
        "folder",
        doc="chart images by a hash of what they draw (hoctap.report.chart_cache); emptied by --force",
    ),
    Dataset(
        "pdf_cache",
        "processed/.cache/pdf-pages",
        "folder",
        doc="PDFs by a hash of their HTML page and the renderer (hoctap.report.pdf); emptied by --force",
    ),
    # report products (by path)
    Dataset("annual_html", "reports/{year}/bao-cao-nam-{year}.html", "html"),
    Dataset("annual_pdf", "reports/{year}/bao-cao-nam-{year}.pdf", "pdf"),
    Dataset("annual_xlsx", "reports/{year}/bao-cao-nam-{year}.xlsx", "xlsx"),
    Dataset("annual_docx", "reports/{year}/bao-cao-nam-{year}.docx", "docx"),
    Dataset("annual_annex_html", "reports/{year}/phu-luc-ky-thuat-{year}.html", "html", doc="technical annex"),
    Dataset("annual_annex_pdf", "reports/{year}/phu-luc-ky-thuat-{year}.pdf", "pdf", doc="technical annex"),
    Dataset("annual_meta", "reports/{year}/bao-cao-nam-{year}.json", "json", doc="the document's facts for the index"),
    Dataset("year_notebook", "reports/{year}/{notebook}", "ipynb", doc="an executed notebook"),
    Dataset("period_html", f"{_PERIOD_REPORT}/{{kind}}-{{year_from}}-{{year_to}}.html", "html"),
    Dataset("period_pdf", f"{_PERIOD_REPORT}/{{kind}}-{{year_from}}-{{year_to}}.pdf", "pdf"),
    Dataset("period_xlsx", f"{_PERIOD_REPORT}/{{kind}}-{{year_from}}-{{year_to}}.xlsx", "xlsx"),
    Dataset("period_docx", f"{_PERIOD_REPORT}/{{kind}}-{{year_from}}-{{year_to}}.docx", "docx"),
    Dataset(
        "period_annex_html",
        f"{_PERIOD_REPORT}/phu-luc-ky-thuat-{{kind}}-{{year_from}}-{{year_to}}.html",
        "html",
        doc="technical annex",
    ),
    Dataset(
        "period_annex_pdf",
        f"{_PERIOD_REPORT}/phu-luc-ky-thuat-{{kind}}-{{year_from}}-{{year_to}}.pdf",
        "pdf",
        doc="technical annex",
    ),
    Dataset(
        "period_meta",
        f"{_PERIOD_REPORT}/{{kind}}-{{year_from}}-{{year_to}}.json",
        "json",
        doc="the document's facts for the index",
    ),
    # the analyst's text of each report (created with placeholders on the first build)
    Dataset("annual_narrative", "narrative/bao-cao-nam-{year}.md", "text", doc="the analyst's text"),
    Dataset("period_narrative", "narrative/{kind}-{year_from}-{year_to}.md", "text", doc="the analyst's text"),
    Dataset("period_notebook", f"{_PERIOD_REPORT}/{{notebook}}", "ipynb"),
    Dataset(
        "feedback",
        "reports/{year}/phan-hoi/{school_id}.xlsx",
        "xlsx",
        doc="one school's problems, in Vietnamese",
    ),
    Dataset("index", "reports/index.html", "html", doc="every report built, newest first"),
)

BY_NAME = {d.name: d for d in DATASETS}
# The files of each kind of report, by role: the document (html, pdf, docx), its appendix
# tables (xlsx), the technical annex (annex_html, annex_pdf) and its facts for the index (meta).
ROLES = ("html", "pdf", "docx", "xlsx", "annex_html", "annex_pdf", "meta")
PRODUCTS = {report: {role: f"{report}_{role}" for role in ROLES} for report in ("annual", "period")}


def dataset(name: str) -> Dataset:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"no dataset {name!r} in the catalog") from None


class Catalog:
    """The catalog bound to one workspace: paths, checked reads and atomic checked writes."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def path(self, name: str, **keys) -> Path:
        ds = dataset(name)
        missing = [k for k in ds.keys if k not in keys]
        if missing:
            raise TypeError(f"dataset {name} needs {', '.join(missing)}")
        root, rest = ds.pattern.split("/", 1)
        base = {"processed": self.ws.processed_root, "narrative": self.ws.data_dir / "narrative"}.get(
            root, self.ws.reports_dir
        )
        return base / rest.format(**keys)

    def exists(self, name: str, **keys) -> bool:
        return self.path(name, **keys).is_file()

    def read(self, name: str, *, optional: bool = False, dtype=None, **keys):
        """The dataset's contents (a DataFrame, text, or a list of records for jsonl).

        A missing file is a HoctapError (None when ``optional``); a missing column is a
        one-line HoctapError naming the file and the column.
        """
        ds = dataset(name)
        if ds.format not in (*TABLES, "text", "jsonl"):
            raise TypeError(f"dataset {name} ({ds.format}) is a product: use its path")
        path = self.path(name, **keys)
        if not path.is_file():
            if optional:
                return None
            raise HoctapError(f"chưa có tệp {path}")
        if ds.format == "csv":
            df = io.read_csv(path) if dtype is None else io.read_csv(path, dtype=dtype)
        elif ds.format == "parquet":
            import pandas as pd

            df = pd.read_parquet(path)
        elif ds.format == "text":
            return path.read_text(encoding="utf-8")
        else:  # jsonl
            lines = path.read_text(encoding="utf-8").splitlines()
            return [json.loads(line) for line in lines if line]
        missing = [c for c in ds.required if c not in df.columns]
        if missing:
            again = f": hãy chạy lại `{ds.made_by.format(**keys)}`" if ds.made_by else ""
            raise HoctapError(f"tệp {path} thiếu cột {', '.join(missing)}{again}")
        return df

    def write(self, name: str, data: pd.DataFrame | str, **keys) -> Path:
        """Write atomically: columns checked first, ordered as declared, then the extra ones."""
        ds = dataset(name)
        path = self.path(name, **keys)
        if ds.format in TABLES:
            missing = [c for c in ds.required if c not in data.columns]
            if missing:
                raise HoctapError(f"không ghi {path}: bảng thiếu cột {', '.join(missing)}")
            ordered = ds.order(list(data.columns))
            if ordered != list(data.columns):
                data = data[ordered]
            (io.write_csv if ds.format == "csv" else io.write_parquet)(path, data)
        elif ds.format == "text":
            io.write_text(path, data)
        else:
            raise TypeError(f"dataset {name} ({ds.format}) is written by its own writer or append")
        return path

    def append(self, name: str, record: dict) -> Path:
        """One JSON line at the end of a jsonl dataset (a log: appended, never rewritten)."""
        ds = dataset(name)
        if ds.format != "jsonl":
            raise TypeError(f"dataset {name} is not a log")
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path


__all__ = ["Dataset", "Catalog", "DATASETS", "BY_NAME", "PRODUCTS", "dataset"]

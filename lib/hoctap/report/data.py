"""What every report reads: the workspace, its settings and reference data, indicator metadata.

``AnnualData`` (``annual``) and ``PeriodData`` (``period``) extend ``ReportData`` with their
tables; the sections of a report take that one object and return blocks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hoctap.catalog import Catalog
from hoctap.fmt import to_date
from hoctap.paths import Workspace
from hoctap.reference import Reference, on_time, settings_on
from hoctap.report.meta import DASH, Meta, indicator_meta, is_missing, vn_key
from hoctap.vocabulary import ACCEPTED


def as_bool(series: pd.Series) -> pd.Series:
    """A yes/no column as read back from CSV (True/False text) or Parquet (booleans)."""
    if series.dtype == bool or str(series.dtype) == "boolean":
        return series.fillna(False).astype(bool)
    return series.astype(str).str.strip().str.lower().isin({"true", "1", "yes", "có", "x"})


def vn_sorted(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows in Vietnamese alphabetical order of ``columns``."""
    return df.sort_values(columns, key=lambda s: s.map(lambda v: "\x00".join(vn_key(v))))


def units_word(kinds) -> str:
    """ "xã" when every unit is a commune, else "xã, thị trấn" (or "xã, phường")."""
    present = set(kinds)
    if present <= {"xã"}:
        return "xã"
    extra = [k for k in ("thị trấn", "phường") if k in present]
    return ", ".join(["xã", *extra])


def latest_report_date(intake: pd.DataFrame | None) -> dt.date | None:
    """The latest report date among accepted submissions: the date the figures stand at."""
    if intake is None or "report_date" not in intake:
        return None
    sub = intake[intake["status"] == ACCEPTED] if "status" in intake else intake
    dates = pd.to_datetime(sub["report_date"], errors="coerce").dropna()
    return dates.max().date() if len(dates) else None


def issue_settings(reference: Reference, issue_date) -> tuple[dt.date, dict]:
    """The document's issue date (given, else today) and the settings valid on it (its issuer)."""
    day = to_date(issue_date) or dt.date.today()
    return day, settings_on(reference.settings, day)


@dataclass(kw_only=True)
class ReportData:
    """``settings`` are those valid on ``issue_date`` (``reference.settings_on``): the issuer,
    signer and distribution of the body that exists on the document's date."""

    ws: Workspace
    settings: dict
    reference: Reference
    issue_date: dt.date = field(default_factory=dt.date.today)
    meta: dict[str, Meta] = field(default_factory=indicator_meta)

    @property
    def issuer(self) -> dict:
        return self.settings.get("issuer", {})

    @property
    def chart_cache(self) -> Path:
        return Catalog(self.ws).path("chart_cache")

    @property
    def area_name(self) -> str:
        return self.issuer.get("area_name", "địa bàn")

    @property
    def short_name(self) -> str:
        """How the issuer names itself in prose ("PGDĐT", "Sở GDĐT")."""
        return self.issuer.get("short", "") or "Đơn vị"

    def deadline_passed(self, year: int) -> bool:
        """True when a report dated on the issue date would be late: the deadline has passed."""
        return not on_time(self.settings, year, self.issue_date)

    def data_date_until(self, day: dt.date | None) -> dt.date | None:
        """A date the figures stand at, never after the issue date."""
        return None if day is None else min(day, self.issue_date)

    @property
    def synthetic(self) -> bool:
        """Built from the shipped synthetic sample: the document must say so."""
        return self.reference.synthetic

    def label(self, code: str, fallback: object = None) -> str:
        """The indicator's Vietnamese name (``fallback``: a label the table itself carries)."""
        if not is_missing(fallback) and str(fallback).strip():
            return str(fallback)
        return self.meta[code].label if code in self.meta else str(code)

    def short(self, code: str) -> str:
        return self.meta[code].short_label if code in self.meta else str(code)

    def commune_name(self, code) -> str:
        if is_missing(code) or not str(code).strip():
            return DASH
        return self.reference.commune_name(str(code))

    def ordered(self, df: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
        """Rows in the order of the plan's indicators (after ``by``)."""
        order = {code: i for i, code in enumerate(self.meta)}
        df = df.assign(_o=df["indicator"].map(order).fillna(99))
        return df.sort_values((by or []) + ["_o"], kind="stable").drop(columns="_o")

    # -- what the common sections ask of a report ---------------------------------------
    def summary_line(self) -> str:
        raise NotImplementedError

    def provenance_facts(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(facts before, facts after) the folders in the provenance table."""
        raise NotImplementedError

    def input_files(self) -> list[tuple[int | None, pd.DataFrame]]:
        """Each intake ledger the report read, with its year (None: the report's one year)."""
        raise NotImplementedError

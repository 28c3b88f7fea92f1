"""From an executed report notebook to the published files: the document (HTML, PDF, DOCX), its
appendix tables (Excel), the technical annex (HTML, PDF), the facts for the index (JSON).

The document is the one the notebook showed (``notebook.read_document``); the appendix and the
annex are built from the same processed tables with the same issue date. Every file is written
atomically. The annex is written while the notebook runs, and the document's PDF laid out while
this process writes the rest, by a forked helper where there is one (``hoctap.offload``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from hoctap.catalog import PRODUCTS, Catalog
from hoctap.io import write_text
from hoctap.offload import Helper
from hoctap.paths import Workspace
from hoctap.report import annual, annual_appendix, html, period, period_appendix, period_sections
from hoctap.report.blocks import Document
from hoctap.report.docx import write_docx
from hoctap.report.excel import write_xlsx
from hoctap.report.index import update_index
from hoctap.report.notebook import read_document
from hoctap.report.pdf import write_pdf


@dataclass
class Annex:
    """A report's technical annex, written while its notebook runs (it is built from the
    processed tables and the issue date, never from the document); ``day``: the issue date it
    carries."""

    files: dict[str, Path]
    day: dt.date


def _paths(ws: Workspace, report: str, roles: tuple[str, ...], keys: dict) -> dict[str, Path]:
    cat = Catalog(ws)
    return {role: cat.path(PRODUCTS[report][role], **keys) for role in roles}


def _annex_files(annex: Document, day: dt.date, ws: Workspace, report: str, **keys) -> Annex:
    """The technical annex (HTML, PDF) for the issue date ``day``."""
    files = _paths(ws, report, ("annex_html", "annex_pdf"), keys)
    annex_page = html.render(annex)
    write_text(files["annex_html"], annex_page)
    write_pdf(annex_page, files["annex_pdf"], Catalog(ws).path("pdf_cache"))
    return Annex(files, day)


def _annual_annex(d: annual.AnnualData) -> Annex:
    return _annex_files(annual.annex(d), d.issue_date, d.ws, "annual", year=d.year)


def _period_annex(d: period.PeriodData) -> Annex:
    keys = {"kind": d.kind, "year_from": d.year_from, "year_to": d.year_to}
    return _annex_files(period_sections.annex(d), d.issue_date, d.ws, "period", **keys)


def annual_annex(ws: Workspace, year: int, day: dt.date) -> Annex:
    """The annual report's technical annex for the issue date ``day``."""
    return _annual_annex(annual.load(ws, year, day))


def period_annex(ws: Workspace, kind: str, year_from: int, year_to: int, day: dt.date) -> Annex:
    """A review's technical annex for the issue date ``day``."""
    return _period_annex(period.load(ws, kind, year_from, year_to, issue_date=day))


# each kind of report's appendix tables and technical annex, from the report's data
_PARTS = {"annual": (annual_appendix.document, _annual_annex), "period": (period_appendix.document, _period_annex)}


def _issue_date(doc: Document, given):
    return given or doc.meta.get("issue_date")


def _publish(doc: Document, d, early: Annex | None, helper: Helper | None, ws, report, **keys) -> dict[str, Path]:
    """The document (HTML, PDF, DOCX), its facts and appendix tables (Excel), beside an annex
    written early for its date (else written now). ``helper`` lays out the document's PDF
    meanwhile."""
    files = _paths(ws, report, ("html", "pdf", "docx", "meta", "xlsx"), keys)
    page = html.render(doc)
    pdf = (helper or Helper(forked=False)).submit(
        "hoctap.report.pdf:write_pdf", page, files["pdf"], Catalog(ws).path("pdf_cache")
    )
    write_text(files["html"], page)
    write_docx(doc, files["docx"])
    write_text(files["meta"], json.dumps({**doc.meta, "draft": doc.draft}, ensure_ascii=False, indent=1) + "\n")
    appendix, annex = _PARTS[report]
    write_xlsx(appendix(d), files["xlsx"])
    if early is None or early.day != d.issue_date:
        early = annex(d)
    files.update(early.files)
    pdf.result()
    return {**{role: files[role] for role in PRODUCTS[report]}, "index": update_index(ws)}


def publish_annual(
    ws: Workspace,
    year: int,
    executed_notebook: Path,
    issue_date=None,
    early: Annex | None = None,
    helper: Helper | None = None,
) -> dict[str, Path]:
    """reports/<Y>/: the document, its appendix tables, its technical annex (``early``'s, when it
    was written for the document's date); the index."""
    doc = read_document(Path(executed_notebook))
    d = annual.load(ws, year, _issue_date(doc, issue_date))
    return _publish(doc, d, early, helper, ws, "annual", year=year)


def publish_period(
    ws: Workspace,
    kind: str,
    year_from: int,
    year_to: int,
    executed_notebook: Path,
    issue_date=None,
    early: Annex | None = None,
    helper: Helper | None = None,
) -> dict[str, Path]:
    """reports/<kind>-<from>-<to>/: the document, its appendix tables, its annex; the index."""
    doc = read_document(Path(executed_notebook))
    d = period.load(ws, kind, year_from, year_to, issue_date=_issue_date(doc, issue_date))
    return _publish(doc, d, early, helper, ws, "period", kind=kind, year_from=year_from, year_to=year_to)

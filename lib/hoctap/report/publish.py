"""From an executed report notebook to the published files: the document (HTML, PDF, DOCX), its
appendix tables (Excel), the technical annex (HTML, PDF), the facts for the index (JSON).

The document is the one the notebook showed (``notebook.read_document``); the appendix and the
annex are built from the same processed tables with the same issue date. Every file is written
atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from hoctap.catalog import PRODUCTS, Catalog
from hoctap.io import write_text
from hoctap.paths import Workspace
from hoctap.report import annual, annual_appendix, html, period, period_appendix, period_sections
from hoctap.report.blocks import Document
from hoctap.report.docx import write_docx
from hoctap.report.excel import write_xlsx
from hoctap.report.index import update_index
from hoctap.report.notebook import read_document
from hoctap.report.pdf import write_pdf


def write_files(
    doc: Document, appendix: Document, annex: Document, ws: Workspace, report: str, **keys
) -> dict[str, Path]:
    """Every product of the catalog for one report."""
    cat = Catalog(ws)
    files = {role: cat.path(name, **keys) for role, name in PRODUCTS[report].items()}
    page = html.render(doc)
    write_text(files["html"], page)
    write_pdf(page, files["pdf"])
    write_docx(doc, files["docx"])
    write_xlsx(appendix, files["xlsx"])
    annex_page = html.render(annex)
    write_text(files["annex_html"], annex_page)
    write_pdf(annex_page, files["annex_pdf"])
    facts = {**doc.meta, "draft": doc.draft}
    write_text(files["meta"], json.dumps(facts, ensure_ascii=False, indent=1) + "\n")
    return files


def _issue_date(doc: Document, given):
    return given or doc.meta.get("issue_date")


def publish_annual(ws: Workspace, year: int, executed_notebook: Path, issue_date=None) -> dict[str, Path]:
    """reports/<Y>/: the document, its appendix tables, its technical annex; the index."""
    doc = read_document(Path(executed_notebook))
    d = annual.load(ws, year, _issue_date(doc, issue_date))
    files = write_files(doc, annual_appendix.document(d), annual.annex(d), ws, "annual", year=year)
    return {**files, "index": update_index(ws)}


def publish_period(
    ws: Workspace, kind: str, year_from: int, year_to: int, executed_notebook: Path, issue_date=None
) -> dict[str, Path]:
    """reports/<kind>-<from>-<to>/: the document, its appendix tables, its annex; the index."""
    doc = read_document(Path(executed_notebook))
    d = period.load(ws, kind, year_from, year_to, issue_date=_issue_date(doc, issue_date))
    keys = {"kind": kind, "year_from": year_from, "year_to": year_to}
    files = write_files(doc, period_appendix.document(d), period_sections.annex(d), ws, "period", **keys)
    return {**files, "index": update_index(ws)}

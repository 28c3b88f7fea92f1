"""From an executed report notebook to the published files: HTML, PDF, Excel appendix, index.

The document is the one the notebook showed (``notebook.read_document``); the appendix is built
from the same processed tables. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

from hoctap.catalog import PRODUCTS, Catalog, dataset
from hoctap.io import write_text
from hoctap.paths import Workspace
from hoctap.report import annual, annual_appendix, html, period, period_appendix
from hoctap.report.blocks import Document
from hoctap.report.excel import write_xlsx
from hoctap.report.index import update_index
from hoctap.report.notebook import read_document
from hoctap.report.pdf import write_pdf


def write_files(doc: Document, appendix: Document, ws: Workspace, report: str, **keys) -> dict[str, Path]:
    """The ``.html``, ``.pdf`` (the same page) and ``.xlsx`` (the appendix) of the catalog."""
    page = html.render(doc)
    cat = Catalog(ws)
    files = {dataset(name).format: cat.path(name, **keys) for name in PRODUCTS[report]}
    write_text(files["html"], page)
    write_pdf(page, files["pdf"])
    write_xlsx(appendix, files["xlsx"])
    return files


def publish_annual(ws: Workspace, year: int, executed_notebook: Path) -> dict[str, Path]:
    """reports/<Y>/bao-cao-nam-<Y>.html, .pdf, .xlsx from the executed notebook; the index."""
    doc = read_document(Path(executed_notebook))
    appendix = annual_appendix.document(annual.load(ws, year))
    files = write_files(doc, appendix, ws, "annual", year=year)
    return {**files, "index": update_index(ws)}


def publish_period(ws: Workspace, kind: str, year_from: int, year_to: int, executed_notebook: Path) -> dict[str, Path]:
    """reports/<kind>-<from>-<to>/<kind>-<from>-<to>.html, .pdf, .xlsx; the index."""
    doc = read_document(Path(executed_notebook))
    d = period.load(ws, kind, year_from, year_to)
    keys = {"kind": kind, "year_from": year_from, "year_to": year_to}
    files = write_files(doc, period_appendix.document(d), ws, "period", **keys)
    return {**files, "index": update_index(ws)}

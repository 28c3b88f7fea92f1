"""The PDF renderer: the HTML page of a ``Document`` laid out on A4 by WeasyPrint.

The paged-media rules (margins, page numbers, breaks) are in ``resources/report.css``, so the
PDF and the HTML carry the same content and styling.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hoctap.io import atomic_path
from hoctap.report import html
from hoctap.report.blocks import Document


def write_pdf(doc: Document | str, path: Path) -> Path:
    """Write ``doc`` (a Document, or its rendered HTML page) to ``path`` atomically."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    page = doc if isinstance(doc, str) else html.render(doc)
    path = Path(path)
    with atomic_path(path) as tmp:
        HTML(string=page, base_url=str(path.parent), media_type="print").write_pdf(str(tmp))
    return path

"""A document between the notebook that builds it and the step that publishes it.

``show`` displays a ``Document`` in the notebook as HTML (for the analyst) together with its
JSON (``MIME``); ``read_document`` takes that JSON back out of the executed notebook, so what
is published is exactly what the notebook showed. A notebook with an error in any cell is
never published.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from hoctap.errors import NotebookError
from hoctap.report import html
from hoctap.report.blocks import Document, from_data, to_data

MIME = "application/vnd.hoctap.document+json"


def show(doc: Document) -> None:
    """Display ``doc`` in the running notebook: its HTML body and the document itself."""
    from IPython.display import display

    display({"text/html": html.body_html(doc), MIME: to_data(doc)}, raw=True)


def _check(nb, nb_path: Path | None = None) -> None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        failed = cell.get("metadata", {}).get("papermill", {}).get("exception")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or failed:
            detail = f"{errors[0].get('ename', '')}: {errors[0].get('evalue', '')}" if errors else "lỗi"
            raise NotebookError(
                f"ô {i} của notebook có lỗi ({detail}); không xuất bản báo cáo",
                notebook=nb_path,
                cell=i,
            )


def read_document(executed_ipynb: Path) -> Document:
    """The document the executed notebook showed; raises NotebookError on an error or none."""
    nb = nbformat.read(str(executed_ipynb), as_version=4)
    _check(nb, executed_ipynb)
    found = [
        out["data"][MIME]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") in ("display_data", "execute_result") and MIME in out.get("data", {})
    ]
    if not found:
        raise NotebookError("notebook không có nội dung báo cáo (chưa chạy hoặc không có kết quả)")
    if len(found) > 1:
        raise NotebookError(f"notebook hiển thị {len(found)} báo cáo; chỉ được có một")
    doc = from_data(found[0])
    if not isinstance(doc, Document):
        raise NotebookError("nội dung báo cáo trong notebook không đọc được")
    return doc

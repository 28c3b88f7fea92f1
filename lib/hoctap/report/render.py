"""From an executed notebook to the published files: HTML (nbconvert), PDF (WeasyPrint), index.

The HTML is one self-contained file: no code, no prompts, no empty cells, figures embedded. A
notebook with an error in any cell is never published.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import nbformat

from ..errors import HoctapError
from ..io import atomic_path, write_text
from .document import esc, html_shell

# Outputs that belong in a report; anything else (plain-text reprs, streams, warnings) is left out.
_PUBLISHED_MIME = ("text/html", "image/svg+xml", "image/png", "image/jpeg")


class NotebookError(HoctapError):
    """The executed notebook holds an error: the report is not published."""


def _published_outputs(cell) -> list:
    kept = []
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("display_data", "execute_result") and any(
            m in out.get("data", {}) for m in _PUBLISHED_MIME
        ):
            kept.append(out)
    return kept


def report_cells(nb) -> nbformat.NotebookNode:
    """A copy of ``nb`` holding only the code cells' published outputs; raises on any error."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        failed = cell.get("metadata", {}).get("papermill", {}).get("exception")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors or failed:
            detail = (
                f"{errors[0].get('ename', '')}: {errors[0].get('evalue', '')}" if errors else "lỗi"
            )
            raise NotebookError(f"ô {i} của notebook có lỗi ({detail}); không xuất bản báo cáo")
    clean = nbformat.v4.new_notebook(metadata=nb.metadata)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = _published_outputs(cell)
        if not outputs:
            continue
        new = nbformat.v4.new_code_cell(source="", metadata={})
        new.id = f"phan-{len(clean.cells) + 1}"
        new.outputs = outputs
        clean.cells.append(new)
    if not clean.cells:
        raise NotebookError("notebook không có nội dung báo cáo (chưa chạy hoặc không có kết quả)")
    return clean


def notebook_to_html(executed_ipynb: Path, html_path: Path, title: str) -> Path:
    """Export the executed notebook's outputs (no code, no prompts) into one self-contained HTML file."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(executed_ipynb), as_version=4)
    clean = report_cells(nb)
    exporter = HTMLExporter(template_name="basic")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = ""
    body, _resources = exporter.from_notebook_node(clean)
    html = html_shell(title, body)
    if re.search(r"In&nbsp;\[|In \[\d*\]|Traceback \(most recent call last\)", html):
        raise NotebookError("trang HTML còn dấu nhắc hoặc vết lỗi của notebook")
    write_text(html_path, html)
    return Path(html_path)


def html_to_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Render the HTML to an A4 PDF with WeasyPrint (paged-media CSS of the document)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html_path = Path(html_path)
    with atomic_path(pdf_path) as tmp:
        HTML(filename=str(html_path), base_url=str(html_path.parent), media_type="print").write_pdf(
            str(tmp)
        )
    return Path(pdf_path)


# ---- index --------------------------------------------------------------------------------------

_KINDS = {
    "so-ket": "Báo cáo sơ kết {a}-{b}",
    "tong-ket": "Báo cáo tổng kết {a}-{b}",
}


def _entries(reports_dir: Path) -> list[dict]:
    entries = []
    if not reports_dir.is_dir():
        return entries
    for folder in reports_dir.iterdir():
        if not folder.is_dir():
            continue
        name = folder.name
        if name.isdigit():
            stem, title, end, order = f"bao-cao-nam-{name}", f"Báo cáo năm {name}", int(name), 0
        else:
            m = re.fullmatch(r"(so-ket|tong-ket)-(\d{4})-(\d{4})", name)
            if not m:
                continue
            stem = name
            title = _KINDS[m.group(1)].format(a=m.group(2), b=m.group(3))
            end, order = int(m.group(3)), 1 if m.group(1) == "so-ket" else 2
        files = {ext: folder / f"{stem}.{ext}" for ext in ("html", "pdf", "xlsx")}
        files = {ext: p for ext, p in files.items() if p.is_file()}
        if not files:
            continue
        built = max(p.stat().st_mtime for p in files.values())
        entries.append(
            {
                "folder": name,
                "title": title,
                "files": files,
                "end": end,
                "order": order,
                "built": dt.datetime.fromtimestamp(built),
            }
        )
    entries.sort(key=lambda e: (e["end"], e["order"], e["built"]), reverse=True)
    return entries


_INDEX_CSS = """
main.document h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt; }
main.document p.lead { text-align: center; text-indent: 0; font-style: italic; }
table.index { width: 100%; border-collapse: collapse; margin-top: 10pt; font-size: 12pt; }
table.index th, table.index td { border: 0.6pt solid #000; padding: 4pt 6pt; }
table.index th { background: #f2f2f2; }
table.index td.links a { margin-right: 10pt; }
"""


def update_index(reports_dir: Path) -> Path:
    """Write reports/index.html: every report built, newest first, with links to its files."""
    reports_dir = Path(reports_dir)
    labels = {"html": "Xem (HTML)", "pdf": "Tải PDF", "xlsx": "Số liệu (Excel)"}
    rows = []
    for e in _entries(reports_dir):
        links = " ".join(
            f'<a href="{esc(e["folder"])}/{esc(p.name)}">{labels[ext]}</a>'
            for ext, p in e["files"].items()
        )
        rows.append(
            f'<tr><td>{esc(e["title"])}</td><td class="c">{e["built"]:%d/%m/%Y}</td>'
            f'<td class="links">{links}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="3" class="c">Chưa có báo cáo nào.</td></tr>')
    body = (
        "<h1>DANH SÁCH BÁO CÁO</h1>"
        '<p class="lead">Chương trình "Đẩy mạnh phong trào học tập suốt đời trong gia đình, dòng họ, '
        'cộng đồng, đơn vị giai đoạn 2021-2030"</p>'
        '<table class="index"><thead><tr><th>Báo cáo</th><th>Ngày lập</th><th>Tệp</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="lead">Cập nhật lúc {dt.datetime.now():%H:%M ngày %d/%m/%Y}.</p>'
    )
    path = reports_dir / "index.html"
    write_text(path, html_shell("Danh sách báo cáo", body, _INDEX_CSS))
    return path

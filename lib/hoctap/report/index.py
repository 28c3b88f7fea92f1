"""reports/index.html: every report built, newest first, with links to its files.

Ready to upload to a website as it is: one self-contained page in the reports' stylesheet.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from hoctap import programme
from hoctap.catalog import PRODUCTS, Catalog, dataset
from hoctap.io import write_text
from hoctap.paths import Workspace
from hoctap.report.html import esc, html_shell

_KINDS = {
    "so-ket": "Báo cáo sơ kết {a}-{b}",
    "tong-ket": "Báo cáo tổng kết {a}-{b}",
}


def _entries(ws: Workspace) -> list[dict]:
    cat, reports_dir = Catalog(ws), ws.reports_dir
    entries = []
    if not reports_dir.is_dir():
        return entries
    for folder in reports_dir.iterdir():
        if not folder.is_dir():
            continue
        name = folder.name
        if name.isdigit():
            products, keys = PRODUCTS["annual"], {"year": int(name)}
            title, end, order = f"Báo cáo năm {name}", int(name), 0
        else:
            m = re.fullmatch(r"(so-ket|tong-ket)-(\d{4})-(\d{4})", name)
            if not m:
                continue
            products = PRODUCTS["period"]
            keys = {"kind": m.group(1), "year_from": int(m.group(2)), "year_to": int(m.group(3))}
            title = _KINDS[m.group(1)].format(a=m.group(2), b=m.group(3))
            end, order = int(m.group(3)), 1 if m.group(1) == "so-ket" else 2
        files = {dataset(p).format: cat.path(p, **keys) for p in products}
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


def update_index(ws: Workspace) -> Path:
    """Write reports/index.html: every report built, newest first, with links to its files."""
    labels = {"html": "Xem (HTML)", "pdf": "Tải PDF", "xlsx": "Số liệu (Excel)"}
    rows = []
    for e in _entries(ws):
        links = " ".join(
            f'<a href="{esc(e["folder"])}/{esc(p.name)}">{labels[ext]}</a>' for ext, p in e["files"].items()
        )
        rows.append(
            f'<tr><td>{esc(e["title"])}</td><td class="c">{e["built"]:%d/%m/%Y}</td><td class="links">{links}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td colspan="3" class="c">Chưa có báo cáo nào.</td></tr>')
    body = (
        "<h1>DANH SÁCH BÁO CÁO</h1>"
        f'<p class="lead">Chương trình "{esc(programme.NAME)} giai đoạn {programme.PERIOD}"</p>'
        '<table class="index"><thead><tr><th>Báo cáo</th><th>Ngày lập</th><th>Tệp</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="lead">Cập nhật lúc {dt.datetime.now():%H:%M ngày %d/%m/%Y}.</p>'
    )
    path = Catalog(ws).path("index")
    write_text(path, html_shell("Danh sách báo cáo", body, _INDEX_CSS))
    return path

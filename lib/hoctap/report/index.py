"""reports/index.html: every report built, newest first, ready to upload to a website.

One self-contained page in the reports' stylesheet, readable on a phone. Each report shows the
facts an official publishes (issuer, number, issue date, draft or not) from the JSON sidecar the
publish step writes next to it (catalog ``annual_meta`` / ``period_meta``, the ``Document.meta``
dict); without a sidecar the page falls back to what the folder says. By default it links the
documents only (PDF, HTML, DOCX): the appendix workbook and the technical annex hold school-level
data and the input ledger, for the analyst, and are linked only with ``with_annex=True``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from urllib.parse import quote

from hoctap import programme
from hoctap.catalog import Catalog, dataset
from hoctap.fmt import date_vn
from hoctap.io import write_text
from hoctap.paths import Workspace
from hoctap.report.html import esc, html_shell
from hoctap.vocabulary import SYNTHETIC_LABEL

_KINDS = {
    "so-ket": "Báo cáo sơ kết {a}-{b}",
    "tong-ket": "Báo cáo tổng kết {a}-{b}",
}
# Roles of a report's files, in the order they are linked, with their label.
DOCUMENT_ROLES = {"html": "Xem trực tuyến (HTML)", "pdf": "Tải bản PDF", "docx": "Tải bản Word (DOCX)"}
ANNEX_ROLES = {
    "xlsx": "Bảng số liệu (Excel)",
    "annex_html": "Phụ lục kỹ thuật (HTML)",
    "annex_pdf": "Phụ lục kỹ thuật (PDF)",
}


def _path(cat: Catalog, report: str, role: str, keys: dict) -> Path | None:
    try:
        dataset(f"{report}_{role}")
    except KeyError:
        return None
    return cat.path(f"{report}_{role}", **keys)


def read_meta(path: Path | None) -> dict:
    """The sidecar's facts; {} when it is absent or unreadable (the index still lists the files)."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _issue_date(meta: dict) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(meta.get("issue_date", ""))[:10])
    except ValueError:
        return None


def _issuer_lines(meta: dict) -> list[str]:
    lines = meta.get("issuer")
    if isinstance(lines, str):
        lines = [lines]
    return [str(x).strip() for x in lines or [] if str(x).strip()]


def _folder(name: str) -> tuple[str, dict, str, int, int] | None:
    """(report, catalog keys, short title, last year, order within a year) of a reports folder."""
    if name.isdigit():
        return "annual", {"year": int(name)}, f"Báo cáo năm {name}", int(name), 0
    m = re.fullmatch(r"(so-ket|tong-ket)-(\d{4})-(\d{4})", name)
    if not m:
        return None
    keys = {"kind": m.group(1), "year_from": int(m.group(2)), "year_to": int(m.group(3))}
    short = _KINDS[m.group(1)].format(a=m.group(2), b=m.group(3))
    return "period", keys, short, int(m.group(3)), 1 if m.group(1) == "so-ket" else 2


def entries(ws: Workspace, with_annex: bool = False) -> list[dict]:
    """Every report with a document file, newest first, with its facts and files by role."""
    cat, reports_dir = Catalog(ws), ws.reports_dir
    out = []
    if not reports_dir.is_dir():
        return out
    roles = [*DOCUMENT_ROLES, *(ANNEX_ROLES if with_annex else ())]
    for folder in reports_dir.iterdir():
        found = _folder(folder.name) if folder.is_dir() else None
        if found is None:
            continue
        report, keys, short, end, order = found
        files = {role: _path(cat, report, role, keys) for role in roles}
        files = {role: p for role, p in files.items() if p is not None and p.is_file()}
        if not any(role in DOCUMENT_ROLES for role in files):
            continue
        meta = read_meta(_path(cat, report, "meta", keys))
        built = dt.datetime.fromtimestamp(max(p.stat().st_mtime for p in files.values()))
        issued = _issue_date(meta)
        to_date = re.search(r"\(tính đến năm (\d{4})\)", str(meta.get("title", "")))
        if report == "period" and to_date:  # a progress report is not yet a sơ kết / tổng kết
            short = f"Báo cáo kết quả giai đoạn {keys['year_from']}-{keys['year_to']} (tính đến năm {to_date.group(1)})"
        out.append(
            {
                "folder": folder.name,
                "short": short,
                "title": str(meta.get("title") or short),
                "number": " ".join(str(meta.get("number") or "").split()),
                "issuer": _issuer_lines(meta),
                "issue_date": issued,
                "built": built,
                "draft": bool(meta.get("draft", False)),
                "synthetic": meta.get("synthetic"),  # None: the sidecar does not say
                "files": files,
                "end": end,
                "order": order,
            }
        )
    out.sort(key=lambda e: (e["end"], e["order"], e["issue_date"] or e["built"].date(), e["built"]), reverse=True)
    return out


def _synthetic_workspace(ws: Workspace) -> bool:
    """Whether the workspace's school registry is the synthetic sample (for reports without a sidecar)."""
    from hoctap.reference import Reference

    try:
        return Reference(ws.reference_dir).synthetic
    except Exception:  # no or unreadable registry: nothing says the data is synthetic
        return False


def _href(ws: Workspace, path: Path) -> str:
    return quote(path.relative_to(ws.reports_dir).as_posix())


def _entry_html(ws: Workspace, e: dict) -> str:
    badges = '<span class="badge draft">Dự thảo</span>' if e["draft"] else ""
    if e["synthetic"]:
        badges += '<span class="badge synthetic">Dữ liệu giả lập</span>'
    facts = []
    if e["number"]:
        facts.append(f"<span>{esc(e['number'])}</span>")
    if e["issue_date"]:
        facts.append(f"<span>Ngày ban hành: {date_vn(e['issue_date'])}</span>")
    else:
        facts.append(f"<span>Ngày lập: {date_vn(e['built'].date())}</span>")
    issuer = f'<p class="issuer">{esc(" – ".join(e["issuer"]))}</p>' if e["issuer"] else ""
    docs = [
        f'<a class="file" href="{esc(_href(ws, e["files"][r]))}">{label}</a>'
        for r, label in DOCUMENT_ROLES.items()
        if r in e["files"]
    ]
    annex = [
        f'<a class="file" href="{esc(_href(ws, e["files"][r]))}">{label}</a>'
        for r, label in ANNEX_ROLES.items()
        if r in e["files"]
    ]
    annex_html = (
        f'<p class="files annex"><span class="for">Dành cho cán bộ tổng hợp:</span> {" ".join(annex)}</p>'
        if annex
        else ""
    )
    files = f'<p class="files">{" ".join(docs)}</p>{annex_html}</li>'
    if e["title"] == e["short"]:  # no sidecar: the folder's name is the title
        return f'<li class="report"><h2>{esc(e["short"])}{badges}</h2>{issuer}<p class="facts">{" · ".join(facts)}</p>{files}'
    return (
        f'<li class="report"><p class="kicker">{esc(e["short"])}{badges}</p><h2>{esc(e["title"])}</h2>{issuer}'
        f'<p class="facts">{" · ".join(facts)}</p>{files}'
    )


_INDEX_CSS = """
main.index .index-issuer { text-align: center; text-transform: uppercase; font-size: 12pt; margin: 0 0 10pt; }
main.index .index-issuer b { display: block; }
main.index h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt; }
main.index p { text-indent: 0; }
main.index p.lead { text-align: center; font-style: italic; }
main.index ol.reports { list-style: none; margin: 12pt 0 0; padding: 0; }
main.index li.report { border-top: 0.75pt solid #999; padding: 8pt 0 6pt; }
main.index li.report h2 .badge { font-size: 9.5pt; vertical-align: 1pt; }
main.index li.report h2 { font-size: 13pt; text-indent: 0; text-align: left; margin: 0 0 3pt; }
main.index p.kicker { font-size: 11pt; text-transform: uppercase; letter-spacing: 0.3pt; margin: 0 0 2pt; text-align: left; }
main.index p.issuer, main.index p.facts { font-size: 11.5pt; margin: 0 0 3pt; text-align: left; }
main.index .badge { display: inline-block; margin-left: 6pt; text-transform: uppercase; padding: 0 4pt; border: 1pt solid #000;
  font-weight: bold; font-size: 9.5pt; letter-spacing: 0; }
main.index .badge.synthetic { font-style: italic; font-weight: normal; }
main.index p.files { margin: 4pt 0 0; text-align: left; line-height: 2; }
main.index a.file { display: inline-block; margin: 0 8pt 0 0; padding: 0 8pt; border: 0.75pt solid #0b4f9c;
  border-radius: 3pt; color: #0b4f9c; text-decoration: none; line-height: 1.6; font-size: 11.5pt; }
main.index p.annex .for { font-size: 11pt; font-style: italic; margin-right: 4pt; }
main.index p.updated { text-align: center; font-style: italic; font-size: 11pt; margin-top: 14pt; }
main.index p.empty { text-align: center; }
@media screen and (max-width: 700px) {
  main.index h1 { font-size: 19px; }
  main.index .index-issuer { font-size: 14px; }
  main.index li.report h2 { font-size: 16px; }
  main.index p.issuer, main.index p.facts, main.index a.file { font-size: 15px; }
  main.index a.file { padding: 2px 10px; margin-bottom: 6px; }
}
"""


def index_html(ws: Workspace, with_annex: bool = False, today: dt.date | None = None) -> str:
    """The page itself (see ``update_index``)."""
    found = entries(ws, with_annex)
    if any(e["synthetic"] is None for e in found):  # no sidecar: the workspace's registry says
        fallback = _synthetic_workspace(ws)
        for e in found:
            e["synthetic"] = fallback if e["synthetic"] is None else e["synthetic"]
    items = [_entry_html(ws, e) for e in found]
    synthetic = any(e["synthetic"] for e in found)
    issuer = found[0]["issuer"] if found else []
    top = ""
    if issuer:
        *parents, name = issuer
        top = f'<p class="index-issuer">{"".join(f"<span>{esc(x)}</span><br>" for x in parents)}<b>{esc(name)}</b></p>'
    body = (
        top
        + "<h1>DANH MỤC BÁO CÁO</h1>"
        + f'<p class="lead">Chương trình “{esc(programme.NAME)}” giai đoạn {programme.PERIOD}</p>'
        + (f'<p class="synthetic">{esc(SYNTHETIC_LABEL)}</p>' if synthetic else "")
        + (f'<ol class="reports">{"".join(items)}</ol>' if items else '<p class="empty">Chưa có báo cáo nào.</p>')
        + f'<p class="updated">Cập nhật ngày {date_vn(today or dt.date.today())}.</p>'
    )
    return html_shell("Danh mục báo cáo", body, _INDEX_CSS, main_class="document index")


def update_index(ws: Workspace, with_annex: bool = False) -> Path:
    """Write reports/index.html: every report built, newest first, with links to its documents
    (and, ``with_annex``, to the appendix workbook and the technical annex)."""
    path = Catalog(ws).path("index")
    write_text(path, index_html(ws, with_annex))
    return path

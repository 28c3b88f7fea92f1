"""The HTML renderer: a ``Document`` as one self-contained page (stylesheet and images inside).

Every text that comes from data or settings is escaped here, so a school named ``<script>``
prints as text. Layout lives in ``resources/report.css``; the same page is what WeasyPrint
turns into the PDF (``pdf``), so the two never differ.
"""

from __future__ import annotations

import base64
from html import escape

from hoctap.fmt import DASH, is_missing
from hoctap.paths import RESOURCES_DIR
from hoctap.report.blocks import (
    CENTER,
    RIGHT,
    Closing,
    DashList,
    Document,
    DocumentHeader,
    Figure,
    Heading,
    Paragraph,
    Section,
    Table,
)

CSS_PATH = RESOURCES_DIR / "report.css"


def esc(value) -> str:
    """Escape a value for HTML text and attributes; missing values print as "—"."""
    if is_missing(value):
        return DASH
    return escape(str(value), quote=True)


def css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def _attr(classes: list[str]) -> str:
    return f' class="{" ".join(classes)}"' if classes else ""


def header_html(b: DocumentHeader) -> str:
    parent = "".join(f'<div class="issuer-parent">{esc(x)}</div>' for x in b.parent)
    return f"""<header class="doc-header">
<table class="header-block" role="presentation">
<tr>
<td class="hb-left">{parent}<div class="issuer-name">{esc(b.issuer)}</div>\
<div class="rule-short"></div></td>
<td class="hb-right"><div class="nation">{esc(b.nation)}</div>\
<div class="motto"><span>{esc(b.motto)}</span></div></td>
</tr>
<tr>
<td class="hb-left doc-number">{esc(b.number)}</td>
<td class="hb-right place-date">{esc(b.place_date)}</td>
</tr>
</table>
<div class="doc-type">{esc(b.doc_type)}</div>
<div class="doc-summary">{esc(b.summary)}</div>
<div class="rule-title"></div>
</header>"""


def closing_html(b: Closing) -> str:
    recipients = "".join(f"<div>{esc(line)}</div>" for line in b.recipients)
    titles = "".join(f'<div class="sign-title">{esc(line)}</div>' for line in b.sign_titles)
    return f"""<section class="closing">
<table class="closing-block" role="presentation"><tr>
<td class="recipients"><div class="recipients-head">{esc(b.recipients_head)}</div>\
<div class="recipients-list">{recipients}</div></td>
<td class="signature">{titles}<div class="sign-space"></div>\
<div class="sign-name">{esc(b.signer)}</div></td>
</tr></table>
</section>"""


def heading_html(b: Heading) -> str:
    tag = {1: "h2", 2: "h3", 3: "h4"}.get(b.level, "h4")
    classes = ["appendix-title"] if b.role == "appendix-title" else []
    if b.page_break_before:
        classes.append("new-page")
    return f"<{tag}{_attr(classes)}>{esc(b.text)}</{tag}>"


def paragraph_html(b: Paragraph) -> str:
    classes = [] if b.role == "body" else [b.role]
    return f"<p{_attr(classes)}>{esc(b.text)}</p>"


def dash_list_html(b: DashList) -> str:
    return "\n".join(f'<p class="dash">- {esc(item)}</p>' for item in b.items)


def _cell_classes(t: Table, j: int, cell) -> list[str]:
    align = t.cell_align(j, cell)
    classes = ["num"] if align == RIGHT else []  # td.num: right-aligned, never wrapped
    if align == CENTER:
        classes.append("c")
    if t.cell_nowrap(j, cell) and align != RIGHT:
        classes.append("nowrap")
    if cell.italic:
        classes.append("behind")
    if cell.bold:
        classes.append("ok")
    if cell.mono:
        classes.append("hash")
    return classes


def _span(cell) -> str:
    out = f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
    return out + (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "")


def table_html(t: Table) -> str:
    head = "".join("<tr>" + "".join(f"<th{_span(c)}>{esc(c.text)}</th>" for c in row) + "</tr>" for row in t.headers())
    body = []
    for row in t.rows:
        cells = "".join(f"<td{_attr(_cell_classes(t, j, c))}{_span(c)}>{esc(c.text)}</td>" for j, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(f'<tr><td class="c" colspan="{len(t.columns)}">{esc(t.empty_text)}</td></tr>')
    # A paragraph, not <caption>: WeasyPrint keeps a block with what follows, not a caption.
    cap = f'<p class="table-caption">{esc(t.caption)}</p>' if t.caption else ""
    foot = f'<p class="table-note">{esc(t.note)}</p>' if t.note else ""
    out = f'{cap}<table class="{esc(t.style)}"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>{foot}'
    return f'<div class="keep">{out}</div>' if t.keep_together else out


def figure_html(b: Figure) -> str:
    src = b.path or f"data:{b.mime};base64,{base64.b64encode(b.image).decode('ascii')}"
    img = f'<img src="{esc(src)}" alt="{esc(b.alt)}" style="width:{b.width * 100:.0f}%">'
    return f'<figure class="chart">{img}<figcaption>{esc(b.caption)}</figcaption></figure>'


_RENDER = {
    DocumentHeader: header_html,
    Closing: closing_html,
    Heading: heading_html,
    Paragraph: paragraph_html,
    DashList: dash_list_html,
    Table: table_html,
    Figure: figure_html,
}


def block_html(block) -> str:
    return _RENDER[type(block)](block)


def section_html(section: Section) -> str:
    return "\n".join(block_html(b) for b in section.blocks)


def body_html(doc: Document) -> str:
    """The document's sections, each in its own block container."""
    return "\n".join(f'<div class="section">\n{section_html(s)}\n</div>' for s in doc.sections)


def html_shell(title: str, body: str, extra_css: str = "", lang: str = "vi") -> str:
    """A complete, self-contained HTML page with the report stylesheet embedded."""
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>\n{css()}\n{extra_css}\n</style>\n</head>\n"
        f'<body>\n<main class="document">\n{body}\n</main>\n</body>\n</html>\n'
    )


def render(doc: Document) -> str:
    """The whole page of ``doc``."""
    return html_shell(doc.title, body_html(doc), lang=doc.lang)

"""The HTML renderer: a ``Document`` as one self-contained page (stylesheet and images inside).

Every text that comes from data or settings is escaped here, so a school named ``<script>``
prints as text. Layout lives in ``resources/report.css``; the same page is what WeasyPrint
turns into the PDF (``pdf``, media "print"), so the two never differ in content. What only a
screen needs (the table of contents, the link back to the index, scroll boxes) is hidden in
print, so it never changes the PDF.
"""

from __future__ import annotations

import base64
import math
import re
import unicodedata
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
from hoctap.report.layout import column_widths, grid

CSS_PATH = RESOURCES_DIR / "report.css"
DRAFT_MARK = "DỰ THẢO"
BACK_TO_INDEX = "← Danh mục báo cáo"
# The label a spreadsheet or the index carries when the figures come from the shipped sample.


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
    # The issuer's name and the summary sit in an inline box as wide as their longest line, so
    # the rule under them is a share of that line (Nghị định 30: 1/3 to 1/2 of it); the motto's
    # rule is as long as the motto itself.
    parent = "".join(f'<div class="issuer-parent">{esc(x)}</div>' for x in b.parent)
    return f"""<header class="doc-header">
<table class="header-block" role="presentation">
<tr>
<td class="hb-left">{parent}<div class="issuer-name"><span class="ruled">{esc(b.issuer)}\
<span class="rule"></span></span></div></td>
<td class="hb-right"><div class="nation">{esc(b.nation)}</div>\
<div class="motto"><span>{esc(b.motto)}</span></div></td>
</tr>
<tr>
<td class="hb-left doc-number">{esc(b.number)}</td>
<td class="hb-right place-date">{esc(b.place_date)}</td>
</tr>
</table>
<div class="doc-type">{esc(b.doc_type)}</div>
<div class="doc-summary"><span class="ruled">{esc(b.summary)}<span class="rule"></span></span></div>
</header>"""


def closing_html(b: Closing) -> str:
    recipients = "".join(f"<div>{esc(line)}</div>" for line in b.recipients)
    titles = "".join(f'<div class="sign-title">{esc(line)}</div>' for line in b.sign_titles)
    classes = ["closing", "keep-with-previous"] if b.keep_with_previous else ["closing"]
    return f"""<section{_attr(classes)}>
<table class="closing-block" role="presentation"><tr>
<td class="recipients"><div class="recipients-head">{esc(b.recipients_head)}</div>\
<div class="recipients-list">{recipients}</div></td>
<td class="signature">{titles}<div class="sign-space"></div>\
<div class="sign-name">{esc(b.signer)}</div></td>
</tr></table>
</section>"""


def heading_html(b: Heading, anchor: str | None = None) -> str:
    tag = {1: "h2", 2: "h3", 3: "h4"}.get(b.level, "h4")
    classes = ["appendix-title"] if b.role == "appendix-title" else []
    if b.page_break_before:
        classes.append("new-page")
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<{tag}{ident}{_attr(classes)}>{esc(b.text)}</{tag}>"


def paragraph_html(b: Paragraph) -> str:
    classes = [] if b.role == "body" else [b.role]
    if b.keep_with_next:
        classes.append("keep-next")
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


# ---- how tall a table prints: keep-together only for short tables ----------------------------

TEXT_WIDTH_MM = 165.0  # A4 less the 30 mm and 15 mm side margins of report.css
PAGE_BODY_MM = 257.0  # A4 less the 20 mm top and bottom margins
KEEP_MAX_MM = PAGE_BODY_MM / 3  # a table kept whole leaves at most this much blank above it
_PT_MM = 25.4 / 72
CHAR_EM = 0.5  # average letter width (em) of Times with Vietnamese marks, rounded up
# Type size of each table style (pt), as report.css sets it; the annex prints its ledgers smaller.
_TABLE_PT = {"document": {"data": 11.0, "wide": 9.5}, "annex": {"data": 10.0, "wide": 8.5}}


def _table_pt(t: Table, kind: str = "document") -> float:
    sizes = _TABLE_PT.get(kind, _TABLE_PT["document"])
    return sizes["wide"] if "wide" in t.style.split() or "prov" in t.style.split() else sizes["data"]


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def table_height_mm(t: Table, kind: str = "document") -> float:
    """A cautious estimate of the table's printed height with its caption and note.

    Column widths follow the automatic table layout: each column between its narrowest (its
    longest word; all its text when it does not wrap) and its widest (its longest text), the
    room left shared in proportion to what each could still take. Letters are taken
    ``CHAR_EM`` wide, a little wider than Times.
    """
    pt = _table_pt(t, kind)
    char_mm = CHAR_EM * pt * _PT_MM
    n = len(t.columns)
    if n == 0:
        return 0.0
    rows = [r for r in t.rows if r]
    least, body, widest = [1] * n, [1] * n, [1] * n
    for is_head, row in [(True, r) for r in t.headers()] + [(False, r) for r in rows]:
        for j, cell in enumerate(row[:n]):
            if cell.colspan != 1:
                continue
            least[j] = max(least[j], _longest_word(cell.text))
            widest[j] = max(widest[j], len(cell.text))
            if not is_head:
                body[j] = max(body[j], len(cell.text))
    low = [max(least[j], body[j] if t.columns[j].nowrap else 0) for j in range(n)]
    high = [max(low[j], widest[j]) for j in range(n)]
    room = TEXT_WIDTH_MM / char_mm - 1.2 * n  # less the cells' padding and borders
    if sum(high) <= room:
        widths = high
    elif sum(low) >= room:
        widths = low
    else:
        share = (room - sum(low)) / (sum(high) - sum(low))
        widths = [lo + (hi - lo) * share for lo, hi in zip(low, high, strict=True)]

    def lines(row) -> int:
        out, j = 1, 0
        for cell in row:
            if j >= n:
                break
            width = sum(widths[j : j + cell.colspan])
            out = max(out, math.ceil(len(cell.text) / max(width, 1)))
            j += cell.colspan
        return out

    line_mm = 1.2 * pt * _PT_MM
    body = rows or [[]]
    all_rows = [*t.headers(), *body]
    height = sum(lines(r) for r in all_rows) * line_mm + len(all_rows) * 1.7  # padding, border
    if t.caption:  # 12 pt bold, 9 pt of margins
        height += 3.2 + 5.1 * math.ceil(len(t.caption) / 80)
    if t.note:  # 10.5 pt italic
        height += 4.5 * math.ceil(len(t.note) / 100)
    return height + 4.2  # the table's margins


def keeps_together(t: Table, kind: str = "document") -> bool:
    """``keep_together`` is a wish: granted when the table is short enough that moving it whole
    to the next page leaves no large blank area; a longer table breaks, its header repeated."""
    return t.keep_together and table_height_mm(t, kind) <= KEEP_MAX_MM


def colgroup_html(t: Table, kind: str = "document") -> str:
    """The columns' printed widths (percent), as ``--w`` for the print stylesheet's fixed table
    layout: WeasyPrint then never measures every word of every cell, and a screen keeps its
    automatic layout, which ignores the property."""
    n = max(1, len(t.columns))
    body = t.rows or [[]]
    pad = 2.0 if "series" in t.style.split() else 3.0
    hash_pt = 7.0 if kind == "annex" else 6.5
    avail = TEXT_WIDTH_MM / _PT_MM
    sizes = _TABLE_PT.get(kind, _TABLE_PT["document"])
    head_pt = sizes["wide"] if "wide" in t.style.split() else sizes["data"]  # a prov table's td only is smaller
    heads, cells = grid(t.headers(), n), grid(body, n)
    widths = column_widths(t, heads, cells, _table_pt(t, kind), pad, avail, hash_pt, head_pt)
    total = sum(widths) or 1.0
    return "<colgroup>" + "".join(f'<col style="--w:{100 * w / total:.2f}%">' for w in widths) + "</colgroup>"


def table_html(t: Table, kind: str = "document") -> str:
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
    thead = f"<thead>{head}</thead>" if t.repeat_header else head
    # On a screen the table scrolls in its own box and never widens the page.
    grid = f'<div class="table-scroll"><table class="{esc(t.style)}">{colgroup_html(t, kind)}{thead}<tbody>{"".join(body)}</tbody></table></div>'
    out = f"{cap}{grid}{foot}"
    return f'<div class="keep">{out}</div>' if keeps_together(t, kind) else f'<div class="table-block">{out}</div>'


def figure_html(b: Figure) -> str:
    src = b.path or f"data:{b.mime};base64,{base64.b64encode(b.image).decode('ascii')}"
    # The share of the text width is a percentage: print keeps it, a phone widens it to 100%.
    img = f'<img src="{esc(src)}" alt="{esc(b.alt)}" style="width:{b.width * 100:.0f}%">'
    return f'<figure class="chart">{img}<figcaption>{esc(b.caption)}</figcaption></figure>'


_RENDER = {
    DocumentHeader: header_html,
    Closing: closing_html,
    Paragraph: paragraph_html,
    DashList: dash_list_html,
    Figure: figure_html,
}


def block_html(block, kind: str = "document", anchor: str | None = None) -> str:
    if isinstance(block, Heading):
        return heading_html(block, anchor)
    if isinstance(block, Table):
        return table_html(block, kind)
    return _RENDER[type(block)](block)


# ---- anchors and the table of contents ----------------------------------------------------------


def slug(text: str) -> str:
    """An ASCII anchor name for a Vietnamese heading: "I. Đặc điểm" -> "i-dac-diem"."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    if len(words) > 60:  # cut at a word
        words = words[:61].rsplit("-", 1)[0]
    return words or "muc"


def anchors(doc: Document) -> dict[int, str]:
    """A unique id for every level-1 and level-2 heading, by ``id()`` of the block."""
    out: dict[int, str] = {}
    seen: set[str] = set()
    for b in doc.blocks():
        if isinstance(b, Heading) and b.level <= 2:
            base = "muc-" + slug(b.text)
            name, k = base, 2
            while name in seen:
                name, k = f"{base}-{k}", k + 1
            seen.add(name)
            out[id(b)] = name
    return out


def toc_html(doc: Document, ids: dict[int, str]) -> str:
    """The contents list (screen only): level-1 headings, the level-2 ones under them."""
    entries = [b for b in doc.blocks() if isinstance(b, Heading) and id(b) in ids]
    if len(entries) < 2:
        return ""
    items: list[str] = []
    open_sub = False
    for b in entries:
        link = f'<a href="#{ids[id(b)]}">{esc(b.text)}</a>'
        if b.level == 1:
            if open_sub:
                items.append("</ul></li>")
                open_sub = False
            elif items:
                items.append("</li>")
            items.append(f'<li class="toc-1">{link}')
        else:
            if not items:
                items.append('<li class="toc-1">')
            if not open_sub:
                items.append("<ul>")
                open_sub = True
            items.append(f'<li class="toc-2">{link}</li>')
    items.append("</ul></li>" if open_sub else "</li>")
    return (
        '<nav class="toc screen-only" aria-label="Mục lục">\n<details open><summary>Mục lục</summary>\n'
        f"<ul>{''.join(items)}</ul>\n</details>\n</nav>"
    )


def draft_mark_html() -> str:
    """The "DỰ THẢO" box at the top right of page 1 (print and screen)."""
    return f'<div class="draft-holder"><div class="draft-mark">{DRAFT_MARK}</div></div>'


def section_html(section: Section, kind: str = "document", ids: dict[int, str] | None = None) -> str:
    ids = ids or {}
    return "\n".join(block_html(b, kind, ids.get(id(b))) for b in section.blocks)


def _section_classes(section: Section) -> list[str]:
    classes = ["section"]
    if any(isinstance(b, Closing) and b.keep_with_previous for b in section.blocks[:1]):
        classes.append("closing-section")  # no page break between it and the body before
    return classes


def body_html(doc: Document) -> str:
    """The document's sections, each in its own block container; the draft mark on page 1 and
    the table of contents after the header block."""
    ids = anchors(doc)
    toc = toc_html(doc, ids)
    has_draft_paragraph = any(isinstance(b, Paragraph) and b.role == "draft" for b in doc.blocks())
    mark = draft_mark_html() if doc.draft and not has_draft_paragraph else ""
    parts: list[str] = []
    placed = False
    for s in doc.sections:
        inner = section_html(s, doc.kind, ids)
        if mark and not parts:
            inner = f"{mark}\n{inner}"
        parts.append(f"<div{_attr(_section_classes(s))}>\n{inner}\n</div>")
        if toc and not placed and any(isinstance(b, DocumentHeader) for b in s.blocks):
            parts.append(toc)
            placed = True
    if toc and not placed:
        parts.insert(0, toc)
    return "\n".join(parts)


def back_link_html(href: str | None) -> str:
    if not href:
        return ""
    return f'<nav class="back screen-only"><a href="{esc(href)}">{esc(BACK_TO_INDEX)}</a></nav>\n'


def html_shell(title: str, body: str, extra_css: str = "", lang: str = "vi", main_class: str = "document") -> str:
    """A complete, self-contained HTML page with the report stylesheet embedded."""
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>\n{css()}\n{extra_css}\n</style>\n</head>\n"
        f'<body>\n<main class="{esc(main_class)}">\n{body}\n</main>\n</body>\n</html>\n'
    )


def render(doc: Document) -> str:
    """The whole page of ``doc``."""
    main_class = "document annex" if doc.kind == "annex" else "document"
    return html_shell(doc.title, back_link_html(doc.index_href) + body_html(doc), lang=doc.lang, main_class=main_class)

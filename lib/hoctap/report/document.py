"""The administrative document form (Nghị định 30/2020/NĐ-CP, Phụ lục I) as HTML fragments.

Every function returns an HTML string; every value that comes from data or settings is escaped
here, so a school named ``<script>`` prints as text. Layout lives in ``resources/report.css``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape

import pandas as pd

from ..paths import RESOURCES_DIR
from .meta import DASH, is_missing

CSS_PATH = RESOURCES_DIR / "report.css"


def esc(value) -> str:
    """Escape a value for HTML text and attributes; missing values print as "—"."""
    if is_missing(value):
        return DASH
    return escape(str(value), quote=True)


def css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def _lines(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def header_block(
    settings: Mapping, date: dt.date, title: str, summary: str, date_text: str | None = None
) -> str:
    """The two-column heading of page 1, then the document type and its summary line.

    ``date_text`` is the date in words ("ngày 10 tháng 12 năm 2026"); built from ``date`` when
    not given.
    """
    from .meta import date_words

    issuer = settings.get("issuer", {})
    words = date_text or date_words(date)
    place = issuer.get("place", "")
    place_date = f"{place}, {words}" if place else words[:1].upper() + words[1:]
    parent = "".join(
        f'<div class="issuer-parent">{esc(x)}</div>' for x in _lines(issuer.get("parent"))
    )
    return f"""<header class="doc-header">
<table class="header-block" role="presentation">
<tr>
<td class="hb-left">{parent}<div class="issuer-name">{esc(issuer.get("name", ""))}</div><div class="rule-short"></div></td>
<td class="hb-right"><div class="nation">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div><div class="motto"><span>Độc lập - Tự do - Hạnh phúc</span></div></td>
</tr>
<tr>
<td class="hb-left doc-number">{esc(issuer.get("number", "Số:"))}</td>
<td class="hb-right place-date">{esc(place_date)}</td>
</tr>
</table>
<div class="doc-type">{esc(title)}</div>
<div class="doc-summary">{esc(summary)}</div>
<div class="rule-title"></div>
</header>"""


def closing_block(settings: Mapping) -> str:
    """ "Nơi nhận:" and the distribution list on the left, the signature block on the right."""
    dist = settings.get("distribution", {})
    signer = settings.get("signer", {})
    items = [f"- {esc(line)};" for line in _lines(dist.get("lines"))]
    archive = dist.get("archive", "Lưu: VT.")
    items.append(f"- {esc(archive)}")
    recipients = "".join(f"<div>{item}</div>" for item in items)
    titles = "".join(
        f'<div class="sign-title">{esc(line)}</div>' for line in _lines(signer.get("lines"))
    )
    return f"""<section class="closing">
<table class="closing-block" role="presentation"><tr>
<td class="recipients"><div class="recipients-head">Nơi nhận:</div><div class="recipients-list">{recipients}</div></td>
<td class="signature">{titles}<div class="sign-space"></div><div class="sign-name">{esc(signer.get("name", ""))}</div></td>
</tr></table>
</section>"""


def heading(text: str, level: int = 1, new_page: bool = False) -> str:
    cls = ' class="new-page"' if new_page else ""
    tag = {1: "h2", 2: "h3", 3: "h4"}.get(level, "h4")
    return f"<{tag}{cls}>{esc(text)}</{tag}>"


def paragraph(text: str, cls: str | None = None) -> str:
    """A body paragraph from plain text (escaped)."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return f"<p{attr}>{esc(text)}</p>"


def paragraphs(texts: Iterable[str]) -> str:
    return "\n".join(paragraph(t) for t in texts)


def bullet_list(items: Iterable[str], punctuate: bool = True) -> str:
    """Lines in the Vietnamese manner: "- ...;" and the last "- ...." (when ``punctuate``)."""
    items = [str(i).rstrip() for i in items]
    if punctuate:
        items = [
            i.rstrip(".;") + ("." if k == len(items) - 1 else ";") for k, i in enumerate(items)
        ]
    return "\n".join(f'<p class="dash">- {esc(item)}</p>' for item in items)


Formatter = Callable[[object], str]


def table(
    df: pd.DataFrame,
    columns: Sequence[tuple[str, str]] | Mapping[str, str],
    formats: Mapping[str, Formatter] | None = None,
    caption: str | None = None,
    numeric: Iterable[str] = (),
    number_rows: bool = True,
    cls: str = "data",
    note: str | None = None,
    cell_class: Mapping[str, Callable[[pd.Series], str | None]] | None = None,
) -> str:
    """An HTML table of ``df``: ``columns`` maps column -> Vietnamese header.

    ``formats`` maps a column to a function turning a value into display text (escaped after);
    ``numeric`` columns are right-aligned; ``number_rows`` adds the "TT" column.
    """
    formats = formats or {}
    cols = list(columns.items()) if isinstance(columns, Mapping) else list(columns)
    numeric = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for _, h in cols)
    if number_rows:
        head = "<th>TT</th>" + head
    body = []
    for i, (_, row) in enumerate(df.iterrows(), start=1):
        cells = []
        if number_rows:
            cells.append(f'<td class="num c">{i}</td>')
        for col, _ in cols:
            value = row.get(col)
            text = (
                formats[col](value)
                if col in formats
                else (DASH if is_missing(value) else str(value))
            )
            klass = ["num"] if col in numeric else []
            if cell_class and col in cell_class:
                extra = cell_class[col](row)
                if extra:
                    klass.append(extra)
            attr = f' class="{" ".join(klass)}"' if klass else ""
            cells.append(f"<td{attr}>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        span = len(cols) + (1 if number_rows else 0)
        body.append(f'<tr><td class="c" colspan="{span}">Không có</td></tr>')
    # A paragraph, not <caption>: WeasyPrint keeps a block with what follows, not a caption.
    cap = f'<p class="table-caption">{esc(caption)}</p>' if caption else ""
    foot = f'<p class="table-note">{esc(note)}</p>' if note else ""
    return (
        f'{cap}<table class="{esc(cls)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{foot}"
    )


def figure(image_html: str, caption: str) -> str:
    """A figure block; ``image_html`` is trusted markup made by ``charts`` (an <img>)."""
    return f'<figure class="chart">{image_html}<figcaption>{esc(caption)}</figcaption></figure>'


def html_shell(title: str, body_html: str, extra_css: str = "") -> str:
    """A complete, self-contained HTML document with the report stylesheet embedded."""
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>\n{css()}\n{extra_css}\n</style>\n</head>\n"
        f'<body>\n<main class="document">\n{body_html}\n</main>\n</body>\n</html>\n'
    )

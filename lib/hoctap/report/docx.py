"""The Word renderer: a ``Document`` as an editable .docx in the administrative form.

Offices finish a report in Word (the assessment rewritten, the number and date added) before it
is signed, so the DOCX carries the same blocks as the HTML/PDF in Word's own terms: the page of
Nghị định 30/2020/NĐ-CP (A4, margins, Times New Roman), real tables, heading styles for the
navigation pane, a PAGE field from page 2, and named paragraph styles (the analyst's
placeholders are highlighted and have their own style, so they are easy to find).

python-docx writes the file; what it has no API for (repeated header rows, rows kept whole,
merged cells, paragraph borders, the PAGE field) is set on the XML here. Column widths are
computed from the text (Times metrics), the way a browser lays out the HTML table: a fixed
layout is what Word and LibreOffice render alike.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from docx import Document as new_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from hoctap.io import atomic_path
from hoctap.report import blocks as B
from hoctap.report.layout import HASH_PT, column_widths, grid, nowrap, text_pt

FONT = "Times New Roman"  # the office's font; LibreOffice substitutes the metric-equal Liberation Serif
MONO = "Courier New"
LANG = "vi-VN"
BODY_PT = 13
PAGE_W, PAGE_H = Mm(210), Mm(297)
MARGINS = {"top": Mm(20), "bottom": Mm(20), "left": Mm(30), "right": Mm(15)}
TEXT_W = Emu(PAGE_W - MARGINS["left"] - MARGINS["right"])
INDENT = Mm(12.7)
DRAFT_TEXT = "DỰ THẢO"
_C, _L, _R = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT

# Paragraph styles beside Normal and Heading 1-3: id -> (the name the office sees in Word, settings).
# Settings not given are Normal's (13 pt, justified, first-line indent 1.27 cm, 6 pt after).
_STYLES = {
    "HtNoIndent": ("Đoạn không thụt đầu dòng", {"indent": 0}),
    "HtNote": ("Ghi chú", {"size": 11}),
    "HtSynthetic": ("Dữ liệu giả lập", {"size": 11, "italic": True, "align": _C, "indent": 0, "after": 8, "line": 1.0}),
    "HtAppendixSub": ("Dòng dưới tên phụ lục", {"italic": True, "align": _C, "indent": 0}),
    "HtPlaceholder": ("Nội dung cần viết", {}),
    "HtDraft": ("Dấu dự thảo", {"bold": True, "align": _C, "indent": 0, "after": 0, "line": 1.0}),
    "HtTableCaption": ("Tên bảng", {"size": 12, "bold": True, "align": _C, "indent": 0, "before": 6, "after": 3}),
    "HtTableNote": ("Ghi chú bảng", {"size": 10.5, "italic": True, "indent": 0, "before": 2, "line": 1.0}),
    "HtCell": ("Ô bảng", {"size": 11, "align": _L, "indent": 0, "after": 0, "line": 1.0}),
    "HtFigure": ("Hình", {"align": _C, "indent": 0, "after": 2, "line": 1.0}),
    "HtFigureCaption": ("Chú thích hình", {"size": 11, "italic": True, "align": _C, "indent": 0, "after": 10}),
    "HtBlock": ("Khối tiêu đề", {"align": _C, "indent": 0, "after": 0, "line": 1.0}),
}
_QUICK = {"HtNoIndent", "HtNote", "HtPlaceholder", "HtTableCaption", "HtTableNote"}  # in the style gallery
_ROLE_STYLE = {
    "no-indent": "HtNoIndent",
    "note": "HtNote",
    "synthetic": "HtSynthetic",
    "appendix-sub": "HtAppendixSub",
    "placeholder": "HtPlaceholder",
}
_ALIGN = {B.RIGHT: _R, B.CENTER: _C, B.LEFT: _L}
_TABLE_PT = {"wide": 9.5, "prov": 9.5}  # by the table's style words; others: 11 pt
_PAD_PT = {"series": 2.0}  # cell padding left and right; others: 3 pt, as the PDF's

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# What follows w:pBdr in w:pPr and w:color in w:rPr (the schema's order; Word rejects another).
_AFTER_PBDR = tuple(
    f"w:{t}"
    for t in "shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN "
    "bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
    "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange".split()
)
_AFTER_COLOR = tuple(
    f"w:{t}"
    for t in "spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang "
    "eastAsianLayout specVanish oMath".split()
)


def _clean(text) -> str:
    """Text Word can store: characters XML 1.0 forbids (stray control codes) are dropped."""
    return _XML_BAD.sub("", "" if text is None else str(text))


# ---- XML helpers --------------------------------------------------------------------------------


def _el(tag: str, **attrs) -> OxmlElement:
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), str(v))
    return el


def _set_fonts(rpr, name: str) -> None:
    """One font for every script (Latin, East Asian, complex) and no theme font: Vietnamese
    letters never fall back to another face."""
    for old in rpr.findall(qn("w:rFonts")):
        rpr.remove(old)
    rpr.insert(0, _el("w:rFonts", ascii=name, hAnsi=name, eastAsia=name, cs=name))


def _set_size(rpr, size_pt: float) -> None:
    """``w:sz`` and the complex-script ``w:szCs`` (the template's headings carry a stale one)."""
    for tag in ("w:sz", "w:szCs"):
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    sz = _el("w:sz", val=round(size_pt * 2))
    rpr.insert_element_before(sz, *_AFTER_COLOR[5:])
    sz.addnext(_el("w:szCs", val=round(size_pt * 2)))


def _borders(ppr, sides=("top", "left", "bottom", "right"), size_pt=0.75, space_pt=2, val="single") -> None:
    """Paragraph borders: a box, or one rule."""
    bdr = _el("w:pBdr")
    for side in ("top", "left", "bottom", "right"):  # schema order
        if side in sides:
            bdr.append(_el(f"w:{side}", val=val, sz=round(size_pt * 8), space=space_pt, color="000000"))
    ppr.insert_element_before(bdr, *_AFTER_PBDR)


# ---- the writer ---------------------------------------------------------------------------------


class _Writer:
    def __init__(self, doc: B.Document):
        self.doc = doc
        self.d = new_docx()
        self._by_name: dict[str, str] = {}
        self._page()
        self._styles()
        self._properties()

    def style(self, name: str) -> str:
        """A style's id by name, looked up once and set on the XML: python-docx scans every
        style, twice, each time a style is assigned (a second of a report's tables)."""
        if name not in self._by_name:
            self._by_name[name] = self.d.styles[name].style_id
        return self._by_name[name]

    def _page(self) -> None:
        s = self.d.sections[0]
        s.page_width, s.page_height = PAGE_W, PAGE_H
        s.top_margin, s.bottom_margin = MARGINS["top"], MARGINS["bottom"]
        s.left_margin, s.right_margin = MARGINS["left"], MARGINS["right"]
        s.header_distance = s.footer_distance = Mm(10)
        s.gutter = 0
        s.different_first_page_header_footer = True  # w:titlePg: page 1 has its own (numberless) header
        s.first_page_header.is_linked_to_previous = False
        p = s.header.paragraphs[0]
        f = p.paragraph_format
        f.alignment, f.first_line_indent, f.space_after = _C, 0, 0
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
            run = p.add_run()
            run.font.size = Pt(BODY_PT)
            if kind:
                run._r.append(_el("w:fldChar", fldCharType=kind))
            elif text == " PAGE ":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            else:
                run.text = text  # the number shown until the field is updated

    def _styles(self) -> None:
        st = self.d.styles
        defaults = st.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        _set_fonts(rpr, FONT)
        _set_size(rpr, BODY_PT)
        for old in rpr.findall(qn("w:lang")):
            rpr.remove(old)
        rpr.insert_element_before(_el("w:lang", val=LANG, eastAsia=LANG, bidi=LANG), "w:eastAsianLayout")
        spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), "240")

        normal = st["Normal"]
        _set_fonts(normal.element.get_or_add_rPr(), FONT)
        normal.font.size = Pt(BODY_PT)
        f = normal.paragraph_format
        f.alignment, f.first_line_indent = WD_ALIGN_PARAGRAPH.JUSTIFY, INDENT
        f.space_before, f.space_after, f.line_spacing = Pt(0), Pt(6), 1.15
        f.widow_control = True
        st["Header"].font.size = Pt(BODY_PT)

        for level in (1, 2, 3):  # Times New Roman, black, bold: the PDF's headings, not Word's blue theme
            for style in (st[f"Heading {level}"], st[f"Heading {level} Char"]):
                rpr = style.element.get_or_add_rPr()
                _set_fonts(rpr, FONT)
                for old in rpr.findall(qn("w:color")):
                    rpr.remove(old)
                rpr.insert_element_before(_el("w:color", val="000000"), *_AFTER_COLOR)
                _set_size(rpr, BODY_PT)
                style.font.bold, style.font.italic = True, level == 3
            f = st[f"Heading {level}"].paragraph_format
            f.alignment, f.first_line_indent = WD_ALIGN_PARAGRAPH.JUSTIFY, INDENT
            f.space_before, f.space_after, f.line_spacing = Pt(10), Pt(6), 1.15
            f.keep_with_next = f.keep_together = True

        for sid, (name, o) in _STYLES.items():
            style = st.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.element.set(qn("w:styleId"), sid)
            style.base_style = normal
            style.quick_style = sid in _QUICK
            style.font.size = Pt(o["size"]) if "size" in o else None
            style.font.bold = o.get("bold")
            style.font.italic = o.get("italic")
            pf = style.paragraph_format
            for key, attr, conv in (
                ("align", "alignment", None),
                ("indent", "first_line_indent", None),
                ("before", "space_before", Pt),
                ("after", "space_after", Pt),
                ("line", "line_spacing", None),
            ):
                if key in o:
                    setattr(pf, attr, conv(o[key]) if conv else o[key])
        _borders(st["Dữ liệu giả lập"].element.get_or_add_pPr(), space_pt=3)
        _borders(st["Nội dung cần viết"].element.get_or_add_pPr(), val="dashed")  # seen in black and white too
        _borders(st["Dấu dự thảo"].element.get_or_add_pPr(), size_pt=1.25, space_pt=1)
        for name in ("Dữ liệu giả lập", "Nội dung cần viết"):
            pf = st[name].paragraph_format
            pf.left_indent = pf.right_indent = Pt(4)
        st["Tên bảng"].paragraph_format.keep_with_next = True
        st["Hình"].paragraph_format.keep_with_next = True
        st["Ô bảng"].paragraph_format.widow_control = False

    def _properties(self) -> None:
        cp = self.d.core_properties
        header = next((b for b in self.doc.blocks() if isinstance(b, B.DocumentHeader)), None)
        issuer = (self.doc.meta or {}).get("issuer") or (header.issuer if header else "")
        cp.title = _clean(self.doc.title)
        cp.language = LANG
        cp.subject = _clean(header.summary) if header else ""
        cp.author = cp.last_modified_by = _clean(issuer[-1] if isinstance(issuer, list | tuple) and issuer else issuer)
        cp.comments = cp.keywords = ""
        cp.category = "Báo cáo"
        cp.created = cp.modified = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
        cp.revision = 1
        pkg = self.d.part.package
        for rid, rel in list(pkg.rels.items()):
            if rel.reltype == RT.THUMBNAIL:  # the template's preview of an empty page
                del pkg.rels[rid]
        lang = self.d.settings.element.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:val"), LANG)
            lang.set(qn("w:eastAsia"), LANG)

    # -- small builders -------------------------------------------------------------------------------

    def par(self, text: str = "", style: str | None = None, container=None, **run) -> DocxParagraph:
        """A paragraph at the end of the body (or of a table cell) with one run of ``text``."""
        target = container if container is not None else self.d
        p = target.add_paragraph()
        if style:
            p._p.style = self.style(_STYLES[style][0])
        if text:
            self.run(p, text, **run)
        return p

    @staticmethod
    def run(p, text: str, size=None, bold=None, italic=None, caps=None, font=None, highlight=None):
        r = p.add_run(_clean(text))
        if "  " in text or text[:1].isspace() or text[-1:].isspace():  # "Số:      /BC-...": room for the number
            for t in r._r.findall(qn("w:t")):
                t.set(qn("xml:space"), "preserve")
        if size is not None:
            r.font.size = Pt(size)
        r.font.bold, r.font.italic = bold, italic
        r.font.all_caps = caps
        if font:
            _set_fonts(r._r.get_or_add_rPr(), font)
        if highlight:
            r.font.highlight_color = highlight
        return r

    def rule(self, width_pt: float, box_pt: float, container, before: float = 2.5, after: float = 0) -> None:
        """A short centred line (an empty paragraph's top border) ``width_pt`` long in ``box_pt``."""
        p = self.par("", "HtBlock", container)
        f = p.paragraph_format
        f.left_indent = f.right_indent = Pt(max(0.0, (box_pt - width_pt) / 2))
        f.space_before, f.space_after = Pt(before), Pt(after)
        f.line_spacing_rule, f.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(2)
        _borders(p._p.get_or_add_pPr(), sides=("top",), space_pt=0)
        p.add_run().font.size = Pt(2)

    def _table(self, widths_pt: list[float], margin_pt: float = 0, borders: bool = False, rows: int = 0):
        """A table of fixed column widths: ruled (data) or borderless (header block, closing)."""
        t = self.d.add_table(rows=rows, cols=len(widths_pt))
        t.style = None
        if borders:
            t._tbl.tblPr.style = self.style("Table Grid")
        pr = t._tbl.tblPr
        for old in list(pr):
            if old.tag != qn("w:tblStyle"):
                pr.remove(old)
        pr.append(_el("w:tblW", w=round(sum(widths_pt) * 20), type="dxa"))
        pr.append(_el("w:jc", val="center"))
        edges = _el("w:tblBorders")
        for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
            line = {"val": "single", "sz": 5, "space": 0, "color": "000000"} if borders else {"val": "nil"}
            edges.append(_el(f"w:{side}", **line))
        pr.append(edges)
        pr.append(_el("w:tblLayout", type="fixed"))
        mar = _el("w:tblCellMar")
        for side, w in (("top", 30), ("left", margin_pt * 20), ("bottom", 30), ("right", margin_pt * 20)):
            mar.append(_el(f"w:{side}", w=round(w if borders or side in ("left", "right") else 0), type="dxa"))
        pr.append(mar)
        pr.append(
            _el("w:tblLook", val="0000", firstRow=0, lastRow=0, firstColumn=0, lastColumn=0, noHBand=1, noVBand=1)
        )
        for col, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths_pt, strict=True):
            col.set(qn("w:w"), str(round(w * 20)))
        for tr in t._tbl.tr_lst:
            tr.get_or_add_trPr().append(_el("w:cantSplit"))
            for tc, w in zip(tr.tc_lst, widths_pt, strict=True):
                tc.get_or_add_tcPr().get_or_add_tcW().set(qn("w:w"), str(round(w * 20)))
                tc.remove(tc.findall(qn("w:p"))[0])  # the cells are filled by the caller
        return t

    # -- blocks -------------------------------------------------------------------------------------

    def header(self, b: B.DocumentHeader) -> None:
        """The borderless two-column block of page 1, then the document type and its summary."""
        size = BODY_PT
        right = min(max(text_pt(b.nation.upper(), 12, True) + 8, TEXT_W.pt * 0.55), TEXT_W.pt * 0.62)
        left = TEXT_W.pt - right
        t = self._table([left, right], rows=2)
        (lc, rc), (nc, dc) = t.rows[0].cells, t.rows[1].cells
        for line in b.parent:
            self.par(line, "HtBlock", lc, size=size, caps=True)
        self.par(b.issuer, "HtBlock", lc, size=size, bold=True, caps=True)
        issuer_w = min(left, max(text_pt(x.upper(), size, True) for x in [b.issuer, *b.parent]))
        self.rule(issuer_w * 0.4, left, lc)
        self.par(b.nation, "HtBlock", rc, size=12, bold=True, caps=True)
        self.par(b.motto, "HtBlock", rc, size=size, bold=True)
        self.rule(min(text_pt(b.motto, size, True), right), right, rc)
        self.par(b.number, "HtBlock", nc, size=size).paragraph_format.space_before = Pt(8)
        self.par(b.place_date, "HtBlock", dc, size=size, italic=True).paragraph_format.space_before = Pt(8)
        p = self.par(b.doc_type, "HtBlock", size=14, bold=True, caps=True)
        p.paragraph_format.space_before = Pt(20)
        p.paragraph_format.keep_with_next = True
        p = self.par(b.summary, "HtBlock", size=14, bold=True)
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Emu(TEXT_W * 8 // 100)
        p.paragraph_format.keep_with_next = True
        self.rule(TEXT_W.pt * 0.25, TEXT_W.pt, self.d, before=5, after=14)

    def draft(self, text: str = DRAFT_TEXT) -> None:
        """The "DỰ THẢO" box at the top right of page 1, in the first page's header (which has
        no page number): it moves nothing in the body and goes with one deletion."""
        text = _clean(text).strip() or DRAFT_TEXT
        header = self.d.sections[0].first_page_header
        p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
        p._p.style = self.style(_STYLES["HtDraft"][0])
        p.paragraph_format.left_indent = Emu(TEXT_W - Pt(text_pt(text.upper(), BODY_PT, True) + 16))
        p.paragraph_format.right_indent = Pt(2)
        self.run(p, text, caps=True)

    def heading(self, b: B.Heading) -> None:
        level = min(max(int(b.level or 1), 1), 3)
        p = self.d.add_paragraph()
        p._p.style = self.style(f"Heading {level}")
        appendix = b.role == "appendix-title"
        self.run(p, b.text, size=14 if appendix else None, caps=appendix or None)
        f = p.paragraph_format
        if appendix:
            f.alignment, f.first_line_indent, f.space_before = _C, 0, Pt(0)
        if b.page_break_before:
            f.page_break_before = True
        if not b.keep_with_next:
            f.keep_with_next = False

    def paragraph(self, b: B.Paragraph) -> None:
        if b.role == "draft":
            return  # printed once, at the top of page 1 (``write``)
        style = _ROLE_STYLE.get(b.role)  # an unknown role is body text
        p = self.par(b.text, style, highlight=WD_COLOR_INDEX.YELLOW if b.role == "placeholder" else None)
        if b.keep_with_next:
            p.paragraph_format.keep_with_next = True

    def dash_list(self, b: B.DashList) -> None:
        for item in b.items:
            self.par(f"- {item}")

    def figure(self, b: B.Figure) -> None:
        data = b.image
        if not data and b.path and Path(b.path).is_file():
            data = Path(b.path).read_bytes()
        if data:
            p = self.par("", "HtFigure")
            share = min(max(float(b.width or 1.0), 0.05), 1.0)
            pic = p.add_run().add_picture(io.BytesIO(data), width=Emu(int(TEXT_W * share)))
            limit = Mm(200)  # a tall chart still leaves room for its caption on the page
            if pic.height > limit:
                pic.width, pic.height = Emu(int(pic.width * limit / pic.height)), limit
            for pr in p._p.iter(qn("wp:docPr")):
                pr.set("descr", _clean(b.alt or b.caption))
        if b.caption:
            self.par(b.caption, "HtFigureCaption")

    def closing(self, b: B.Closing) -> None:
        """ "Nơi nhận:" with its list on the left, the signature block on the right, one row."""
        if b.keep_with_previous:
            self._keep_last()
        t = self._table([TEXT_W.pt / 2] * 2, rows=1)
        lc, rc = t.rows[0].cells
        head = self.par(b.recipients_head, "HtBlock", lc, size=12, bold=True, italic=True)
        for line in b.recipients:
            self.par(line, "HtBlock", lc, size=11).alignment = _L
        head.alignment = _L
        for line in b.sign_titles:
            self.par(line, "HtBlock", rc, size=BODY_PT, bold=True, caps=True)
        if rc.paragraphs:
            rc.paragraphs[0].paragraph_format.space_before = Pt(12)
        head.paragraph_format.space_before = Pt(12)
        name = self.par(b.signer, "HtBlock", rc, size=BODY_PT, bold=True)
        name.paragraph_format.space_before = Pt(80)  # room for the signature and the seal

    def _keep_last(self) -> None:
        """Keep the block before the closing on the closing's page (its last paragraph or row)."""
        last = next((el for el in reversed(self.d.element.body) if el.tag != qn("w:sectPr")), None)
        if last is not None and last.tag == qn("w:tbl"):
            last = last.findall(qn("w:tr"))[-1]
        if last is not None:
            for p in [last] if last.tag == qn("w:p") else last.iter(qn("w:p")):
                DocxParagraph(p, self.d._body).paragraph_format.keep_with_next = True

    def table(self, t: B.Table) -> None:
        words = t.style.split()
        size = next((v for k, v in _TABLE_PT.items() if k in words), 11.0)
        pad = next((v for k, v in _PAD_PT.items() if k in words), 3.0)
        ncols = max(1, len(t.columns))
        empty = not t.rows
        body = t.rows or [[B.Cell(t.empty_text, align=B.CENTER, colspan=ncols)]]
        head_grid, body_grid = grid(t.headers(), ncols), grid(body, ncols)
        widths = column_widths(t, head_grid, body_grid, size, pad, TEXT_W.pt)
        if t.caption:
            self.par(t.caption, "HtTableCaption")
        tbl = self._table(widths, pad, borders=True)
        rows = [(True, r) for r in head_grid] + [(False, r) for r in body_grid]
        # Rows kept with the next: the whole table when it is kept together, else the header
        # rows and the first body row (a header never ends a page without two rows under it).
        keep = len(rows) - 1 if t.keep_together else len(head_grid) + 1
        for i, (is_head, slots) in enumerate(rows):
            tr = tbl._tbl.add_tr()
            trpr = tr.get_or_add_trPr()
            trpr.append(_el("w:cantSplit"))
            if is_head and t.repeat_header:
                trpr.append(_el("w:tblHeader"))
            for col, span, cell, merge in slots:
                j = min(col, len(t.columns) - 1)
                tc = tr.add_tc()
                pr = tc.get_or_add_tcPr()
                pr.append(_el("w:tcW", w=round(sum(widths[col : col + span]) * 20), type="dxa"))
                if span > 1:
                    pr.append(_el("w:gridSpan", val=span))
                if merge:
                    pr.append(_el("w:vMerge", val="restart") if merge == "restart" else _el("w:vMerge"))
                if is_head:
                    pr.append(_el("w:shd", val="clear", color="auto", fill="F2F2F2"))
                elif cell is not None and nowrap(t, j, cell):
                    pr.append(_el("w:noWrap"))
                pr.append(_el("w:vAlign", val="center"))
                p = _Cell(tc, tbl).paragraphs[0]
                p._p.style = self.style(_STYLES["HtCell"][0])
                if i < keep:
                    p.paragraph_format.keep_with_next = True
                if cell is None:  # the continuation of a cell spanning rows
                    continue
                if is_head:
                    p.alignment = _C
                    self.run(p, cell.text, size=size, bold=True, italic=cell.italic or None)
                    continue
                align = B.CENTER if empty else (t.cell_align(j, cell) if j >= 0 else cell.align)
                p.alignment = _ALIGN.get(align, _L)
                if cell.mono:
                    self.run(p, cell.text, size=HASH_PT, font=MONO)
                else:
                    self.run(p, cell.text, size=size, bold=cell.bold or None, italic=cell.italic or None)
        if t.note:
            self.par(t.note, "HtTableNote")
        else:  # a small gap: two tables in a row never join into one
            gap = self.par("", "HtNoIndent")
            gap.paragraph_format.space_after, gap.paragraph_format.line_spacing = Pt(4), 1.0
            gap.add_run().font.size = Pt(6)

    def write(self) -> None:
        body = self.d.element.body
        for el in list(body):
            if el.tag != qn("w:sectPr"):
                body.remove(el)
        marks = [b for b in self.doc.blocks() if isinstance(b, B.Paragraph) and b.role == "draft"]
        if self.doc.draft or marks:
            self.draft(marks[0].text if marks else DRAFT_TEXT)
        render = {
            B.DocumentHeader: self.header,
            B.Heading: self.heading,
            B.Paragraph: self.paragraph,
            B.DashList: self.dash_list,
            B.Table: self.table,
            B.Figure: self.figure,
            B.Closing: self.closing,
        }
        for block in self.doc.blocks():
            fn = render.get(type(block))
            if fn is None:
                raise TypeError(f"no Word rendering for {type(block).__name__}")
            fn(block)
        last = next((el for el in reversed(body) if el.tag != qn("w:sectPr")), None)
        if last is None or last.tag != qn("w:p"):
            self.par("", "HtNoIndent")  # Word wants the body to end with a paragraph


def render(doc: B.Document):
    """The python-docx document of ``doc`` (not saved)."""
    w = _Writer(doc)
    w.write()
    return w.d


def write_docx(doc: B.Document, path: Path) -> Path:
    """Write ``doc`` as an editable Word file at ``path``, atomically."""
    path = Path(path)
    d = render(doc)
    with atomic_path(path) as tmp:
        d.save(str(tmp))
    return path

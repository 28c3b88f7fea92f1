"""The HTML renderer and report.css on small hand-made documents: what a phone needs (scroll
boxes, no fixed widths), the contents list and the link to the index (screen only), the draft
mark and the placeholders (print too), the closing block kept with the body, and short tables
only kept whole. The PDF checks render real pages with WeasyPrint."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
import tinycss2
from bs4 import BeautifulSoup

from hoctap.report import blocks as B
from hoctap.report import html
from hoctap.report.pdf import write_pdf

LONG = (
    "Năm nay các trường học trên địa bàn tiếp tục đẩy mạnh phong trào học tập suốt đời, gắn với "
    "việc xây dựng gia đình, dòng họ, cộng đồng và đơn vị học tập ở từng thôn, buôn, tổ dân phố."
)


def _header() -> B.DocumentHeader:
    return B.DocumentHeader(
        ["UBND XÃ IA RSƯƠM"],
        "HỘI KHUYẾN HỌC",
        "Số:   /BC-HKH",
        "Ia Rsươm, ngày 05 tháng 01 năm 2027",
        "BÁO CÁO",
        "Kết quả học tập suốt đời năm 2026",
    )


def _closing(keep: bool = True) -> B.Closing:
    return B.Closing(["- UBND xã (b/c);", "- Lưu: VT."], ["CHỦ TỊCH"], "Y Thử", keep_with_previous=keep)


def _table(n: int, keep: bool = False, caption: str = "Bảng 1. Kết quả thử") -> B.Table:
    cols = [B.Column("TT", B.CENTER, True), B.Column("Đơn vị"), B.Column("Tỷ lệ", B.RIGHT, True)]
    rows = [[B.Cell(str(i)), B.Cell(f"Trường số {i} xã Ia Rsươm"), B.Cell(f"{i},5%")] for i in range(1, n + 1)]
    return B.Table(cols, rows, caption=caption, keep_together=keep)


def _doc(body: list, **kw) -> B.Document:
    return B.Document(
        "Báo cáo thử",
        [
            B.Section([_header()], "header"),
            B.Section(body, "body"),
            B.Section([_closing()], "closing"),
        ],
        **kw,
    )


def _soup(doc: B.Document) -> BeautifulSoup:
    return BeautifulSoup(html.render(doc), "html.parser")


def _pages(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(p.split()) for p in text.split("\f") if p.strip()]


# ---- structure of the page -----------------------------------------------------------------


def test_every_table_scrolls_in_its_own_box_and_short_ones_are_kept():
    doc = _doc([B.Heading("I. KẾT QUẢ"), _table(3, keep=True), _table(40, keep=True, caption="Bảng 2. Dài")])
    soup = _soup(doc)
    short, long = soup.find_all("table", class_="data")
    for t in (short, long):
        assert t.parent.name == "div" and t.parent["class"] == ["table-scroll"]
    # the caption stays outside the scroll box, above it, in the same block
    assert short.parent.find_previous_sibling("p")["class"] == ["table-caption"]
    assert short.parent.parent["class"] == ["keep"]
    # a long table asked to be kept whole breaks instead (it would leave most of a page blank)
    assert long.parent.parent["class"] == ["table-block"]
    assert long.find("thead") is not None  # its header repeats on every page


def test_no_fixed_widths_in_the_page():
    fig = B.Figure(b"\x89PNG\r\n\x1a\n", caption="Biểu đồ 1", alt="biểu đồ", width=0.6)
    page = html.render(_doc([_table(2), fig]))
    styles = re.findall(r'style="([^"]*)"', page)
    # the figure's share of the text width; the columns' printed widths only as a custom property,
    # which the screen's automatic layout never reads
    assert styles[-1] == "width:60%"
    assert len(styles) == 4 and all(re.fullmatch(r"--w:\d+\.\d\d%", s) for s in styles[:-1])
    css = html.css()
    printed = re.findall(r"@media print \{.*?\n\}", css, flags=re.S)
    assert css.count("var(--w)") == 1 and "var(--w)" in "".join(printed)
    assert not re.search(r'\s(width|height)="', page)  # no width attributes either
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_table_of_contents_links_level_1_and_2_headings():
    doc = _doc(
        [
            B.Heading("I. ĐẶC ĐIỂM TÌNH HÌNH"),
            B.Heading("1. Thuận lợi", 2),
            B.Heading("Chi tiết nhỏ", 3),
            B.Heading("2. Khó khăn", 2),
            B.Heading("II. KẾT QUẢ"),
            B.Heading("1. Thuận lợi", 2),  # the same words again: a distinct anchor
        ]
    )
    soup = _soup(doc)
    toc = soup.find("nav", class_="toc")
    assert "screen-only" in toc["class"]
    assert toc.find_previous("header", class_="doc-header") is not None  # after the header block
    links = [(a.text, a["href"]) for a in toc.find_all("a")]
    assert [t for t, _ in links] == [
        "I. ĐẶC ĐIỂM TÌNH HÌNH",
        "1. Thuận lợi",
        "2. Khó khăn",
        "II. KẾT QUẢ",
        "1. Thuận lợi",
    ]
    hrefs = [h for _, h in links]
    assert len(set(hrefs)) == len(hrefs) and hrefs[0] == "#muc-i-dac-diem-tinh-hinh"
    for h in hrefs:
        target = soup.find(id=h[1:])
        assert target is not None and target.name in ("h2", "h3")
    assert soup.find("h4").get("id") is None  # level 3 is not listed
    # level 2 entries nest under their level 1 entry
    first = toc.find("li", class_="toc-1")
    assert [a.text for a in first.select("li.toc-2 a")] == ["1. Thuận lợi", "2. Khó khăn"]


def test_back_link_to_the_index_only_when_set():
    assert _soup(_doc([B.Paragraph("x")])).find("nav", class_="back") is None
    soup = _soup(_doc([B.Paragraph("x")], index_href="../index.html"))
    back = soup.find("nav", class_="back")
    assert "screen-only" in back["class"]
    assert back.a["href"] == "../index.html" and back.a.text == "← Danh mục báo cáo"


def test_draft_mark_placeholder_and_draft_roles():
    soup = _soup(_doc([B.Paragraph("Phần này do chuyên viên viết.", "placeholder")], draft=True))
    marks = soup.find_all(class_="draft-mark")
    assert [m.text for m in marks] == ["DỰ THẢO"]
    first_section = soup.select("main.document > div.section")[0]
    assert first_section.find(class_="draft-mark") is not None  # on page 1, above the header
    assert soup.find("p", class_="placeholder").text == "Phần này do chuyên viên viết."
    assert _soup(_doc([B.Paragraph("x")])).find(class_="draft-mark") is None
    # a document that writes its own "draft" paragraph gets it styled as the mark, not twice
    own = _soup(_doc([B.Paragraph("DỰ THẢO", "draft")], draft=True))
    assert own.find(class_="draft-mark") is None and own.find("p", class_="draft").text == "DỰ THẢO"


def test_annex_and_closing_classes():
    annex = _soup(_doc([B.Paragraph("x")], kind="annex"))
    assert annex.main["class"] == ["document", "annex"]
    soup = _soup(_doc([B.Paragraph("x")]))
    assert soup.main["class"] == ["document"]
    closing = soup.find("section", class_="closing")
    assert closing["class"] == ["closing", "keep-with-previous"]
    assert closing.parent["class"] == ["section", "closing-section"]


def test_table_height_estimate_orders_tables():
    short, long = _table(3), _table(40)
    assert html.table_height_mm(short) < html.KEEP_MAX_MM < html.table_height_mm(long)
    wrapped = B.Table([B.Column("Nội dung")], [[B.Cell(" ".join(["chữ"] * 400))]])
    assert html.table_height_mm(wrapped) > 5 * html.table_height_mm(B.Table([B.Column("Nội dung")], [[B.Cell("chữ")]]))


def test_slug_folds_vietnamese():
    assert html.slug("IV. ĐÁNH GIÁ CHUNG VÀ ĐỀ XUẤT") == "iv-danh-gia-chung-va-de-xuat"
    assert html.slug("Phụ lục 2. Tình hình báo cáo và số liệu đơn vị của từng trường").endswith("cua-tung")
    assert html.slug("!!!") == "muc"


# ---- the stylesheet: screen rules never reach the PDF --------------------------------------


def _rules(css: str):
    """(media prelude or "", selector, declarations) of every qualified rule."""
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            yield "", tinycss2.serialize(rule.prelude).strip(), tinycss2.serialize(rule.content)
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media":
            media = tinycss2.serialize(rule.prelude).strip()
            for inner in tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True):
                if inner.type == "qualified-rule":
                    yield media, tinycss2.serialize(inner.prelude).strip(), tinycss2.serialize(inner.content)


def test_screen_only_rules_live_in_media_screen():
    rules = list(_rules(html.css()))
    for media, selector, body in rules:
        if "overflow-x" in body or "nav." in selector or "flex" in body:
            assert media.startswith("screen"), (media, selector)
    hidden = [(m, s) for m, s, b in rules if s == ".screen-only" and "none" in b]
    assert ("", ".screen-only") in hidden and any(m == "print" for m, _ in hidden)
    # on a phone the header block stacks and a chart takes the whole width
    phone = [(s, b) for m, s, b in rules if "max-width" in m]
    assert any("header-block" in s and "flex" in b for s, b in phone)
    assert any(s == "figure.chart img" and "100%" in b and "important" in b for s, b in phone)
    # placeholders are highlighted in print too (not inside a media block)
    assert any(m == "" and s == "p.placeholder" and "background" in b for m, s, b in rules)


# ---- the PDF: print rules at work ---------------------------------------------------------


@pytest.mark.slow
def test_pdf_has_the_draft_mark_and_no_screen_navigation(tmp_path):
    body = [B.Heading("I. KẾT QUẢ"), B.Heading("1. Chi tiết", 2), B.Paragraph(LONG)]
    plain = write_pdf(_doc(body), tmp_path / "plain.pdf")
    marked = write_pdf(_doc(body, draft=True, index_href="../index.html"), tmp_path / "draft.pdf")
    p_plain, p_marked = _pages(plain), _pages(marked)
    assert len(p_plain) == len(p_marked) == 1
    assert "DỰ THẢO" in p_marked[0] and "DỰ THẢO" not in p_plain[0]
    for screen_text in ("Mục lục", "Danh mục báo cáo"):
        assert screen_text not in p_marked[0]
    # the mark sits in the top margin: the rest of page 1 is laid out exactly as without it
    assert p_marked[0].replace("DỰ THẢO", "").split() == p_plain[0].split()


@pytest.mark.slow
def test_pdf_placeholder_is_highlighted(tmp_path):
    import numpy as np
    from PIL import Image

    path = write_pdf(_doc([B.Paragraph("Phần này do chuyên viên viết.", "placeholder")]), tmp_path / "x.pdf")
    png = subprocess.run(
        ["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(path)], capture_output=True, check=True
    )
    rgb = np.asarray(Image.open(io.BytesIO(png.stdout)).convert("RGB")).astype(int)
    yellow = (rgb[..., 0] > 230) & (rgb[..., 1] > 210) & (rgb[..., 2] < 160)
    assert yellow.sum() > 100


@pytest.mark.slow
def test_pdf_closing_block_never_stands_alone(tmp_path):
    """Find a body length where, without the keep rule, the closing block starts page 2 alone;
    then with the rule the last paragraph goes with it."""
    last = "Đoạn cuối cùng của thân bài đi cùng khối ký."
    for n in range(8, 20):
        body = [B.Paragraph(LONG) for _ in range(n)] + [B.Paragraph(last)]
        loose = B.Document("x", [B.Section([_header()]), B.Section(body), B.Section([_closing(keep=False)])])
        pages = _pages(write_pdf(loose, tmp_path / f"loose{n}.pdf"))
        if len(pages) == 2 and last not in pages[1] and "Nơi nhận" in pages[1]:
            break
    else:
        pytest.fail("no body length put the closing block alone on page 2")
    kept = B.Document("x", [B.Section([_header()]), B.Section(body), B.Section([_closing(keep=True)])])
    pages = _pages(write_pdf(kept, tmp_path / "kept.pdf"))
    closing_page = next(p for p in pages if "Nơi nhận" in p)
    assert last in closing_page and "Y Thử" in closing_page


@pytest.mark.slow
def test_pdf_long_kept_table_breaks_with_its_header_repeated(tmp_path):
    table = _table(45, keep=True)
    assert not html.keeps_together(table)
    doc = _doc([B.Heading("I. KẾT QUẢ"), B.Paragraph(LONG), table])
    pages = _pages(write_pdf(doc, tmp_path / "x.pdf"))
    assert "Trường số 1 xã Ia Rsươm" in pages[0]  # starts under the paragraph, not on a new page
    assert len(pages) >= 2 and "Đơn vị Tỷ lệ" in pages[1]  # header repeated on the next page
    short = _table(4, keep=True)
    assert html.keeps_together(short)


def test_printed_column_widths_fit_the_longest_word_and_fill_the_line():
    t = B.Table(
        columns=[B.Column("TT"), B.Column("Chỉ tiêu"), B.Column("Số đạt", nowrap=True)],
        rows=[[B.Cell("1"), B.Cell("Tỷ lệ hộ gia đình đạt danh hiệu “Gia đình học tập” " * 3), B.Cell("14.749")]],
    )
    widths = [float(w) for w in re.findall(r"--w:([\d.]+)%", html.colgroup_html(t))]
    assert abs(sum(widths) - 100) < 0.05
    text_pt = html.TEXT_WIDTH_MM / (25.4 / 72)
    tt, text, number = (w * text_pt / 100 for w in widths)
    assert tt >= 2 * 7.3 + 6  # "TT" in 11 pt bold, with the cell's padding
    assert number >= 5 * 5.5 + 2.75 + 6  # "14.749" never wraps
    assert text > tt + number  # the long text takes what is left

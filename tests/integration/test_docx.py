"""The Word (DOCX) renderer: real files, read back with python-docx and opened by LibreOffice.

The annual report of the shipped synthetic sample (session fixture ``demo_sample``) is built as
a ``Document`` and written as .docx; its text, tables, page, fonts, fields and styles are read
back and compared with the document and with ``indicators.csv``; LibreOffice headless turns it
into a PDF that poppler reads. A small hand-made document covers every block and role.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest
from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from hoctap.report import blocks as B

YEAR = 2025
ISSUE = "2026-01-12"
FONT = "Times New Roman"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


@pytest.fixture(scope="module")
def sample_doc(demo_sample) -> B.Document:
    from hoctap.report import annual

    return annual.document(annual.load(demo_sample, YEAR, ISSUE))


@pytest.fixture(scope="module")
def written(sample_doc, tmp_path_factory):
    from hoctap.report.docx import write_docx

    path = write_docx(sample_doc, tmp_path_factory.mktemp("docx") / f"bao-cao-nam-{YEAR}.docx")
    return path, open_docx(str(path))


def _vn_int(n) -> str:
    """Thousands with a dot: the test's own formatting, independent of hoctap.fmt."""
    return f"{int(n):,}".replace(",", ".")


def _tc_text(tc) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.findall(qn("w:p")))


def _continues(tc) -> bool:
    pr = tc.tcPr
    merge = pr.find(qn("w:vMerge")) if pr is not None else None
    return merge is not None and merge.get(qn("w:val")) in (None, "continue")


def _rows(table) -> list[list[str]]:
    """Cell texts row by row as the document wrote them: a merged cell once, where it starts."""
    return [[_tc_text(tc) for tc in tr.tc_lst if not _continues(tc)] for tr in table._tbl.tr_lst]


def _grids(d) -> list:
    """The data tables (ruled), not the borderless layout tables of the header and closing."""
    return [t for t in d.tables if t.style is not None and t.style.name == "Table Grid"]


def _has(el, tag: str) -> bool:
    return el is not None and el.find(qn(tag)) is not None


def test_tables_are_the_documents_tables(sample_doc, written):
    _, d = written
    grids = _grids(d)
    assert len(grids) == len(sample_doc.tables()) >= 3
    for got, t in zip(grids, sample_doc.tables(), strict=True):
        want = [[c.text for c in r] for r in [*t.headers(), *(t.rows or [[B.Cell(t.empty_text)]])]]
        assert _rows(got) == want, t.caption
        if t.caption:  # the caption is the paragraph right above its table
            before = got._tbl.getprevious()
            assert before.tag == qn("w:p") and _tc_text_p(before) == t.caption


def _tc_text_p(p) -> str:
    return "".join(t.text or "" for t in p.iter(qn("w:t")))


def test_indicator_figures_match_indicators_csv(demo_sample, written):
    _, d = written
    ind = pd.read_csv(demo_sample.processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    area = ind[(ind["geo_level"] == "area") & (ind["denominator"] > 0)]
    (table,) = [t for t in _grids(d) if re.match(r"Bảng\s1\.", _tc_text_p(t._tbl.getprevious()))]
    rows = _rows(table)
    head = rows[0]
    i_num, i_den, i_rate = head.index("Số đạt"), head.index("Tổng số"), head.index("Tỷ lệ")
    by_counts = {(r[i_num], r[i_den]): r[i_rate] for r in rows[1:]}
    assert len(area) >= 5
    for r in area.itertuples():
        key = (_vn_int(r.numerator), _vn_int(r.denominator))
        assert key in by_counts, (r.indicator, key)
        rate = by_counts[key]
        m = re.fullmatch(r"(\d+)(?:,(\d{1,2}))?%", rate)  # "69,4%": decimal comma
        assert m, rate
        decimals = len(m.group(2) or "")
        assert abs(float(rate[:-1].replace(",", ".")) - r.rate_pct) <= 0.5 * 10**-decimals + 1e-9, (rate, r.rate_pct)


def test_text_of_every_block_in_order(sample_doc, written):
    _, d = written
    want = []
    for b in sample_doc.blocks():
        if isinstance(b, B.DocumentHeader):
            want += [b.doc_type, b.summary]
        elif isinstance(b, B.Heading) or (isinstance(b, B.Paragraph) and b.role != "draft"):
            want.append(b.text)
        elif isinstance(b, B.DashList):
            want += [f"- {x}" for x in b.items]
        elif isinstance(b, B.Table):
            want += [x for x in (b.caption, b.note) if x]
        elif isinstance(b, B.Figure):
            want.append(b.caption)
    assert [p.text for p in d.paragraphs if p.text] == want
    header = next(b for b in sample_doc.blocks() if isinstance(b, B.DocumentHeader))
    first = _rows(d.tables[0])
    assert first == [
        ["\n".join([*header.parent, header.issuer, ""]), "\n".join([header.nation, header.motto, ""])],
        [header.number, header.place_date],
    ]
    assert re.search(r"Số:\s{4,}/", header.number)  # room for the number, kept in the file
    closing = next(b for b in sample_doc.blocks() if isinstance(b, B.Closing))
    (sign,) = [t for t in d.tables if _rows(t) and _rows(t)[0][0].startswith(closing.recipients_head)]
    assert _rows(sign) == [
        ["\n".join([closing.recipients_head, *closing.recipients]), "\n".join([*closing.sign_titles, closing.signer])]
    ]


def test_page_a4_margins_and_page_numbers_from_page_two(written):
    _, d = written
    (s,) = d.sections
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    margins = [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)]
    assert margins == [20, 20, 30, 15]
    assert s.different_first_page_header_footer and _has(s._sectPr, "w:titlePg")
    header = s.header._element
    assert [i.text.strip() for i in header.iter(qn("w:instrText"))] == ["PAGE"]
    kinds = [f.get(qn("w:fldCharType")) for f in header.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert s.header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert not list(s.first_page_header._element.iter(qn("w:instrText")))  # none on page 1


def test_fonts_styles_and_properties(sample_doc, written):
    path, d = written
    styles = d.styles.element
    fonts = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:rFonts"))
    assert {k: fonts.get(qn(f"w:{k}")) for k in ("ascii", "hAnsi", "eastAsia", "cs")} == dict.fromkeys(
        ("ascii", "hAnsi", "eastAsia", "cs"), FONT
    )
    normal = d.styles["Normal"]
    assert normal.font.name == FONT and normal.font.size == Pt(13)
    f = normal.paragraph_format
    assert f.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY and f.space_after == Pt(6)
    assert abs(f.first_line_indent - Mm(12.7)) < Mm(0.05)
    for level in (1, 2, 3):
        h = d.styles[f"Heading {level}"]
        assert (h.font.name, h.font.size, h.font.bold, str(h.font.color.rgb)) == (FONT, Pt(13), True, "000000")
        rfonts = h.element.rPr.find(qn("w:rFonts"))
        assert not [k for k in rfonts.keys() if k.endswith("Theme") or k.endswith("theme")]
        assert h.paragraph_format.keep_with_next
    used = {f.get(qn("w:ascii")) for f in d.element.body.iter(qn("w:rFonts"))}
    assert used <= {FONT, "Courier New"}
    lang = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "vi-VN"
    cp = d.core_properties
    assert (cp.title, cp.language) == (sample_doc.title, "vi-VN")
    assert not list(path.parent.glob("*.tmp*"))  # written atomically: no temporary left beside it


def test_headings_use_heading_styles(sample_doc, written):
    _, d = written
    paragraphs = {p.text: p for p in d.paragraphs if p.style.name.startswith("Heading")}
    headings = [b for b in sample_doc.blocks() if isinstance(b, B.Heading)]
    assert len(headings) >= 8 and len(paragraphs) == len({b.text for b in headings})
    for b in headings:
        p = paragraphs[b.text]
        assert p.style.name == f"Heading {min(b.level, 3)}"
        assert bool(p.paragraph_format.page_break_before) == b.page_break_before
    assert any(b.page_break_before for b in headings)  # the appendix starts a page


def test_header_rows_repeat_and_rows_never_split(sample_doc, written):
    _, d = written
    for got, t in zip(_grids(d), sample_doc.tables(), strict=True):
        trs = got._tbl.tr_lst
        n_head = len(t.headers())
        assert all(_has(tr.trPr, "w:cantSplit") for tr in trs)
        assert [_has(tr.trPr, "w:tblHeader") for tr in trs] == [t.repeat_header] * n_head + [False] * (
            len(trs) - n_head
        )
        if t.keep_together:  # every row but the last kept with the next one
            keeps = [all(_has(p.pPr, "w:keepNext") for p in tr.iter(qn("w:p"))) for tr in trs]
            assert keeps == [True] * (len(trs) - 1) + [False]


def test_draft_mark_and_placeholders(sample_doc, written):
    _, d = written
    assert sample_doc.draft  # the sample has no narrative written: its placeholders show
    first = d.sections[0].first_page_header
    (mark,) = [p for p in first.paragraphs if p.text]
    assert mark.text == "DỰ THẢO" and mark.runs[0].font.bold is not False
    assert _has(mark.style.element.pPr, "w:pBdr")
    todo = [b.text for b in sample_doc.blocks() if isinstance(b, B.Paragraph) and b.role == "placeholder"]
    found = [p for p in d.paragraphs if p.style.name == "Nội dung cần viết"]
    assert todo and [p.text for p in found] == todo
    assert all(r.font.highlight_color == WD_COLOR_INDEX.YELLOW for p in found for r in p.runs)


def _png(width: int = 300, height: int = 150) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def _hand_made(draft: bool = False, mark: bool = True) -> B.Document:
    header = B.DocumentHeader(
        ["UBND XÃ IA RSAI"],
        "ỦY BAN NHÂN DÂN",
        "Số:       /BC-UBND",
        "Ia Rsai, ngày 5 tháng 1 năm 2026",
        "BÁO CÁO",
        "Kết quả năm 2025",
    )
    merged = B.Table(
        [B.Column("Xã"), B.Column("Số đạt", B.RIGHT, True), B.Column("Tỷ lệ", B.RIGHT, True)],
        [
            [B.Cell("Ia Rsai"), B.Cell("1.234"), B.Cell("69,4%", italic=True)],
            [B.Cell("Tổng", colspan=2), B.Cell("70,0%", bold=True)],
        ],
        caption="Bảng 1. Thử ô gộp",
        header_rows=[[B.Cell("Xã", rowspan=2), B.Cell("Năm 2025", colspan=2)], [B.Cell("Số đạt"), B.Cell("Tỷ lệ")]],
        note="Ghi chú của bảng.",
    )
    empty = B.Table([B.Column("TT", B.CENTER), B.Column("Đơn vị")], [], caption="Bảng 2. Không có dòng")
    wide = B.Table(
        [B.Column("Trường"), B.Column("Mã")],
        [[B.Cell("Trường Tiểu học Ơi Hới"), B.Cell("ab" * 32, mono=True)]],
        style="wide prov",
    )
    blocks = [header]
    if mark:
        blocks.append(B.Paragraph("DỰ THẢO", "draft"))
    blocks += [
        B.Paragraph("Đoạn thân bài.\x07"),
        B.Paragraph("Không thụt đầu dòng.", "no-indent"),
        B.Paragraph("Ghi chú nhỏ.", "note"),
        B.Paragraph("DỮ LIỆU GIẢ LẬP.", "synthetic"),
        B.Heading("PHỤ LỤC", 1, "appendix-title", page_break_before=True),
        B.Paragraph("(Kèm theo báo cáo)", "appendix-sub"),
        B.Paragraph("[Cần viết: thuận lợi.]", "placeholder"),
        B.Paragraph("Một vai trò mới.", "vai-tro-chua-biet"),
        B.Heading("1. Mục con", 2),
        B.Heading("a) Mục nhỏ hơn", 4, keep_with_next=False),
        B.DashList(["mục một;", "mục hai."]),
        merged,
        empty,
        wide,
        B.Figure(_png(), caption="Biểu đồ 1. Thử hình", alt="Hình thử", width=0.5),
        B.Paragraph("Đoạn cuối trước phần ký.", keep_with_next=True),
        B.Closing(["- Như trên;", "- Lưu: VT."], ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"], "Nguyễn Văn A"),
    ]
    return B.Document("Báo cáo thử", [B.Section(blocks)], draft=draft)


def test_every_block_and_role_of_a_hand_made_document(tmp_path):
    from hoctap.report.docx import TEXT_W, write_docx

    path = write_docx(_hand_made(), tmp_path / "thu.docx")
    assert [p.name for p in tmp_path.iterdir()] == ["thu.docx"]
    d = open_docx(str(path))
    by_text = {p.text: p for p in d.paragraphs}
    assert "Đoạn thân bài." in by_text  # the control character is dropped, the text kept
    styles = {
        t: by_text[t].style.name
        for t in (
            "Không thụt đầu dòng.",
            "Ghi chú nhỏ.",
            "DỮ LIỆU GIẢ LẬP.",
            "(Kèm theo báo cáo)",
            "Một vai trò mới.",
            "a) Mục nhỏ hơn",
            "- mục một;",
        )
    }
    assert styles == {
        "Không thụt đầu dòng.": "Đoạn không thụt đầu dòng",
        "Ghi chú nhỏ.": "Ghi chú",
        "DỮ LIỆU GIẢ LẬP.": "Dữ liệu giả lập",
        "(Kèm theo báo cáo)": "Dòng dưới tên phụ lục",
        "Một vai trò mới.": "Normal",  # an unknown role is body text
        "a) Mục nhỏ hơn": "Heading 3",
        "- mục một;": "Normal",
    }
    assert by_text["a) Mục nhỏ hơn"].paragraph_format.keep_with_next is False
    assert (
        by_text["PHỤ LỤC"].paragraph_format.page_break_before
        and by_text["PHỤ LỤC"].alignment == WD_ALIGN_PARAGRAPH.CENTER
    )
    assert d.sections[0].first_page_header.paragraphs[0].text == "DỰ THẢO"
    assert "DỰ THẢO" not in by_text  # the mark is on page 1's header, not in the body
    assert by_text["Đoạn cuối trước phần ký."].paragraph_format.keep_with_next

    merged, empty, wide = _grids(d)
    assert _rows(merged) == [["Xã", "Năm 2025"], ["Số đạt", "Tỷ lệ"], ["Ia Rsai", "1.234", "69,4%"], ["Tổng", "70,0%"]]
    assert merged.cell(1, 0)._tc is merged.cell(0, 0)._tc  # "Xã" spans two header rows
    assert merged.cell(0, 1)._tc is merged.cell(0, 2)._tc  # "Năm 2025" two columns
    assert merged.cell(3, 0)._tc is merged.cell(3, 1)._tc
    assert merged.cell(2, 1).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert merged.cell(2, 2).paragraphs[0].runs[0].font.italic and merged.cell(3, 2).paragraphs[0].runs[0].font.bold
    assert [_has(tr.trPr, "w:tblHeader") for tr in merged._tbl.tr_lst] == [True, True, False, False]
    assert _rows(empty)[1] == ["Không có"] and empty.cell(1, 0)._tc is empty.cell(1, 1)._tc
    assert wide.cell(1, 0).paragraphs[0].runs[0].font.size == Pt(9.5)
    assert wide.cell(1, 1).paragraphs[0].runs[0].font.name == "Courier New"
    widths = [int(c.get(qn("w:w"))) for c in merged._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(widths) - TEXT_W.twips) <= len(widths)  # the tables fill the text width

    (pic,) = d.inline_shapes
    assert abs(pic.width - TEXT_W * 0.5) < Mm(0.1)
    closing = d.tables[-1]
    assert _has(closing._tbl.tr_lst[0].trPr, "w:cantSplit")
    assert _rows(closing)[0][1] == "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn A"


@pytest.mark.parametrize(("draft", "mark", "shown"), [(True, False, True), (False, False, False)])
def test_draft_mark_follows_the_document(tmp_path, draft, mark, shown):
    from hoctap.report.docx import write_docx

    d = open_docx(str(write_docx(_hand_made(draft, mark), tmp_path / "thu.docx")))
    texts = [p.text for p in d.sections[0].first_page_header.paragraphs if p.text]
    assert texts == (["DỰ THẢO"] if shown else [])


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.slow
@pytest.mark.skipif(_soffice() is None, reason="LibreOffice (soffice) is not installed: make setup")
def test_libreoffice_opens_it_a4_with_the_motto_and_the_figures(demo_sample, written, tmp_path):
    path, d = written
    profile = tmp_path / "lo-profile"
    out = tmp_path / "pdf"
    run = subprocess.run(
        [
            _soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(profile)},
    )
    pdf = out / f"{path.stem}.pdf"
    assert run.returncode == 0 and pdf.is_file(), run.stderr
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert pages >= 5 and len(sizes) == pages
    assert all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in sizes)  # A4

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert MOTTO in text and "DỰ THẢO" in text
    ind = pd.read_csv(demo_sample.processed(YEAR) / "indicators.csv", encoding="utf-8-sig")
    area = ind[(ind["geo_level"] == "area") & (ind["denominator"] > 0)]
    flat = " ".join(text.split())
    missing = [_vn_int(n) for n in [*area["numerator"], *area["denominator"]] if _vn_int(n) not in flat]
    assert not missing
    (table,) = [t for t in _grids(d) if re.match(r"Bảng\s1\.", _tc_text_p(t._tbl.getprevious()))]
    rates = [r[_rows(table)[0].index("Tỷ lệ")] for r in _rows(table)[1:]]
    assert all(rate in flat for rate in rates)

    def page_top(n: int) -> str:
        page = subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        return next(line.strip() for line in page.splitlines() if line.strip())

    assert page_top(2) == "2" and page_top(3) == "3"  # the PAGE field, centred at the top
    assert page_top(1) != "1"  # none on page 1
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    names = {line.split()[0] for line in fonts if line.strip()}
    assert names and all(re.search(r"Times|Liberation|Tinos|Cousine|Courier", n) for n in names), names

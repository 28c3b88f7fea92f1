"""The parts every report shares: header, sample-data notice, closing, provenance, wordings.

The issuer lines, place, number, signer and distribution list are settings (reference data),
never code: the same reports are written by a commune, a department or an association.
"""

from __future__ import annotations

import datetime as dt
import os
import platform

import pandas as pd

from hoctap import __version__
from hoctap.catalog import Catalog
from hoctap.reference import deadline
from hoctap.report.blocks import (
    Cell,
    Closing,
    Column,
    DashList,
    DocumentHeader,
    Heading,
    Paragraph,
    Section,
    Table,
    datum,
    frame_table,
)
from hoctap.report.data import ReportData
from hoctap.report.meta import date_vn, date_words, decimal, is_missing, signed
from hoctap.vocabulary import INTAKE_WORDS, SYNTHETIC_NOTICE

DOC_TYPE = "BÁO CÁO"


def _lines(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def header(d: ReportData, draft: bool = False) -> Section:
    """The two-column heading of page 1 (the issuer valid on the issue date) with the document
    type and the report's summary line; "DỰ THẢO" above them while the narrative is unfinished."""
    date = d.issue_date
    issuer = d.issuer
    words = date_words(date)
    place = issuer.get("place", "")
    place_date = f"{place}, {words}" if place else words[:1].upper() + words[1:]
    block = DocumentHeader(
        parent=_lines(issuer.get("parent")),
        issuer=str(issuer.get("name", "")),
        number=str(issuer.get("number", "Số:")),
        place_date=place_date,
        doc_type=DOC_TYPE,
        summary=d.summary_line(),
    )
    mark = [Paragraph(DRAFT_MARK, "draft")] if draft else []
    return Section([block, *mark], "header")


DRAFT_MARK = "DỰ THẢO"


def synthetic_notice(d: ReportData) -> list[Paragraph]:
    """A visible label on every report built from the shipped synthetic sample."""
    return [Paragraph(SYNTHETIC_NOTICE, "synthetic")] if d.synthetic else []


def closing(d: ReportData) -> Section:
    """ "Nơi nhận:" and the distribution list, the signing title and the signer's name."""
    dist = d.settings.get("distribution", {})
    signer = d.settings.get("signer", {})
    recipients = [f"- {line};" for line in _lines(dist.get("lines"))]
    recipients.append(f"- {dist.get('archive', 'Lưu: VT.')}")
    block = Closing(recipients, _lines(signer.get("lines")), str(signer.get("name", "")))
    return Section([block], "closing")


def dash_list(items, punctuate: bool = True) -> DashList:
    """Lines in the Vietnamese manner: "...;" and the last "...." (when ``punctuate``)."""
    items = [str(i).rstrip() for i in items]
    if punctuate:
        items = [i.rstrip(".;") + ("." if k == len(items) - 1 else ";") for k, i in enumerate(items)]
    return DashList(items)


def appendix_title(text: str) -> list:
    """ "PHỤ LỤC" on a new page and the line saying which report it belongs to."""
    return [
        Heading("PHỤ LỤC", 1, role="appendix-title", page_break_before=True),
        Paragraph(text, "appendix-sub"),
    ]


def deadline_words(d: ReportData, year: int, every_year: bool = False) -> str:
    """ "trước ngày 10 tháng 12 năm 2026" (or "chậm nhất ..." when the deadline day is on time)."""
    day = deadline(d.settings, year)
    inclusive = d.settings.get("reporting", {}).get("deadline_inclusive", False)
    when = f"{day.day:02d} tháng {day.month} hằng năm" if every_year else date_words(day).removeprefix("ngày ")
    return f"{'chậm nhất' if inclusive else 'trước'} ngày {when}"


def margin_words(m: float) -> str:
    """A commune's mean margin over target as words: "cao hơn chỉ tiêu bình quân 3,2 điểm %"."""
    if round(m, 1) == 0:
        return "bằng chỉ tiêu"
    return f"{'cao' if m > 0 else 'thấp'} hơn chỉ tiêu bình quân {decimal(abs(m), 1)} điểm %"


def software() -> str:
    return f"hoctap {__version__} (Python {platform.python_version()})"


def provenance(d: ReportData, parameters: dict | None = None, run_time: dt.datetime | None = None) -> Section:
    """What the report was built from and with: facts, folders, software version, time, files."""
    run_time = run_time or dt.datetime.now().astimezone()
    p = parameters or {}
    before, after = d.provenance_facts()
    rows = [
        *before,
        ("Thư mục dữ liệu", str(p.get("data_dir", d.ws.data_dir))),
        ("Thư mục báo cáo", str(p.get("reports_dir", d.ws.reports_dir))),
        *after,
        ("Ngày ban hành văn bản", date_vn(d.issue_date)),
        ("Phần mềm", software()),
        ("Thời điểm lập", f"{run_time:%H:%M} {date_vn(run_time.date())}"),
    ]
    blocks = [Heading("Nguồn số liệu và thông tin lập báo cáo", 2)]
    blocks.append(
        frame_table(
            pd.DataFrame(rows, columns=["k", "v"]),
            [("k", "Thông tin"), ("v", "Giá trị")],
            number_rows=False,
            style="data prov",
        )
    )
    files = input_files(d)
    if len(files):
        with_year = files["year"].notna().any()
        columns = [("path", "Tệp"), ("status_vn", "Tình trạng"), ("sha256", "Mã băm SHA-256")]
        blocks.append(
            frame_table(
                files,
                [("year", "Năm"), *columns] if with_year else columns,
                formats={"year": lambda y: str(int(y))},
                style="data prov",
                caption="Các tệp đầu vào",
                cell_style={"sha256": lambda r: {"mono": True}},
            )
        )
    return Section(blocks, "provenance")


def input_files(d: ReportData) -> pd.DataFrame:
    """Every file of the report's intake ledgers, by year and path, with its state in words."""
    frames = []
    for year, intake in d.input_files():
        if intake is None or not len(intake):
            continue
        frames.append(
            intake.sort_values("path").assign(
                year=year, status_vn=intake["status"].map(INTAKE_WORDS).fillna(intake["status"])
            )
        )
    if not frames:
        return pd.DataFrame(columns=["year", "path", "status_vn", "sha256"])
    return pd.concat(frames, ignore_index=True)


APPENDIX_NOTE = "Tỷ lệ lưu đủ số lẻ, hiển thị một chữ số thập phân; ô trống: không có số liệu."


def sources_table(
    d: ReportData,
    caption: str,
    before: list[tuple[str, str]],
    after: list[tuple[str, str]] = (),
    widths: tuple[int, int, int] = (45, 30, 68),
) -> Table:
    """The provenance sheet of an Excel appendix: facts, time, software, then every input file."""
    facts = [
        *before,
        ("Thời điểm lập", dt.datetime.now().strftime("%H:%M %d/%m/%Y")),
        ("Phần mềm", software()),
        *after,
        ("Ghi chú", APPENDIX_NOTE),
    ]
    rows = [[datum(k), datum(v), Cell("")] for k, v in facts]
    for r in input_files(d).itertuples():
        path = r.path if is_missing(r.year) else f"{int(r.year)}: {r.path}"
        rows.append([datum(path), datum(r.status_vn), datum(r.sha256)])
    columns = [
        Column("Tệp / thông tin", width=widths[0]),
        Column("Tình trạng / giá trị", width=widths[1]),
        Column("Mã băm SHA-256", width=widths[2]),
    ]
    return Table(columns, rows, caption=caption, name="Nguồn số liệu")


def section_situation(blocks) -> Section:
    """Sections I and II: the analyst's text (``narrative``), the same parts in every report."""
    return Section(
        [
            Heading("I. ĐẶC ĐIỂM TÌNH HÌNH"),
            Heading("1. Thuận lợi", 2),
            *blocks("thuan_loi"),
            Heading("2. Khó khăn", 2),
            *blocks("kho_khan"),
            Heading("II. CÔNG TÁC CHỈ ĐẠO, TUYÊN TRUYỀN, TRIỂN KHAI"),
            *blocks("chi_dao"),
        ],
        "situation",
    )


def meta(d: ReportData, title: str, kind: str) -> dict:
    """The facts the index lists for a document (written beside it as JSON by ``publish``)."""
    return {
        "title": title,
        "kind": kind,
        "issuer": [*_lines(d.issuer.get("parent")), str(d.issuer.get("name", ""))],
        "number": str(d.issuer.get("number", "Số:")),
        "issue_date": d.issue_date.isoformat(),
        "synthetic": bool(d.synthetic),
    }


def index_href(d: ReportData, product: str, **keys) -> str:
    """The relative link from a report's page to the reports' index (both in the catalog)."""
    cat = Catalog(d.ws)
    return os.path.relpath(cat.path("index"), cat.path(product, **keys).parent).replace(os.sep, "/")


def ranking_table(rank: pd.DataFrame, caption: str) -> Table:
    """The one ranking (``analysis.ranking.commune_ranking``) as every document prints it."""
    rank = rank.assign(
        good_txt=[f"{int(r.n_good)}/{int(r.n)}" for r in rank.itertuples()],
        margin_txt=rank["margin"].map(signed),
    )
    return frame_table(
        rank,
        [
            ("rank", "Xếp hạng"),
            ("geo_name", "Đơn vị"),
            ("good_txt", "Số chỉ tiêu đạt hoặc đúng tiến độ"),
            ("margin_txt", "Chênh lệch bình quân so với mức cần đạt (điểm %)"),
        ],
        formats={"rank": lambda x: str(int(x))},
        numeric=("rank", "good_txt", "margin_txt"),
        number_rows=False,
        caption=caption,
        keep_together=True,
    )

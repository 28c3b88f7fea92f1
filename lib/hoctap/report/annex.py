"""The technical annex of a report: what the analyst keeps, never what the meeting reads.

The document (``annual``, ``period_sections``) carries figures and plain words only; this
annex carries the file ledger with its hashes, the files not accepted and why, the problems
found with their sheet and cell, the parameters, the software version and the run time. It is
its own HTML/PDF beside the document (``phu-luc-ky-thuat-...``) and is not linked from the
published index by default.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

import pandas as pd

from hoctap.report import common
from hoctap.report.blocks import Document, Heading, Paragraph, Section, frame_table
from hoctap.report.data import ReportData
from hoctap.report.meta import DASH, is_missing, number
from hoctap.vocabulary import INTAKE_WORDS, REJECTED, SEVERITY_RANK, SEVERITY_WORDS

MAX_ISSUES = 400  # problems listed one by one; the full list is issues.csv


def _file_name(path) -> str:
    return DASH if is_missing(path) else PurePath(str(path)).name


def issue_kinds(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per problem code: an example message, severity, how often, how many schools."""
    iss = issues.assign(
        severity_vn=issues["severity"].map(SEVERITY_WORDS).fillna(DASH),
        _rank=issues["severity"].map(SEVERITY_RANK).fillna(3),
    )
    return (
        iss.groupby("code", dropna=False)
        .agg(
            example=("message", "first"),
            severity_vn=("severity_vn", "first"),
            n=("message", "size"),
            schools=("school_id", "nunique"),
            _rank=("_rank", "min"),
        )
        .reset_index()
        .sort_values(["_rank", "n"], ascending=[True, False])
    )


def _removed_table(removed: pd.DataFrame, caption: str):
    return frame_table(
        removed.assign(
            status_vn=removed["status"].map(lambda s: INTAKE_WORDS.get(str(s), DASH) if not is_missing(s) else DASH),
            day=removed["detected"].map(_day),
            digest=removed["sha256"].map(lambda h: DASH if is_missing(h) else str(h)),
        ),
        [
            ("path", "Tệp"),
            ("status_vn", "Tình trạng lần trước"),
            ("day", "Phát hiện ngày"),
            ("digest", "Mã băm SHA-256"),
        ],
        caption=caption,
        style="data prov",
        cell_style={"digest": lambda r: {"mono": True}},
    )


def _day(text) -> str:
    try:
        return dt.date.fromisoformat(str(text)).strftime("%d/%m/%Y")
    except ValueError:
        return DASH


def year_blocks(
    year: int | None,
    intake: pd.DataFrame | None,
    issues: pd.DataFrame | None,
    n: int,
    each: bool = True,
    removed: pd.DataFrame | None = None,
) -> list:
    """The rejected files, the files gone since an earlier cleaning, the kinds of problems and
    (``each``) the problems one by one of a year; tables numbered n.1, n.2... as they come."""
    when = f" năm {year}" if year is not None else ""
    out = []

    def caption(text: str) -> str:
        return f"Bảng {n}.{len(out) + 1}. {text}{when}"

    if intake is not None and len(intake):
        bad = intake[intake["status"] == REJECTED]
        if len(bad):
            out.append(
                frame_table(
                    bad.assign(file=bad["path"].map(_file_name)),
                    [("file", "Tệp"), ("school_name", "Trường"), ("reason", "Lý do không tiếp nhận")],
                    caption=caption("Các tệp không được tiếp nhận"),
                    style="data prov",
                )
            )
    if removed is not None and len(removed):
        out.append(_removed_table(removed, caption("Các tệp đã có ở lần làm sạch trước, nay không còn trong thư mục")))
    if issues is not None and len(issues):
        out.append(
            frame_table(
                issue_kinds(issues),
                [
                    ("code", "Mã"),
                    ("example", "Vấn đề (ví dụ)"),
                    ("severity_vn", "Mức độ"),
                    ("n", "Số lần"),
                    ("schools", "Số trường"),
                ],
                formats={"n": number, "schools": number},
                numeric=("n", "schools"),
                caption=caption("Các loại vấn đề phát hiện"),
                style="data prov",
            )
        )
        if not each:
            return out
        listed = issues.assign(
            file=issues["path"].map(_file_name),
            where=[
                DASH if is_missing(s) else f"{s}!{'' if is_missing(c) else c}{'' if is_missing(r) else int(r)}"
                for s, c, r in zip(issues["sheet"], issues.get("column"), issues.get("row"), strict=True)
            ],
            severity_vn=issues["severity"].map(SEVERITY_WORDS).fillna(DASH),
        ).head(MAX_ISSUES)
        more = len(issues) - len(listed)
        out.append(
            frame_table(
                listed,
                [("file", "Tệp"), ("where", "Ô"), ("severity_vn", "Mức độ"), ("message", "Nội dung")],
                caption=caption("Danh sách vấn đề"),
                style="data prov",
                note=(
                    f"Còn {number(more)} vấn đề nữa trong sổ vấn đề của năm (thư mục số liệu đã xử lý)."
                    if more > 0
                    else None
                ),
            )
        )
    return out


def document(
    d: ReportData,
    title: str,
    years: list[tuple[int | None, pd.DataFrame | None, pd.DataFrame | None]],
    parameters: dict | None = None,
    run_time: dt.datetime | None = None,
    each: bool = True,
    removed: dict[int | None, pd.DataFrame | None] | None = None,
) -> Document:
    """The annex of one report: provenance, input files, then each year's problems (one by one
    when ``each``; a review lists kinds only, the lists are in each year's own annex) and the
    files gone since an earlier cleaning (``removed``, by year)."""
    blocks = [
        Heading("PHỤ LỤC KỸ THUẬT", 1, role="appendix-title"),
        Paragraph(f"(Kèm theo {title}; tài liệu lưu của cán bộ tổng hợp, không phát hành)", "appendix-sub"),
        *common.synthetic_notice(d),
    ]
    sections = [Section(blocks, "annex-title"), common.provenance(d, parameters, run_time)]
    for i, (year, intake, issues) in enumerate(years, 1):
        part = year_blocks(year, intake, issues, i, each, (removed or {}).get(year))
        if part:
            head = f"{i}. Kiểm tra số liệu" + (f" năm {year}" if year is not None else "")
            sections.append(Section([Heading(head, 2), *part], f"annex-year-{year or ''}"))
    return Document(f"Phụ lục kỹ thuật: {title}", sections, kind="annex", synthetic=d.synthetic)

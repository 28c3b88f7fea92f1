"""The analyst's text of a report: a plain-text file per report in the workspace.

The figures are never typed by hand; what only people know (thuận lợi, khó khăn, the work of
direction and communication, limits and causes, lessons, the way ahead, requests) is. The first
build writes ``<data>/narrative/<report>.md`` with one ``## title`` per part and a marked
placeholder ``[[...]]`` under each; the analyst replaces the placeholders in any text editor.
While one is left, the document prints "DỰ THẢO" on its first page.

Format: lines starting with one ``#`` are notes for the analyst (not printed); ``## title``
starts a part; paragraphs are separated by a blank line; a line starting with ``- `` is an item
of a dash list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hoctap.catalog import Catalog
from hoctap.io import write_text
from hoctap.paths import Workspace
from hoctap.report.blocks import DashList, Paragraph
from hoctap.text import label_key

PLACEHOLDER = re.compile(r"\[\[(.*?)\]\]", re.S)


@dataclass(frozen=True)
class Slot:
    key: str
    title: str
    hint: str


def slots(kind: str, next_period: str) -> list[Slot]:
    """The parts the analyst writes, in the document's order. ``kind``: annual, so-ket, tong-ket."""
    out = [
        Slot("thuan_loi", "Thuận lợi", "những thuận lợi trong năm (sự quan tâm của cấp ủy, chính quyền; phối hợp...)"),
        Slot("kho_khan", "Khó khăn", "những khó khăn (địa bàn, điều kiện kinh tế, nhân lực, kinh phí...)"),
        Slot(
            "chi_dao",
            "Công tác chỉ đạo, tuyên truyền, triển khai",
            "các văn bản chỉ đạo đã ban hành, hình thức tuyên truyền, hội nghị, kiểm tra đã tổ chức",
        ),
        Slot("han_che", "Hạn chế và nguyên nhân", "những hạn chế và nguyên nhân chủ quan, khách quan"),
    ]
    if kind != "annual":
        out.append(Slot("bai_hoc", "Bài học kinh nghiệm", "những bài học rút ra sau giai đoạn"))
    out += [
        Slot("phuong_huong", f"Phương hướng, nhiệm vụ {next_period}", f"các nhiệm vụ trọng tâm {next_period}"),
        Slot("kien_nghi", "Kiến nghị, đề xuất", "kiến nghị với cấp trên và đề xuất với các đơn vị"),
    ]
    return out


def template(title: str, parts: list[Slot]) -> str:
    lines = [
        f"# Phần chữ do cán bộ tổng hợp viết cho: {title}.",
        "# Thay mỗi chỗ [[...]] bằng nội dung; để trống dòng giữa hai đoạn; dòng bắt đầu bằng",
        '# "- " là một ý gạch đầu dòng. Không sửa các dòng "## ..." (tên các phần của báo cáo).',
        "# Còn chỗ [[...]] nào thì báo cáo được in chữ DỰ THẢO ở trang đầu. Các số liệu do phần",
        "# tổng hợp tự tính, không gõ vào đây. Dòng bắt đầu bằng một dấu # không được in.",
        "",
    ]
    for s in parts:
        lines += [f"## {s.title}", "", f"[[Cần viết: {s.hint}.]]", ""]
    return "\n".join(lines)


@dataclass
class Narrative:
    """The parsed text: blocks per slot key; ``missing`` lists the slots still to be written."""

    parts: dict[str, list] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def draft(self) -> bool:
        return bool(self.missing)

    def blocks(self, key: str) -> list:
        return self.parts.get(key, [])


def _blocks(lines: list[str]) -> tuple[list, bool]:
    out, para, items, placeholder = [], [], [], False

    def flush():
        nonlocal para, items, placeholder
        if para:
            text = " ".join(para).strip()
            if PLACEHOLDER.search(text):
                placeholder = True
                out.append(Paragraph(PLACEHOLDER.sub(lambda m: f"[{m.group(1).strip()}]", text), "placeholder"))
            elif text:
                out.append(Paragraph(text))
        if items:
            out.append(DashList(items))
        para, items = [], []

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- "):
            if para:
                flush()
            items.append(line[2:].strip())
        else:
            if items:
                flush()
            para.append(line)
    flush()
    return out, placeholder


def parse(text: str, parts: list[Slot]) -> Narrative:
    """The slots found in ``text`` (titles matched without regard to case or accents)."""
    by_key = {label_key(s.title): s for s in parts}
    found: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("## "):
            slot = by_key.get(label_key(line[3:].strip()))
            current = slot.key if slot else None
            if current:
                found.setdefault(current, [])
            continue
        if line.startswith("#"):
            continue
        if current:
            found[current].append(line)
    n = Narrative()
    for s in parts:
        blocks, placeholder = _blocks(found.get(s.key, []))
        if not blocks:
            blocks = [Paragraph(f"[Cần viết: {s.hint}.]", "placeholder")]
            placeholder = True
        n.parts[s.key] = blocks
        if placeholder:
            n.missing.append(s.title)
    return n


def _dataset(report: str) -> str:
    return "annual_narrative" if report == "annual" else "period_narrative"


def ensure(ws: Workspace, report: str, title: str, parts: list[Slot], **keys) -> Path:
    """Create the narrative file with its placeholders when it does not exist; never overwrite."""
    path = Catalog(ws).path(_dataset(report), **keys)
    if not path.exists():
        write_text(path, template(title, parts))
    return path


def read(ws: Workspace, report: str, parts: list[Slot], **keys) -> Narrative:
    """The narrative of a report (every slot a placeholder when the file does not exist yet)."""
    path = Catalog(ws).path(_dataset(report), **keys)
    try:
        text = path.read_bytes().decode("utf-8-sig") if path.is_file() else ""
    except (OSError, UnicodeDecodeError):
        text = ""
    n = parse(text, parts)
    n.path = path
    return n

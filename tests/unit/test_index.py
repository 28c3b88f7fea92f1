"""reports/index.html from a temporary reports folder: the facts of each report from its JSON
sidecar (or what the folder says without one), the documents linked and the analyst's files
only on request, relative links, newest first."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bs4 import BeautifulSoup

from hoctap.paths import Workspace
from hoctap.report.index import index_html, update_index
from hoctap.vocabulary import SYNTHETIC_LABEL

ISSUER = ["UBND XÃ IA RSƯƠM", "HỘI KHUYẾN HỌC"]


def _report(root: Path, folder: str, stem: str, exts: tuple[str, ...], meta: dict | str | None = None) -> None:
    d = root / "reports" / folder
    d.mkdir(parents=True, exist_ok=True)
    for ext in exts:
        (d / f"{stem}.{ext}").write_bytes(b"x")
    if meta is not None:
        text = meta if isinstance(meta, str) else json.dumps(meta, ensure_ascii=False)
        (d / f"{stem}.json").write_text(text, encoding="utf-8")


def _ws(root: Path, synthetic_registry: bool | None = None) -> Workspace:
    data = root / "data"
    if synthetic_registry is not None:
        (data / "reference").mkdir(parents=True)
        note = "Dữ liệu giả lập (synthetic)" if synthetic_registry else ""
        (data / "reference" / "schools.csv").write_text(
            "school_id,name,aliases,commune_code,level,active_from,active_to,note\n"
            f"KP001,Trường Mầm non Hoa Sen,,X-A,Mầm non,2021,,{note}\n",
            encoding="utf-8",
        )
    return Workspace(data, root / "reports")


def _meta(**kw) -> dict:
    base = {
        "title": "Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm 2026",
        "issuer": ISSUER,
        "number": "Số: 12/BC-HKH",
        "issue_date": "2026-12-10",
        "synthetic": False,
        "draft": False,
        "kind": "annual",
    }
    return {**base, **kw}


def _items(page: str) -> list:
    return BeautifulSoup(page, "html.parser").select("li.report")


def test_facts_from_the_sidecar_and_documents_only(tmp_path):
    _report(
        tmp_path,
        "2026",
        "bao-cao-nam-2026",
        ("html", "pdf", "docx", "xlsx"),
        _meta(synthetic=True, draft=True),
    )
    (tmp_path / "reports" / "2026" / "phu-luc-ky-thuat-2026.html").write_text("annex")
    (tmp_path / "reports" / "2026" / "phan-hoi").mkdir()
    path = update_index(_ws(tmp_path))
    assert path == tmp_path / "reports" / "index.html"
    page = path.read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    (item,) = _items(page)
    text = " ".join(item.get_text(" ").split())
    assert "Báo cáo kết quả thực hiện Chương trình học tập suốt đời năm 2026" in text
    assert "UBND XÃ IA RSƯƠM – HỘI KHUYẾN HỌC" in text
    assert "Số: 12/BC-HKH" in text and "Ngày ban hành: 10/12/2026" in text
    assert "Dự thảo" in text
    hrefs = [a["href"] for a in item.find_all("a")]
    assert hrefs == ["2026/bao-cao-nam-2026.html", "2026/bao-cao-nam-2026.pdf", "2026/bao-cao-nam-2026.docx"]
    # the analyst's files hold school-level data and the input ledger: not linked by default
    assert "xlsx" not in page and "phu-luc-ky-thuat" not in page and "phan-hoi" not in page
    assert soup.find("p", class_="synthetic").text == SYNTHETIC_LABEL
    assert soup.find(class_="index-issuer").get_text(" ", strip=True) == "UBND XÃ IA RSƯƠM HỘI KHUYẾN HỌC"
    assert soup.find("h1").text == "DANH MỤC BÁO CÁO"


def test_with_annex_links_the_appendix_and_the_technical_annex(tmp_path):
    _report(tmp_path, "2026", "bao-cao-nam-2026", ("pdf", "xlsx"), _meta())
    (tmp_path / "reports" / "2026" / "phu-luc-ky-thuat-2026.pdf").write_bytes(b"%PDF")
    page = index_html(_ws(tmp_path), with_annex=True)
    hrefs = [a["href"] for a in _items(page)[0].find_all("a")]
    assert hrefs == ["2026/bao-cao-nam-2026.pdf", "2026/bao-cao-nam-2026.xlsx", "2026/phu-luc-ky-thuat-2026.pdf"]
    assert "Dành cho cán bộ tổng hợp" in page


def test_links_are_relative_and_newest_first(tmp_path):
    _report(tmp_path, "2024", "bao-cao-nam-2024", ("pdf",), _meta(issue_date="2024-12-10", title="Năm 2024"))
    _report(tmp_path, "2026", "bao-cao-nam-2026", ("html",), _meta(title="Năm 2026"))
    review = _meta(title="Sơ kết 5 năm", issue_date="2026-01-15", kind="so-ket")
    _report(tmp_path, "so-ket-2021-2025", "so-ket-2021-2025", ("pdf",), review)
    _report(tmp_path, "2025", "bao-cao-nam-2025", ("xlsx",), _meta(title="Chỉ có bảng số liệu"))
    page = index_html(_ws(tmp_path))
    titles = [li.find("h2").text for li in _items(page)]
    assert titles == ["Năm 2026", "Sơ kết 5 năm", "Năm 2024"]  # a report without a document is not listed
    for href in re.findall(r'href="([^"]+)"', page):
        assert not href.startswith(("/", "file:", "http")), href


def test_without_a_sidecar_the_folder_speaks(tmp_path):
    _report(tmp_path, "2023", "bao-cao-nam-2023", ("html", "pdf"))
    _report(tmp_path, "tong-ket-2021-2030", "tong-ket-2021-2030", ("pdf",), "{not json")
    page = index_html(_ws(tmp_path, synthetic_registry=False))
    items = _items(page)
    assert [li.find("h2").get_text(" ", strip=True) for li in items] == [
        "Báo cáo tổng kết 2021-2030",
        "Báo cáo năm 2023",
    ]
    assert all("Ngày lập:" in li.text for li in items)  # no issue date known: the build date
    assert SYNTHETIC_LABEL not in page


def test_synthetic_registry_labels_reports_without_a_sidecar(tmp_path):
    _report(tmp_path, "2023", "bao-cao-nam-2023", ("pdf",))
    page = index_html(_ws(tmp_path, synthetic_registry=True))
    assert SYNTHETIC_LABEL in page
    assert "Dữ liệu giả lập" in _items(page)[0].text
    # a sidecar that says "not synthetic" is believed over the registry
    _report(tmp_path, "2024", "bao-cao-nam-2024", ("pdf",), _meta(issue_date="2024-12-10", synthetic=False))
    items = _items(index_html(_ws(tmp_path)))
    assert "Dữ liệu giả lập" not in items[0].text


def test_empty_reports_folder(tmp_path):
    page = index_html(_ws(tmp_path))
    assert "Chưa có báo cáo nào." in page and SYNTHETIC_LABEL not in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page

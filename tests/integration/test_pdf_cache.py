"""The PDF cache (hoctap.report.pdf): the same page is laid out once; a damaged cached PDF is laid
out again; every PDF written is a real one (poppler reads its text)."""

from __future__ import annotations

import hashlib
import subprocess

from hoctap.report import pdf

PAGE = "<html><head><style>@page {{ size: A4 }}</style></head><body><p>{}</p></body></html>"


def _text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_same_page_is_served_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    page = PAGE.format("Báo cáo kết quả năm 2026: Gia đình học tập")
    pdf.write_pdf(page, tmp_path / "a.pdf", cache)
    [key_file] = cache.glob("*.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == key_file.read_bytes()
    # a valid entry that differs from a fresh layout: served as it is, so nothing was laid out again
    marked = key_file.read_bytes() + b"\n% served from the cache\n"
    key_file.write_bytes(marked)
    key_file.with_suffix(".sha256").write_text(hashlib.sha256(marked).hexdigest() + "\n")
    pdf.write_pdf(page, tmp_path / "b.pdf", cache)
    assert (tmp_path / "b.pdf").read_bytes() == marked
    assert "Gia đình học tập" in _text(tmp_path / "b.pdf")


def test_a_damaged_cached_pdf_is_laid_out_again(tmp_path):
    cache = tmp_path / "cache"
    page = PAGE.format("Dòng họ học tập")
    pdf.write_pdf(page, tmp_path / "a.pdf", cache)
    [key_file] = cache.glob("*.pdf")
    key_file.write_bytes(b"%PDF-1.7 truncated")
    pdf.write_pdf(page, tmp_path / "b.pdf", cache)
    assert "Dòng họ học tập" in _text(tmp_path / "b.pdf")
    assert key_file.read_bytes().startswith(b"%PDF") and len(key_file.read_bytes()) > 100, "the entry is repaired"


def test_another_page_is_laid_out_and_the_cache_keeps_the_most_recent(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "KEEP", 2)
    cache = tmp_path / "cache"
    for n in range(3):
        pdf.write_pdf(PAGE.format(f"Cộng đồng học tập {n}"), tmp_path / f"{n}.pdf", cache)
        assert f"Cộng đồng học tập {n}" in _text(tmp_path / f"{n}.pdf")
    assert len(list(cache.glob("*.pdf"))) == 2 and len(list(cache.glob("*.sha256"))) == 2


def test_an_unwritable_cache_still_writes_the_pdf(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the folder should be")
    pdf.write_pdf(PAGE.format("Đơn vị học tập"), tmp_path / "a.pdf", blocker)
    assert "Đơn vị học tập" in _text(tmp_path / "a.pdf")

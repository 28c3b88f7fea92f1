"""The chart cache (hoctap.report.chart_cache): the same figures give the same images without
drawing; anything that changes a pixel, or a damaged file, draws again; ``--force`` empties it."""

from __future__ import annotations

import json

import pytest

from builders import drawing
from hoctap import pipeline
from hoctap.catalog import Catalog
from hoctap.report import chart_cache

BARS = "builders.drawing:bars"


@pytest.fixture(autouse=True)
def _count():
    drawing.DRAWN.clear()
    yield


def test_a_chart_is_drawn_once_and_served_from_the_cache_with_the_same_bytes(tmp_path):
    first = chart_cache.images(tmp_path, BARS, [1, 2, 3], "Tỷ lệ đạt")
    again = chart_cache.images(tmp_path, BARS, [1, 2, 3], "Tỷ lệ đạt")
    assert drawing.DRAWN == [((1, 2, 3), "Tỷ lệ đạt")]
    assert again == first
    data, mime, width = first[0]
    assert mime == "image/png" and data.startswith(b"\x89PNG") and 0 < width <= 1
    uncached = chart_cache.images(None, BARS, [1, 2, 3], "Tỷ lệ đạt")
    assert uncached == first, "the cache must give what drawing gives"


def test_other_figures_or_words_draw_again(tmp_path):
    a = chart_cache.images(tmp_path, BARS, [1, 2, 3], "Tỷ lệ đạt")
    b = chart_cache.images(tmp_path, BARS, [1, 2, 4], "Tỷ lệ đạt")
    c = chart_cache.images(tmp_path, BARS, [1, 2, 3], "Tỷ lệ đạt năm 2026")
    assert len(drawing.DRAWN) == 3
    assert len({a[0][0], b[0][0], c[0][0]}) == 3
    assert chart_cache.key("m", "f", ([1],), "png") != chart_cache.key("m", "f", ([1],), "svg")


def test_a_damaged_image_or_manifest_is_drawn_again_never_used(tmp_path):
    good = chart_cache.images(tmp_path, BARS, [5, 6], "x")
    [png] = tmp_path.glob("*.png")
    png.write_bytes(png.read_bytes()[:100])
    assert chart_cache.images(tmp_path, BARS, [5, 6], "x") == good
    assert len(drawing.DRAWN) == 2
    [manifest] = tmp_path.glob("*.json")
    manifest.write_text("{not json", encoding="utf-8")
    assert chart_cache.images(tmp_path, BARS, [5, 6], "x") == good
    assert len(drawing.DRAWN) == 3
    assert json.loads(manifest.read_text(encoding="utf-8"))["images"][0]["sha256"]


def test_several_figures_of_one_chart_come_back_in_order(tmp_path):
    first = chart_cache.images(tmp_path, "builders.drawing:two", [1, 2])
    assert chart_cache.images(tmp_path, "builders.drawing:two", [1, 2]) == first
    assert [t for _, t in drawing.DRAWN] == ["một", "hai"]
    assert len(first) == 2 and first[0][0] != first[1][0]


def test_the_cache_keeps_only_the_most_recently_used(tmp_path, monkeypatch):
    monkeypatch.setattr(chart_cache, "KEEP", 3)
    for n in range(5):
        chart_cache.images(tmp_path, BARS, [n], "x")
    assert len(list(tmp_path.glob("*.json"))) == 3
    assert len(list(tmp_path.glob("*.png"))) == 3


def test_an_unwritable_cache_still_gives_the_chart(tmp_path):
    blocker = tmp_path / "charts"
    blocker.write_text("a file where the folder should be")
    [(data, _, _)] = chart_cache.images(blocker, BARS, [1], "x")
    assert data.startswith(b"\x89PNG")


def test_force_empties_the_chart_and_pdf_caches(workspace):
    folder = Catalog(workspace).path("chart_cache")
    chart_cache.images(folder, BARS, [1], "x")
    pages = Catalog(workspace).path("pdf_cache")
    pages.mkdir(parents=True)
    (pages / "x.pdf").write_bytes(b"%PDF")
    assert any(folder.iterdir())
    pipeline.build(workspace, [], force=True)
    assert not folder.exists() and not pages.exists()
    chart_cache.images(folder, BARS, [1], "x")
    pipeline.build(workspace, [])
    assert any(folder.iterdir()), "only --force empties it"


def test_an_image_drawn_with_a_font_file_that_changed_since_is_drawn_again(tmp_path):
    chart_cache.images(tmp_path, BARS, [1], "x")
    [manifest] = tmp_path.glob("*.json")
    data = json.loads(manifest.read_text(encoding="utf-8"))
    assert data["fonts"] and all(len(f) == 3 for f in data["fonts"])
    data["fonts"][0][2] += 1  # as if the font file had been replaced
    manifest.write_text(json.dumps(data), encoding="utf-8")
    chart_cache.images(tmp_path, BARS, [1], "x")
    assert len(drawing.DRAWN) == 2


@pytest.mark.slow
def test_a_chart_served_from_the_cache_needs_no_matplotlib(tmp_path):
    """In a fresh process: the notebooks' API and a cache hit import no matplotlib (half a second)."""
    import subprocess
    import sys

    chart_cache.images(tmp_path, BARS, [1, 2], "x")
    code = (
        "import sys\n"
        "from hoctap.api import annual\n"
        "from hoctap.report import chart_cache\n"
        f"[(data, _, _)] = chart_cache.images({str(tmp_path)!r}, {BARS!r}, [1, 2], 'x')\n"
        "assert data.startswith(b'\\x89PNG')\n"
        "print('matplotlib' in sys.modules)\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[1])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"

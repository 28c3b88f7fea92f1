"""One computation, one figure: the annual reports and both reviews agree on every year.

Built in-process from a copy of the demo sample (2021-2026): the six annual documents and the
5-year and 10-year reviews (``build_period``, then the review documents). For every year a
review shows, its area figures and statuses equal that year's ``indicators.csv``; where the
review uses the year's own communes, so do the commune figures; the last year's ranking, count
of indicators met or on track and best commune are the same sentences in both documents.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from builders.shared import copy_workspace
from hoctap.analysis.periods import build_period
from hoctap.analysis.ranking import commune_ranking
from hoctap.catalog import Catalog
from hoctap.report import annual, period, period_communes, period_sections

pytestmark = pytest.mark.slow
ISSUE_DATE = "2026-12-02"
REVIEWS = (("so-ket", 2021, 2025), ("tong-ket", 2021, 2030))


@pytest.fixture(scope="module")
def built(demo_sample, tmp_path_factory):
    ws = copy_workspace(demo_sample, tmp_path_factory.mktemp("agreement"))
    cat = Catalog(ws)
    years = ws.processed_years()
    yearly = {y: cat.read("indicators", year=y) for y in years}
    docs = {y: annual.document(annual.load(ws, y, ISSUE_DATE)) for y in years}
    reviews = {}
    for kind, a, b in REVIEWS:
        build_period(ws, kind, a, b)
        d = period.load(ws, kind, a, b, issue_date=ISSUE_DATE)
        reviews[kind] = (d, period_sections.document(d))
    return {"ws": ws, "yearly": yearly, "docs": docs, "reviews": reviews}


def _rows(df: pd.DataFrame, level: str) -> pd.DataFrame:
    cols = ["geo_code", "indicator", "numerator", "denominator", "rate_pct", "target_year", "status"]
    out = df[df["geo_level"] == level][cols].sort_values(["geo_code", "indicator"]).reset_index(drop=True)
    out["status"] = out["status"].astype("string").fillna("")
    out["target_year"] = pd.to_numeric(out["target_year"]).astype("Int64")
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    assert list(a["geo_code"]) == list(b["geo_code"]) and list(a["indicator"]) == list(b["indicator"]), what
    for col in ("numerator", "denominator", "rate_pct"):
        for x, y, code in zip(a[col], b[col], a["indicator"], strict=True):
            both_nan = pd.isna(x) and pd.isna(y)
            assert both_nan or math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-9), f"{what} {code} {col}"
    assert list(a["status"]) == list(b["status"]), f"{what}: statuses differ"
    assert list(a["target_year"]) == list(b["target_year"]), f"{what}: target years differ"


@pytest.mark.parametrize("kind", [k for k, _, _ in REVIEWS])
def test_every_year_of_a_review_equals_its_annual_figures(built, kind):
    d, _doc = built["reviews"][kind]
    compared_communes = 0
    for year in d.years:
        annual_rows = built["yearly"][year]
        review_rows = d.indicators[d.indicators["year"] == year]
        _same(_rows(review_rows, "area"), _rows(annual_rows, "area"), f"{kind} {year} area")
        a, r = _rows(annual_rows, "commune"), _rows(review_rows, "commune")
        if set(a["geo_code"]) == set(r["geo_code"]):  # the review uses that year's own communes
            _same(r, a, f"{kind} {year} communes")
            compared_communes += 1
    assert compared_communes >= 1, "no year of the review is on its own communes: nothing compared"


def _sentence(text: str, start: str) -> str:
    m = re.search(re.escape(start) + r"[^.]*\.", text)
    assert m, f"no sentence starting {start!r}"
    return m.group(0)


@pytest.mark.parametrize("kind", [k for k, _, _ in REVIEWS])
def test_last_year_counts_ranking_and_best_commune_agree(built, kind):
    d, review = built["reviews"][kind]
    year = d.last_year
    doc = built["docs"][year]
    rank_annual = commune_ranking(built["yearly"][year])
    rank_review = period_communes.ranking(d)
    pd.testing.assert_frame_equal(
        rank_annual[["geo_code", "n", "n_good", "rank"]].reset_index(drop=True),
        rank_review[["geo_code", "n", "n_good", "rank"]].reset_index(drop=True),
        check_dtype=False,
    )
    for start in (f"Năm {year}, trong ", "Đơn vị có kết quả tốt nhất", "Các đơn vị có kết quả tốt nhất"):
        if start in doc.text() or start in review.text():
            assert _sentence(doc.text(), start) == _sentence(review.text(), start)


@pytest.mark.parametrize("kind", [k for k, _, _ in REVIEWS])
def test_result_table_statuses_are_the_annual_statuses(built, kind):
    d, review = built["reviews"][kind]
    doc = built["docs"][d.last_year]
    t1 = next(t for t in doc.tables() if (t.caption or "").startswith("Bảng\u00a01."))
    t2 = next(t for t in review.tables() if (t.caption or "").startswith("Bảng\u00a02."))

    def statuses(t):
        heads = [c.header for c in t.columns]
        i, j = heads.index("Chỉ tiêu"), heads.index("Đánh giá")
        return {r[i].text: r[j].text for r in t.rows}

    assert statuses(t1) == statuses(t2)
    assert len(statuses(t1)) == 10


def test_summary_result_is_the_last_years_status(built):
    for kind, (d, _doc) in built["reviews"].items():
        last = d.indicators[d.indicators["year"] == d.last_year].set_index(["geo_code", "indicator"])["status"]
        s = d.summary.set_index(["geo_code", "indicator"])["result_status"]
        for key, value in s.items():
            expected = last.get(key)
            assert (pd.isna(value) and pd.isna(expected)) or value == expected, f"{kind} {key}"


def test_margins_never_contradict_statuses(built):
    """A commune "above what it had to reach" is met or on track, in every year: so the ranking's
    words ("cao hơn mức cần đạt") and the statuses cannot disagree."""
    from hoctap.analysis.ranking import benchmark

    for year, rows in built["yearly"].items():
        judged = rows[rows["status"].notna() & rows["rate_pct"].notna()]
        margin = judged["rate_pct"].astype(float) - benchmark(judged)
        good = judged["status"].isin(["Đạt", "Đúng tiến độ"])
        assert ((margin >= 0) == good).all(), year


def test_documents_are_dated_and_issued_as_of_their_date(built):
    """Issued on 02/12/2026: by the body valid then, never the former district; no date after it."""
    import re as _re

    for year, doc in built["docs"].items():
        text = doc.text()
        assert "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text and "UBND HUYỆN" not in text and "toàn huyện" not in text
        for d, m, y in _re.findall(r"(\d{2})/(\d{2})/(\d{4})", text):
            assert (int(y), int(m), int(d)) <= (2026, 12, 2), (year, d, m, y)
    text = built["docs"][2026].text()
    assert "chưa hết" in text and "chưa nhận được báo cáo của" in text and "nộp muộn" not in text


def test_an_earlier_issue_date_names_the_district_office(built):
    """The same report dated before 1 July 2025 is issued by the body that existed then."""
    doc = annual.document(annual.load(built["ws"], 2024, "2024-12-20"))
    text = doc.text()
    assert "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO" in text and "UBND HUYỆN KRÔNG PA" in text
    assert "Krông Pa, ngày 20 tháng 12 năm 2024" in text

"""Cell value parsers: the value rules of submission-template.md, and never an exception."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoctap.intake import values
from hoctap.intake.values import (
    MAX_COUNT,
    FormulaNoValue,
    Problem,
    parse,
    parse_count,
    parse_date,
    parse_level,
    parse_org_type,
    parse_text,
    parse_year,
    parse_yesno,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (12, 12),
        (12.0, 12),
        ("12", 12),
        (" 12 ", 12),
        ("1.234", 1234),
        ("1,234", 1234),
        ("1.234.567", 1234567),
        ("12 hộ", 12),
        ("12 người", 12),
        ("-", 0),
        ("–", 0),
        ("0", 0),
        ("không", 0),
        ("Không có", 0),
        (0, 0),
        ("12.0", 12),
        ("1 234", 1234),
    ],
)
def test_count_accepts(raw, expected):
    assert parse_count(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u00a0"])
def test_count_blank_is_missing_not_zero(raw):
    assert parse_count(raw) is None


@pytest.mark.parametrize(
    "raw, code",
    [
        (float("nan"), "bad_count"),
        (float("inf"), "bad_count"),
        (float("-inf"), "bad_count"),
        (1e23, "count_too_large"),
        (1e308, "count_too_large"),
        (10**20, "count_too_large"),
        (MAX_COUNT + 1, "count_too_large"),
        ("1e23", "bad_count"),
        ("1e308", "bad_count"),
        ("100000000000000000000", "count_too_large"),
        ("100.000.000.000", "count_too_large"),
        ("10000001 hộ", "count_too_large"),
        ("100000000000000000000.0", "count_too_large"),
        ("inf", "bad_count"),
        ("nan", "bad_count"),
        ("NaN", "bad_count"),
        ("Infinity", "bad_count"),
    ],
)
def test_count_nan_infinity_and_implausible_sizes_are_problems(raw, code):
    """Never missing, never a number that overflows the Int64 tables downstream."""
    out = parse_count(raw)
    assert isinstance(out, Problem) and out.code == code, out
    assert out.detail and "Error" not in out.detail


def test_count_bound_is_inclusive():
    assert parse_count(MAX_COUNT) == MAX_COUNT and parse_count(float(MAX_COUNT)) == MAX_COUNT
    assert parse_count("10.000.000") == MAX_COUNT


@pytest.mark.parametrize("kind", ["yesno", "date", "year", "text", "level", "org_type"])
def test_nan_is_a_problem_for_every_kind(kind):
    assert isinstance(parse(kind, float("nan")), Problem)


@pytest.mark.parametrize("raw", [10**400, -(10**400), 1e308, float("inf"), float("nan")])
@pytest.mark.parametrize("kind", ["count", "yesno", "date", "year", "text"])
def test_huge_numbers_never_raise(raw, kind):
    out = parse(kind, raw)
    assert out is None or isinstance(out, (Problem, int, bool, str, dt.date))
    if kind == "count":
        assert isinstance(out, Problem)


@pytest.mark.parametrize(
    "raw, code",
    [
        ("70%", "percent_in_count"),
        (0.7, "percent_in_count"),
        ("0,5", "percent_in_count"),
        ("0.25", "percent_in_count"),
        (-3, "negative_count"),
        ("-3", "negative_count"),
        (12.5, "bad_count"),
        ("1,5", "bad_count"),
        ("12.5", "bad_count"),
        ("abc", "bad_count"),
        ("khoảng 12", "bad_count"),
        (True, "bad_count"),
        (dt.date(2024, 1, 1), "bad_count"),
        (FormulaNoValue("C4+D4"), "formula_no_cache"),
        (float("inf"), "bad_count"),
    ],
)
def test_count_problems(raw, code):
    out = parse_count(raw)
    assert isinstance(out, Problem) and out.code == code


@pytest.mark.parametrize("raw", ["Có", "có", "Đạt", "dat", "x", "X", "1", 1, 1.0, "✓", "yes", "TRUE", True])
def test_yes(raw):
    assert parse_yesno(raw) is True


@pytest.mark.parametrize("raw", ["Không", "khong", "Chưa đạt", "Chưa", "0", 0, "no", "false", False])
def test_no(raw):
    assert parse_yesno(raw) is False


def test_yesno_missing_and_bad():
    assert parse_yesno("") is None and parse_yesno(None) is None
    assert parse_yesno("có lẽ").code == "bad_yesno"
    assert parse_yesno(2).code == "bad_yesno"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("05/12/2024", dt.date(2024, 12, 5)),
        ("5/12/2024", dt.date(2024, 12, 5)),
        ("05-12-2024", dt.date(2024, 12, 5)),
        ("05.12.2024", dt.date(2024, 12, 5)),
        ("2024-12-05", dt.date(2024, 12, 5)),
        ("ngày 5 tháng 12 năm 2024", dt.date(2024, 12, 5)),
        (dt.datetime(2024, 12, 5, 0, 0), dt.date(2024, 12, 5)),
        (dt.date(2024, 12, 5), dt.date(2024, 12, 5)),
        (45631, dt.date(2024, 12, 5)),
    ],
)
def test_dates(raw, expected):
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2024", "32/13/2024", "hôm qua", 3.5, True, "05/12/1899"])
def test_bad_dates(raw):
    assert parse_date(raw).code == "bad_date"


def test_year_text_level_orgtype():
    assert parse_year(2024) == 2024 and parse_year("Năm 2024") == 2024 and parse_year(2024.0) == 2024
    assert parse_year(2019).code == "bad_year" and parse_year("20 24").code == "bad_year"
    assert parse_text(12.0) == "12" and parse_text("  a   b ") == "a b"
    decomposed = unicodedata.normalize("NFD", "Trường Mầm non")
    assert parse_text(decomposed) == unicodedata.normalize("NFC", "Trường Mầm non")
    assert (
        parse_level("MN") == "Mầm non"
        and parse_level("th&thcs") == "TH&THCS"
        and parse_level("Đại học").code == "bad_level"
    )
    assert parse_org_type("doanh nghiep") == "Doanh nghiệp" and parse_org_type("Hợp tác xã").code == "bad_org_type"


cells = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.from_regex(r"-?[0-9]{1,4}([.,][0-9]{1,4}){0,3}\s*(hộ|người|%)?", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(
    cells,
    st.sampled_from(["count", "yesno", "date", "year", "text", "level", "org_type", "ignore"]),
)
def test_any_cell_gives_value_or_problem(raw, kind):
    out = parse(kind, raw)
    assert out is None or isinstance(out, (Problem, int, bool, str, dt.date))
    if kind == "count" and not isinstance(out, Problem) and out is not None:
        assert isinstance(out, int) and 0 <= out <= MAX_COUNT  # fits Int64 with room to sum
    if isinstance(out, str):
        assert out == unicodedata.normalize("NFC", out)
    if isinstance(out, Problem):  # the detail is shown to a school: Vietnamese, no exception name
        assert "Error" not in out.detail and "Exception" not in out.detail
        # A parser's catch-all is a safety net, not an answer: a crash turned into a Problem fails.
        assert out.detail != values._UNREADABLE, (kind, raw)
    if isinstance(raw, float) and raw != raw:
        assert isinstance(out, Problem)  # NaN is never "missing"


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=True, allow_infinity=True),
        st.from_regex(r"[+-]?[0-9]{1,25}([.,][0-9]{1,4})?(e[+-]?[0-9]{1,3})?", fullmatch=True),
    )
)
def test_count_is_bounded_or_a_problem(raw):
    out = parse_count(raw)
    assert isinstance(out, Problem) or (isinstance(out, int) and 0 <= out <= MAX_COUNT)
    assert not isinstance(out, Problem) or out.detail != values._UNREADABLE, raw  # no hidden crash


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_COUNT))
def test_count_round_trips_vietnamese_thousands(n):
    assert parse_count(f"{n:,}".replace(",", ".")) == n
    assert parse_count(str(n)) == n
    assert parse_count(float(n)) == n


def test_every_problem_code_in_the_code_is_a_rule():
    """A code without a row in rules.csv would crash message formatting at run time."""
    import re
    from pathlib import Path

    import hoctap
    from hoctap.cleaning.rules import load_rules

    rules = load_rules()
    src = Path(hoctap.__file__).parent
    used = set()
    for name in (
        "intake/values.py",
        "intake/workbook.py",
        "intake/formats.py",
        "intake/discovery.py",
        "cleaning/clean.py",
        "cleaning/check.py",
    ):
        text = (src / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'(?:Problem|Finding|_cell_finding|_row_issue|_hist_issue)\(\s*"([a-z_]+)"', text))
        used |= set(re.findall(r'(?<![\w.])code = "([a-z_]+)"', text))
        used |= set(re.findall(r'return \("([a-z_]+)", ', text))
    assert used and used <= set(rules), used - set(rules)
    for rule in rules.values():
        assert rule.message == unicodedata.normalize("NFC", rule.message)
        assert rule.severity in ("error", "warning", "info") and rule.scope in (
            "cell",
            "row",
            "file",
        )

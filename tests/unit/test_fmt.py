"""Vietnamese number, percent and date formatting."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hoctap import fmt


@pytest.mark.parametrize(
    "x,decimals,text",
    [
        (12345, 0, "12.345"),
        (1234567.5, 1, "1.234.567,5"),
        (np.int64(5), 0, "5"),
        (999.5, 0, "1.000"),  # half-up, not half-even
        (0.25, 1, "0,3"),  # babel alone would print "0,2"
        (-0.2, 0, "0"),  # no "-0"
        (-12345, 0, "-12.345"),
    ],
)
def test_number(x, decimals, text):
    assert fmt.number(x, decimals) == text


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, np.nan, pd.NaT])
def test_missing_prints_dash(missing):
    assert fmt.number(missing) == fmt.pct(missing) == fmt.pp(missing) == fmt.date_vn(missing) == "—"


@pytest.mark.parametrize(
    "rate,target,text",
    [
        (69.4, None, "69,4%"),
        (0.15, None, "0,2%"),  # from the shortest repr, not the binary 0.1499999...
        (69.96, None, "70,0%"),
        (69.96, 70, "69,96%"),  # never "70,0%" against a target of 70
        (69.996, 70, "69,996%"),
        (70.0, 70, "70,0%"),  # met exactly
        (70.04, 70, "70,0%"),  # above, and 70,0 is not below: fine
        (99.95, 100, "99,95%"),
        (62.54, 62.55, "62,5%"),  # below and printed below: one decimal is enough
        (62.54, 62.54, "62,54%"),  # met exactly, but "62,5%" would read as below the target
    ],
)
def test_pct_never_contradicts_target(rate, target, text):
    status = None if target is None else ("Chưa đạt" if rate < target else "Đạt")
    assert fmt.pct(rate, target=target, status=status) == text


def test_pct_far_below_still_on_its_side():
    assert fmt.pct(69.99999999999, target=70) == "69,999999%"  # the last digit rounds toward the truth


@given(
    st.floats(0, 100, allow_nan=False),
    st.sampled_from([35, 40, 50, 60, 62.5, 65, 70, 75, 80, 90, 100]),
)
def test_printed_figure_is_on_the_side_of_the_true_rate(rate, target):
    shown = float(fmt.pct(rate, target=target).rstrip("%").replace(".", "").replace(",", "."))
    assert (shown < target) == (rate < target)


@pytest.mark.parametrize(
    "delta,text",
    [(3.21, "+3,2 điểm %"), (-0.5, "-0,5 điểm %"), (-0.04, "0,0 điểm %"), (12.0, "+12,0 điểm %")],
)
def test_pp(delta, text):
    assert fmt.pp(delta) == text


def test_dates():
    d = dt.date(2026, 12, 10)
    assert fmt.date_vn(d) == "10/12/2026"
    assert fmt.date_vn(pd.Timestamp("2025-06-30 00:00")) == "30/06/2025"
    assert fmt.date_vn("2025-07-01") == "01/07/2025"
    assert fmt.date_words(d) == "ngày 10 tháng 12 năm 2026"
    # Nghị định 30/2020: leading zero for days below 10 and for months 1 and 2 only
    assert fmt.date_words(dt.date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert fmt.date_words(dt.datetime(2026, 3, 5, 14, 0)) == "ngày 05 tháng 3 năm 2026"


def test_to_date_reads_parameters_and_cells():
    import datetime as dt

    assert fmt.to_date("2025-06-30") == dt.date(2025, 6, 30)
    assert fmt.to_date("2025-06-30T00:00:00") == dt.date(2025, 6, 30)
    assert fmt.to_date(dt.datetime(2025, 6, 30, 8)) == dt.date(2025, 6, 30)
    assert fmt.to_date("") is None and fmt.to_date("  ") is None and fmt.to_date(float("nan")) is None

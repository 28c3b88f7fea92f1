"""hoctap.analysis.exploration.statistics on hand-worked figures."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from hoctap.analysis.exploration import statistics as st


def test_wilson_three_of_three():
    # p = 1, n = 3, z = 1.959964, z² = 3.841459, z²/n = 1.280486, 1 + z²/n = 2.280486
    # centre = (1 + 3.841459/6) / 2.280486 = 0.719250
    # half = (1.959964 / 2.280486) * sqrt(0 + 3.841459/36) = 0.859451 * 0.326656 = 0.280745
    # -> 43.85% .. 100%: a small commune's 100% is compatible with a rate below half
    lo, hi = st.wilson_interval(3, 3)
    assert lo == pytest.approx(43.85, abs=0.01)
    assert hi == pytest.approx(100.0)


def test_wilson_zero_of_ten_and_undefined():
    # p = 0, n = 10: z²/n = 0.384146; centre = 0.192073 / 1.384146 = 0.138767
    # half = 1.959964/1.384146 * sqrt(3.841459/400) = 1.416009 * 0.097998 = 0.138767 -> 0% .. 27.75%
    lo, hi = st.wilson_interval(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-9)
    assert hi == pytest.approx(27.75, abs=0.01)
    assert all(math.isnan(v) for v in st.wilson_interval(0, 0))
    assert all(math.isnan(v) for v in st.wilson_interval(pd.NA, 10))


def test_wilson_middle():
    # 50 of 100: centre = (0.5 + 3.841459/200)/1.038415 = 0.5
    # half = 1.959964/1.038415*sqrt(0.0025+0.0000960) = 1.887456 * 0.050951 = 0.096168
    # -> 40.38% .. 59.62%
    lo, hi = st.wilson_interval(50, 100)
    assert lo == pytest.approx(40.38, abs=0.01)
    assert hi == pytest.approx(59.62, abs=0.01)


def test_funnel_limits():
    # area 50%, n = 100: se = sqrt(0.5*0.5/100) = 0.05
    # 95%:   50 ± 1.959964*5 = 50 ± 9.80  -> 40.20 .. 59.80
    # 99.8%: 50 ± 3.090232*5 = 50 ± 15.45 -> 34.55 .. 65.45
    # n = 4: se = 0.25, 99.8%: 50 ± 77.3 -> clipped to 0 .. 100
    lim = st.funnel_limits(50, [100, 4])
    r = lim.iloc[0]
    assert r["lower_95"] == pytest.approx(40.20, abs=0.01)
    assert r["upper_95"] == pytest.approx(59.80, abs=0.01)
    assert r["lower_998"] == pytest.approx(34.55, abs=0.01)
    assert r["upper_998"] == pytest.approx(65.45, abs=0.01)
    assert lim.iloc[1]["lower_998"] == 0.0 and lim.iloc[1]["upper_998"] == 100.0
    assert lim.columns.tolist() == ["denominator", "lower_95", "upper_95", "lower_998", "upper_998"]


def test_funnel_z_and_band():
    # 60/100 against 50%: (0.6-0.5)/0.05 = 2.0 > 1.96 -> beyond 95%, within 99.8%
    assert st.funnel_z(60, 100, 50) == pytest.approx(2.0)
    assert st.funnel_band(2.0) == "above_95"
    # 30/100: -4.0 -> beyond 99.8% below
    assert st.funnel_band(st.funnel_z(30, 100, 50)) == "below_998"
    # 3/3 = 100% against 50%: (1-0.5)/sqrt(0.25/3) = 0.5/0.288675 = 1.732 -> within chance
    assert st.funnel_z(3, 3, 50) == pytest.approx(1.7321, abs=1e-4)
    assert st.funnel_band(st.funnel_z(3, 3, 50)) == "within"
    assert st.funnel_band(st.funnel_z(0, 0, 50)) == "within"
    assert {st.funnel_band(z) for z in (-4, -2, 0, 2, 4)} == set(st.BAND_KEYS)


def test_two_proportion_z_and_beyond_chance():
    # 40/100 -> 60/100: pooled 0.5, se = sqrt(0.25*(1/100+1/100)) = 0.070711, z = 0.2/0.070711
    # = 2.828
    z = st.two_proportion_z(40, 100, 60, 100)
    assert z == pytest.approx(2.8284, abs=1e-4)
    assert st.beyond_chance(z) and st.beyond_chance(-z)
    # 60/100 -> 2/3: pooled 62/103 = 0.601942, se = sqrt(0.601942*0.398058*(0.01+1/3))
    # = sqrt(0.082259) = 0.286808, z = (0.666667-0.6)/0.286808 = 0.2324 -> chance
    z = st.two_proportion_z(60, 100, 2, 3)
    assert z == pytest.approx(0.2324, abs=1e-4)
    assert not st.beyond_chance(z)
    assert math.isnan(st.two_proportion_z(1, 0, 1, 1))
    assert math.isnan(st.two_proportion_z(0, 10, 0, 10))  # pooled 0: undefined
    assert not st.beyond_chance(math.nan)


def test_pearson():
    assert st.pearson([1, 2, 3], [2, 4, 6]) == pytest.approx(1.0)
    assert st.pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    # (1,1) (2,3) (3,2): deviations x -1, 0, 1 and y -1, 1, 0; sxy = 1 + 0 + 0 = 1,
    # sxx = 2, syy = 2 -> r = 1/sqrt(4) = 0.5
    assert st.pearson([1, 2, 3, None], [1, 3, 2, 5]) == pytest.approx(0.5)  # NaN pair dropped
    assert math.isnan(st.pearson([1, 2], [1, 2]))  # fewer than 3 communes: no correlation
    assert math.isnan(st.pearson([1, 1, 1], [1, 2, 3]))  # no spread: undefined


def test_percent_counts_and_gap_to_target():
    assert st.percent(3, 4) == 75.0
    assert math.isnan(st.percent(3, 0)) and math.isnan(st.percent(pd.NA, 4))
    assert math.isnan(st.as_float("abc")) and st.as_float("2.5") == 2.5
    whole = st.counts([1.0, 2.0, None])
    assert str(whole.dtype) == "Int64" and whole.tolist()[:2] == [1, 2] and whole.isna()[2]
    split = st.counts([1.5, 2.0])  # a split commune's share: kept as a fraction
    assert str(split.dtype) == "Float64" and split.tolist() == [1.5, 2.0]
    # 60% against a target of 80%: 20 points short; 90% against 80%: 10 points beyond
    assert st.gap_to_target(60.0, 80) == pytest.approx(-20.0)
    assert st.gap_to_target(90, 80.0) == pytest.approx(10.0)
    assert math.isnan(st.gap_to_target(60.0, None))
    gaps = st.gap_to_target(pd.Series([60.0, math.nan]), pd.Series([80.0, 80.0]))
    assert gaps.iloc[0] == pytest.approx(-20.0) and math.isnan(gaps.iloc[1])

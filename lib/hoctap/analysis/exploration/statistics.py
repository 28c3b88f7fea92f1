"""Chance and distance on plain numbers: Wilson intervals, funnel limits, year-over-year change
tests, correlation and the gap to a target.

Nothing here knows about communes or indicators (and nothing of hoctap is imported), so every
formula can be checked by hand. Counts and rates may arrive as int, float, None, NaN or pd.NA:
missing becomes NaN, never 0. Rates are percentages (0-100).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import pandas as pd

# Two-sided normal quantiles of the funnel plot's control limits (Spiegelhalter 2005).
Z95 = NormalDist().inv_cdf(0.975)  # 1.95996...
Z998 = NormalDist().inv_cdf(0.999)  # 3.09023...

# The funnel bands, from highest to lowest (keys of labels.BANDS).
BAND_KEYS = ("above_998", "above_95", "within", "below_95", "below_998")


def as_float(x) -> float:
    """A count or rate as float; missing (None, NA, NaN) or not a number as NaN."""
    if x is None or x is pd.NA:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def percent(part, whole) -> float:
    """``part`` of ``whole`` in percent; NaN when either is missing or the whole is 0."""
    part, whole = as_float(part), as_float(whole)
    if not whole or math.isnan(whole) or math.isnan(part):
        return math.nan
    return part / whole * 100


def counts(values) -> pd.Series:
    """Counts as Int64 when whole (the usual case), as Float64 when a split share made fractions."""
    f = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce").astype("Float64")
    whole = f.dropna()
    return f.round().astype("Int64") if bool((whole == whole.round()).all()) else f


def wilson_interval(successes, n, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in percent; (NaN, NaN) when n is 0 or missing.

    Wilson rather than the normal interval because it stays inside 0-100% and is honest at
    the edges: 3 of 3 gives 43.9%-100%, not 100%-100%.
    """
    x, n = as_float(successes), as_float(n)
    if not n or math.isnan(n) or math.isnan(x):
        return (math.nan, math.nan)
    p = x / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, centre - half) * 100, min(1.0, centre + half) * 100)


def funnel_limits(area_rate_pct, denominators, z: tuple[float, ...] = (Z95, Z998)) -> pd.DataFrame:
    """Control limits around the area rate for each denominator (normal approximation to the
    binomial), clipped to 0-100%: a commune outside them differs by more than chance."""
    p = as_float(area_rate_pct) / 100
    rows = []
    for n in denominators:
        n = as_float(n)
        row = {"denominator": n}
        for zz, name in zip(z, ("95", "998"), strict=False):
            se = math.sqrt(p * (1 - p) / n) if n and n > 0 else math.nan
            row[f"lower_{name}"] = max(0.0, p - zz * se) * 100
            row[f"upper_{name}"] = min(1.0, p + zz * se) * 100
        rows.append(row)
    columns = ["denominator", "lower_95", "upper_95", "lower_998", "upper_998"]
    return pd.DataFrame(rows, columns=columns)


def funnel_z(numerator, denominator, area_rate_pct) -> float:
    """How many standard errors (under the area rate) a commune's rate lies from the area rate."""
    x, n, p = as_float(numerator), as_float(denominator), as_float(area_rate_pct) / 100
    if not n or math.isnan(n) or math.isnan(x) or math.isnan(p) or p <= 0 or p >= 1:
        return math.nan
    return (x / n - p) / math.sqrt(p * (1 - p) / n)


def funnel_band(z: float) -> str:
    """The band (one of ``BAND_KEYS``) of a funnel z-score; "within" when it cannot be computed."""
    if z is None or math.isnan(z) or abs(z) <= Z95:
        return "within"
    side = "above" if z > 0 else "below"
    return f"{side}_998" if abs(z) > Z998 else f"{side}_95"


def two_proportion_z(x1, n1, x2, n2) -> float:
    """z of the change between two rates (pooled two-proportion test); NaN when undefined.

    Years share most of the same households, so the test is a rough guide to "larger than
    chance", not an exact probability.
    """
    x1, n1, x2, n2 = map(as_float, (x1, n1, x2, n2))
    if not n1 or not n2 or any(math.isnan(v) for v in (x1, n1, x2, n2)):
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    if pooled <= 0 or pooled >= 1:
        return math.nan
    return (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))


def beyond_chance(z: float) -> bool:
    """Whether a change's z-score is larger than chance at 95% (|z| > 1.96); False when NaN."""
    return bool(not math.isnan(z) and abs(z) > Z95)


def pearson(x, y) -> float:
    """Pearson correlation of two equal-length sequences, NaN pairs dropped; NaN below 3 pairs."""
    pairs = [
        (float(a), float(b))
        for a, b in zip(x, y, strict=False)
        if not (math.isnan(as_float(a)) or math.isnan(as_float(b)))
    ]
    if len(pairs) < 3:
        return math.nan
    mx = sum(a for a, _ in pairs) / len(pairs)
    my = sum(b for _, b in pairs) / len(pairs)
    sxy = sum((a - mx) * (b - my) for a, b in pairs)
    sxx = sum((a - mx) ** 2 for a, _ in pairs)
    syy = sum((b - my) ** 2 for _, b in pairs)
    return sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else math.nan


def gap_to_target(rate_pct, target_pct):
    """Distance of a rate from its target in percentage points (negative: still short of it).

    Works on numbers and on aligned Series alike; missing on either side gives NaN.
    """
    if isinstance(rate_pct, pd.Series) or isinstance(target_pct, pd.Series):
        return rate_pct - target_pct
    return as_float(rate_pct) - as_float(target_pct)

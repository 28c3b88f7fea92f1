"""The programme's calendar (QĐ 387/QĐ-TTg, 2021-2030), defined once for every stage.

The years are fixed by the decision, not by a district's plan: a district's wording (its name,
the quarter of its conference) lives in settings.toml. This module imports nothing from the
package, so every stage can use it.
"""

from __future__ import annotations

START_YEAR = 2021  # first year of the programme, the baseline of every straight line
MIDTERM_YEAR = 2025  # end of the 5-year review (sơ kết)
END_YEAR = 2030  # end of the programme, the 10-year review (tổng kết) and the projections
YEARS = range(START_YEAR, END_YEAR + 1)
PERIOD = f"{START_YEAR}-{END_YEAR}"  # as documents write it: "giai đoạn 2021-2030"
# The programme's name in QĐ 387/QĐ-TTg; settings.toml [plan] programme may word it otherwise.
NAME = "Đẩy mạnh phong trào học tập suốt đời trong gia đình, dòng họ, cộng đồng, đơn vị"

SO_KET = "so-ket"
TONG_KET = "tong-ket"
# Each review: its default period (first year, last year) and its name in the CLI help.
REVIEWS = {
    SO_KET: (START_YEAR, MIDTERM_YEAR),
    TONG_KET: (START_YEAR, END_YEAR),
}
REVIEW_LABELS = {SO_KET: "sơ kết 5 năm", TONG_KET: "tổng kết 10 năm"}
# The year whose targets a review is judged against.
REVIEW_TARGET_YEAR = {kind: last for kind, (_first, last) in REVIEWS.items()}

# Plan, section V: schools report "trước ngày 10/12 hằng năm"; settings.toml [reporting] may
# say otherwise, these are the defaults when it is silent.
DEADLINE_DAY = 10
DEADLINE_MONTH = 12


def in_programme(year: int) -> bool:
    """True for a year the programme covers (2021-2030)."""
    return START_YEAR <= year <= END_YEAR

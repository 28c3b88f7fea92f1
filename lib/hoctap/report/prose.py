"""Sentences written from the figures: indicators grouped by their status, not one per row.

A meeting reads "four of seven indicators with a 2025 target are met: ..." better than ten
copies of one sentence. Every sentence here takes the judged rows (``status``, ``target_year``,
``target_pct``, ``rate_pct``) of one year, so the words agree with the tables by construction.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from hoctap.analysis.ranking import benchmark, tally
from hoctap.report.meta import decimal, is_missing, number, pct, target_pct
from hoctap.report.typeset import NBSP
from hoctap.vocabulary import STATUS_BEHIND, STATUS_MET, STATUS_NOT_MET, STATUS_ON_TRACK

COUNT_WORDS = {1: "một", 2: "hai", 3: "ba", 4: "bốn", 5: "năm", 6: "sáu", 7: "bảy", 8: "tám", 9: "chín", 10: "mười"}


def count_words(n: int) -> str:
    """3 -> "ba"; above ten, digits."""
    return COUNT_WORDS.get(int(n), number(n))


def quoted(text: str) -> str:
    """Vietnamese typographic quotes: “...”."""
    return f"“{text}”"


def join_vn(items: list[str]) -> str:
    """["a", "b", "c"] -> "a, b và c"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " và " + items[-1]


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _figure(row, label: Callable[[str], str], with_target: bool = True) -> str:
    rate = pct(row["rate_pct"], target=row.get("target_pct"), status=row.get("status"))
    text = f"{lower_first(label(row['indicator']))} {rate}"
    if with_target and not is_missing(row.get("target_pct")):
        text += f" (chỉ tiêu {target_pct(row['target_pct'])})"
    return text


def points(x: float) -> str:
    """A distance in percentage points, unsigned, kept on one line: "5,2 điểm phần trăm"."""
    return f"{decimal(abs(x), 1)}{NBSP}điểm phần trăm"


def gap_words(x: float) -> str:
    """Points below what had to be reached: "thấp hơn 5,2 điểm phần trăm"."""
    return f"thấp hơn {points(x)}"


def status_paragraphs(rows: pd.DataFrame, year: int, label: Callable[[str], str]) -> list[str]:
    """Three to four sentences about one year's area rows, grouped by status."""
    rows = rows[rows["rate_pct"].notna()]
    if not len(rows):
        return [f"Năm {year} chưa có số liệu để tính các chỉ tiêu."]
    t = tally(rows)
    if not t.judged:
        return [
            f"Năm {year} là năm đầu có số liệu (năm gốc) của các chỉ tiêu: các tỷ lệ dưới đây là mức xuất phát "
            "để đánh giá tiến độ những năm sau, chưa đánh giá đạt hay chưa đạt."
        ]
    by = {s: rows[rows["status"] == s] for s in (STATUS_MET, STATUS_NOT_MET, STATUS_ON_TRACK, STATUS_BEHIND)}
    at_target = rows[rows["target_year"].notna() & (rows["target_year"].astype("Int64") == year)]
    out = []
    if len(at_target):
        met = by[STATUS_MET]
        lead = (
            f"Năm {year} là năm mốc của {count_words(len(at_target))} chỉ tiêu; {count_words(len(met))} chỉ tiêu đã đạt"
            if len(met)
            else f"Năm {year} là năm mốc của {count_words(len(at_target))} chỉ tiêu nhưng chưa chỉ tiêu nào đạt"
        )
        if len(met):
            lead += ": " + join_vn([_figure(r, label) for _, r in met.iterrows()])
        out.append(lead + ".")
        miss = by[STATUS_NOT_MET]
        if len(miss):
            gaps = miss.assign(gap=miss["rate_pct"].astype(float) - miss["target_pct"].astype(float))
            worst = gaps.sort_values("gap").iloc[0]
            out.append(
                f"Chưa đạt {count_words(len(miss))} chỉ tiêu: "
                + join_vn([_figure(r, label) for _, r in miss.iterrows()])
                + f"; xa chỉ tiêu nhất là {lower_first(label(worst['indicator']))}, "
                + f"{gap_words(worst['gap'])}."
            )
    ahead = rows[rows["target_year"].notna() & (rows["target_year"].astype("Int64") > year)]
    if len(ahead):
        years = sorted({int(y) for y in ahead["target_year"]})
        marks = join_vn([str(y) for y in years])
        on, behind = by[STATUS_ON_TRACK], by[STATUS_BEHIND]
        parts = []
        if len(on):
            parts.append(
                f"{count_words(len(on))} chỉ tiêu đúng tiến độ: "
                + join_vn([_figure(r, label) for _, r in on.iterrows()])
            )
        if len(behind):
            gaps = behind.assign(gap=behind["rate_pct"].astype(float) - benchmark(behind))
            parts.append(
                f"{count_words(len(behind))} chỉ tiêu chậm tiến độ: "
                + join_vn([f"{_figure(r, label)}, {gap_words(r['gap'])} so với lộ trình" for _, r in gaps.iterrows()])
            )
        out.append(f"Đối với các chỉ tiêu có mốc năm {marks}, " + "; ".join(parts) + ".")
    if t.unjudged:
        out.append(f"{count_words(t.unjudged).capitalize()} chỉ tiêu chưa có chỉ tiêu kế hoạch hoặc chưa có số liệu.")
    return out


def change_sentence(rows: pd.DataFrame, previous: dict[str, float], year: int, label: Callable[[str], str]) -> str:
    """How the rates moved since the year before, the rises and falls named once each."""
    moves = []
    for _, r in rows.iterrows():
        before = previous.get(r["indicator"])
        if before is None or is_missing(r["rate_pct"]):
            continue
        moves.append((float(r["rate_pct"]) - before, r["indicator"]))
    if not moves:
        return ""
    up = sorted([m for m in moves if round(m[0], 1) > 0], reverse=True)
    down = sorted([m for m in moves if round(m[0], 1) < 0])
    same = len(moves) - len(up) - len(down)
    parts = []
    if up:
        best = up[0]
        parts.append(
            f"{count_words(len(up))} chỉ tiêu tăng, tăng nhiều nhất là {lower_first(label(best[1]))} "
            f"(+{points(best[0])})"
        )
    if down:
        worst = down[0]
        parts.append(
            f"{count_words(len(down))} chỉ tiêu giảm, giảm nhiều nhất là {lower_first(label(worst[1]))} "
            f"(−{points(worst[0])})"
        )
    if same:
        parts.append(f"{count_words(same)} chỉ tiêu giữ nguyên")
    return f"So với năm {year - 1}, " + "; ".join(parts) + "."


def tally_sentence(rows: pd.DataFrame, year: int) -> str:
    """ "Năm Y, trong N chỉ tiêu được đánh giá có G chỉ tiêu đạt hoặc đúng tiến độ và B ..." """
    t = tally(rows)
    if not t.judged:
        return f"Năm {year} là năm gốc: chưa chỉ tiêu nào được đánh giá đạt hay chưa đạt."
    return (
        f"Năm {year}, trong {number(t.judged)} chỉ tiêu được đánh giá có {number(t.good)} chỉ tiêu đạt hoặc "
        f"đúng tiến độ và {number(t.bad)} chỉ tiêu chưa đạt hoặc chậm tiến độ."
    )


def ranking_sentences(rank: pd.DataFrame, year: int, units: str) -> list[str]:
    """The strongest and weakest communes of a ranking, said as the statuses allow."""
    if not len(rank):
        return []
    k = 2 if len(rank) >= 6 else 1
    out = []
    top = rank.head(k)

    def described(r, margin: bool = True) -> str:
        words = f"{r.geo_name} ({int(r.n_good)}/{int(r.n)} chỉ tiêu đạt hoặc đúng tiến độ"
        m = round(float(r.margin), 1) if margin else 0.0
        if m > 0:
            words += f", bình quân cao hơn mức cần đạt {points(m)}"
        elif m < 0:
            words += f", dù bình quân vẫn thấp hơn mức cần đạt {points(m)}"
        return words + ")"

    lead = "Đơn vị có kết quả tốt nhất" if k == 1 else "Các đơn vị có kết quả tốt nhất"
    out.append(f"{lead} năm {year} là {join_vn([described(r) for r in top.itertuples()])}.")
    if len(rank) > k:
        low = rank.tail(k).iloc[::-1]
        lead = "Đơn vị cần tập trung hỗ trợ" if k == 1 else "Các đơn vị cần tập trung hỗ trợ"
        # the weakest are named by their count only: a mean margin lifted by one indicator far
        # above its line would read as praise
        out.append(f"{lead} là {join_vn([described(r, margin=False) for r in low.itertuples()])}.")
    return out


RANKING_RULE = (
    "Các đơn vị được xếp theo tỷ lệ chỉ tiêu đạt hoặc đúng tiến độ, sau đó theo mức chênh lệch bình quân "
    "so với mức cần đạt (chỉ tiêu ở năm mốc; mức theo lộ trình đến chỉ tiêu ở các năm trước năm mốc)."
)
JUDGEMENT_RULE = (
    "Mỗi chỉ tiêu được đánh giá theo mốc chỉ tiêu gần nhất: ở năm mốc là “Đạt” hoặc “Chưa đạt”; "
    "trước năm mốc là “Đúng tiến độ” hoặc “Chậm tiến độ” so với lộ trình đều từ năm đầu có số liệu "
    "đến chỉ tiêu; chỉ tiêu chỉ có mốc năm 2030 được đánh giá theo lộ trình đến năm 2030."
)

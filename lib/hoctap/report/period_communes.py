"""The communes of a review: ranking, the commune section and the per-commune appendix tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from hoctap.analysis.ranking import commune_ranking
from hoctap.report import common, prose
from hoctap.report.blocks import Heading, Paragraph, Section, frame_table, kept_table
from hoctap.report.meta import DASH, date_words, is_missing, number, pct, signed, target_pct
from hoctap.report.period import (
    PeriodData,
    behind_target,
    commune_order,
    commune_results,
    geography,
    geography_words,
    most_improved,
    rate_at,
    rate_text,
    status_text,
    year_span,
)


def ranking(d: PeriodData) -> pd.DataFrame:
    """The communes of the last year with data, ranked as its annual report ranks them."""
    return commune_ranking(d.communes[d.communes["year"] == d.last_year])


def section_communes(d: PeriodData) -> Section:
    g = geography(d)
    names = d.communes["geo_name"].dropna().unique()
    title = "3. Kết quả theo xã" if g["units"] == "xã" else "3. Kết quả theo xã, thị trấn"
    out = [Heading(title, 2)]
    out.append(
        Paragraph(
            f"{geography_words(d)} Mọi năm của giai đoạn được trình bày trên cùng địa giới này để so "
            "sánh được với nhau: "
            + (
                "số liệu của các xã, thị trấn cũ được cộng vào xã mới mà địa bàn đó thuộc về. "
                if g["after"]
                else "số liệu được tổng hợp theo đơn vị hành chính cũ. "
                if g["before"]
                else ""
            )
            + f"Có {number(len(names))} đơn vị có số liệu; kết quả từng năm của từng đơn vị ở Phụ "
            "lục 1."
        )
    )
    if g["before"]:
        late = [y for y in d.years if dt.date(y, 12, 31) > g["end"]]
        if late:
            out.append(
                Paragraph(
                    f"Lưu ý: từ {date_words(g['end'] + dt.timedelta(days=1))} các đơn vị cũ đã "
                    f"sáp nhập. Số liệu các năm {year_span(late)} được quy về đơn vị cũ theo từng "
                    "thôn, buôn, tổ dân phố và trường học (đơn vị cũ của trường theo danh mục, của "
                    "thôn theo các năm báo cáo trước); phần không xác định được đơn vị cũ chỉ được "
                    "tính ở cấp toàn địa bàn."
                )
            )
    rank = ranking(d)
    if len(rank):
        out.append(Paragraph(f"Xếp hạng các đơn vị năm {d.last_year} ở Bảng 4. {prose.RANKING_RULE}"))
        out.append(common.ranking_table(rank, f"Bảng 4. Xếp hạng các đơn vị năm {d.last_year}"))
    imp = most_improved(d)
    if len(imp):
        imp = imp.assign(
            label_vn=imp["indicator"].map(d.short),
            first_txt=[f"{pct(r.first_rate_pct)} ({int(r.first_year)})" for r in imp.itertuples()],
            last_txt=[f"{pct(r.last_rate_pct)} ({int(r.last_year)})" for r in imp.itertuples()],
            change_txt=imp["change_pp"].map(signed),
        )
        out.append(
            Paragraph(
                f"Đơn vị tiến bộ nhiều nhất theo từng chỉ tiêu trong giai đoạn {d.first_year}-{d.last_year} (Bảng 5):"
            )
        )
        out.append(
            kept_table(
                imp,
                [
                    ("label_vn", "Chỉ tiêu"),
                    ("geo_name", "Đơn vị"),
                    ("first_txt", "Năm đầu"),
                    ("last_txt", "Năm cuối"),
                    ("change_txt", "Thay đổi (điểm %)"),
                ],
                numeric=("first_txt", "last_txt", "change_txt"),
                caption=f"Bảng 5. Đơn vị tiến bộ nhiều nhất theo từng chỉ tiêu, {d.first_year}-{d.last_year}",
            )
        )
    behind = behind_target(d)
    if behind:
        out.append(
            Paragraph(
                f"Các đơn vị chưa đạt hoặc chậm tiến độ năm {d.last_year}, theo từng chỉ tiêu:",
                "no-indent",
            )
        )
        out.append(
            common.dash_list(
                f"{d.short(code)} (chỉ tiêu {target_pct(sub['target_pct'].iloc[0])} năm "
                f"{int(sub['target_year'].iloc[0])}): "
                + ", ".join(
                    f"{r.geo_name} ({pct(r.rate_pct, target=r.target_pct, status=r.status)}, {str(r.status).lower()})"
                    for r in sub.itertuples()
                )
                for code, sub in behind.items()
            )
        )
    elif len(rank):
        out.append(Paragraph(f"Năm {d.last_year} không có đơn vị nào chưa đạt hoặc chậm tiến độ."))
    return Section(out, "communes")


def commune_series(d: PeriodData, geo_code: str) -> pd.DataFrame:
    """One row per indicator: the commune's rate each year (text), its change and the target."""
    com = d.communes[d.communes["geo_code"] == geo_code]
    res = commune_results(d)
    res = res[res["geo_code"] == geo_code].set_index("indicator")
    rows = []
    for code in [c for c in d.meta if c in set(com["indicator"])]:
        row = {"label": d.short(code)}
        for y in d.years:
            row[str(y)] = rate_text(rate_at(d, code, y, geo_code))
        r = res.loc[code] if code in res.index else None
        row["change"] = signed(r["change_pp"]) if r is not None else DASH
        row["target"] = target_pct(r["period_target_pct"]) if r is not None else DASH
        row["status"] = status_text(r["result_status"]) if r is not None else DASH
        rows.append(row)
    return pd.DataFrame(rows)


def appendix_communes(d: PeriodData) -> Section:
    _cap, low, n = d.words
    out = [
        *common.appendix_title(
            f"(Kèm theo Báo cáo {low} {n} năm thực hiện Chương trình giai đoạn {d.year_from}-{d.year_to})"
        ),
        Heading("Phụ lục 1. Tỷ lệ đạt các chỉ tiêu qua các năm theo từng đơn vị", 2),
        Paragraph(geography_words(d), "no-indent"),
    ]
    cols = (
        [("label", "Chỉ tiêu")]
        + [(str(y), str(y)) for y in d.years]
        + [
            ("change", "Thay đổi (điểm %)"),
            ("target", f"CT {d.target_year}"),
            ("status", "Đánh giá"),
        ]
    )
    for i, (code, name) in enumerate(commune_order(d), 1):
        out.append(
            kept_table(
                commune_series(d, code),
                cols,
                numeric=[c for c, _ in cols[1:-1]],
                style="wide series",
                caption=f"1.{i}. {name}",
            )
        )
    return Section(out, "appendix-communes")


def commune_coverage(d: PeriodData) -> pd.DataFrame:
    """Schools reporting / expected per commune and year, on the review's geography."""
    com = d.communes.drop_duplicates(["geo_code", "year"])
    rows = []
    for code, name in commune_order(d):
        row = {"geo_name": name}
        sub = com[com["geo_code"] == code].set_index("year")
        for y in d.years:
            if y in sub.index and not is_missing(sub.loc[y].get("schools_expected")):
                r = sub.loc[y]
                row[str(y)] = f"{number(r.get('schools_reporting'))}/{number(r.get('schools_expected'))}"
            else:
                row[str(y)] = DASH
        rows.append(row)
    return pd.DataFrame(rows)


def appendix_coverage(d: PeriodData) -> Section:
    cols = [("geo_name", "Đơn vị")] + [(str(y), str(y)) for y in d.years]
    table = frame_table(
        commune_coverage(d),
        cols,
        numeric=[str(y) for y in d.years],
        note="Một tỷ lệ thay đổi giữa hai năm có thể do thay đổi số trường báo cáo; xem cùng Phụ lục 1.",
    )
    return Section(
        [
            Heading("Phụ lục 2. Số trường báo cáo / số trường phải báo cáo theo đơn vị và năm", 2),
            table,
        ],
        "appendix-coverage",
    )

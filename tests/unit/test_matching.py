"""Headers and labels matched whatever their spelling (matching.py), on workbooks written by openpyxl.

Every variant must read the same figures as the canonical file; a header that is only close to
a label is said (info), an ambiguous one is not used (warning), a template field that is not
found is a warning, and two sheets for one template sheet are a warning naming the one read.
"""

from __future__ import annotations

import random
import unicodedata

import openpyxl
import pytest

from builders import corpus
from builders.corpus import Book, default_info, village, write_xlsx
from hoctap.cleaning import rules
from hoctap.cleaning.clean import clean_year
from hoctap.intake import matching, schema
from hoctap.intake.workbook import read_workbook
from hoctap.text import match_readings, strip_diacritics

# Spellings per field. The first is the template's; "exact" ones reduce to the same words
# (case, diacritics, abbreviations, filler); the FUZZY ones are only close (score < 100).
SPELLINGS = {
    "row_number": ["STT", "Số TT", "TT", "stt", "S.T.T"],
    "village": ["Thôn, buôn, tổ dân phố", "Thon, buon, to dan pho", "Thôn, buôn, TDP", "Tên thôn"],
    "households_total": ["Tổng số hộ", "Tong so ho", "Tổng số hộ gia đình", "TS hộ", "Số lượng hộ"],
    "households_registered": [
        'Số hộ đăng ký "Gia đình học tập"',
        "So ho dang ky GDHT",
        'Số hộ đăng ký "GĐHT"',
        "Số hộ đăng kí GĐHT",
        "Số hộ đăng ký tham gia GĐHT",
    ],
    "households_family_title": [
        'Số hộ đạt "Gia đình học tập"',
        "So ho dat GDHT",
        "Số hộ đạt danh hiệu GĐHT",
        "SL hộ được công nhận GĐHT",
    ],
    "clans_total": ["Tổng số dòng họ", "Tong so dong ho", "TS dòng họ", "Tong so dongho"],
    "clans_title": ['Số dòng họ đạt "Dòng họ học tập"', "So dong ho dat DHHT", "Số DH đạt DHHT"],
    "community_title": [
        'Thôn đạt "Cộng đồng học tập"',
        "Thon dat CDHT",
        "Thôn đạt CĐHT",
        "Thôn được công nhận CĐHT (Có/Không)",
    ],
    "workers_total": [
        "Số người lao động trong GĐHT, DHHT, CĐHT",
        "So nguoi lao dong trong GDHT, DHHT, CDHT",
        "Số NLĐ trong GĐHT, DHHT, CĐHT",
        "Tổng số người lao động trong GĐHT, DHHT, CĐHT",
    ],
    "workers_citizen": [
        'Số người lao động đạt "Công dân học tập"',
        "So nguoi lao dong dat CDHT",
        "Số NLĐ đạt CDHT",
        "Số người LĐ đạt CDHT",
        'Số lao động đạt "CDHT"',
    ],
    "school_unit_title": [
        schema.UNIT.field("school_unit_title").label,
        "Trường đạt ĐVHT",
        "Truong dat DVHT",
        "Trường được công nhận ĐVHT trong năm",
    ],
    "staff_total": [
        "Tổng số cán bộ, giáo viên, nhân viên",
        "Tổng số CB,GV,NV",
        "TS CBGVNV",
        "Tong so can bo, giao vien, nhan vien cua truong",
    ],
    "staff_citizen": [
        schema.UNIT.field("staff_citizen").label,
        "Số CB,GV,NV đạt CDHT",
        "So CB/GV/NV dat danh hieu CDHT",
    ],
    "members_total": [
        "Tổng số hội viên khuyến học tại trường",
        "Tổng số hội viên khuyến học",
        "Tong so hoi vien KH",
        "Tổng số hội viên HKH tại trường",
    ],
    "members_policy": [
        schema.UNIT.field("members_policy").label,
        "So HV duoc hoc tap, quan triet chu truong KH",
    ],
    "cadres_total": [
        "Số cán bộ làm công tác khuyến học",
        "Số CB làm công tác khuyến học",
        "So can bo lam cong tac KH",
        "So CB lam cong tac khuyen hoc cua truong",
    ],
    "cadres_clc_it": [
        schema.UNIT.field("cadres_clc_it").label,
        "Số cán bộ tham gia TTHTCĐ được bồi dưỡng CNTT",
        "So CB tham gia TTHTCD duoc boi duong CNTT",
    ],
    "template_id": ["Mẫu biểu", "Mau bieu"],
    "school_code": ["Mã trường", "Ma truong", "Mã số trường"],
    "school_name": ["Tên trường", "TEN TRUONG", "Tên trường:", "Tên trường học"],
    "commune": ["Xã, thị trấn", "Xa, thi tran", "Xã/TT"],
    "school_level": ["Cấp học", "Cap hoc"],
    "year": ["Năm báo cáo", "Nam bao cao", "Năm"],
    "report_date": ["Ngày báo cáo", "Ngay bao cao", "Ngày lập biểu", "Ngày báo cáo (dd/mm/yyyy)"],
    "preparer": ["Người lập biểu", "Nguoi lap bieu", "Người lập"],
    "phone": ["Số điện thoại", "So dien thoai", "SĐT", "Điện thoại"],
    "org_name": [
        "Tên cơ quan, tổ chức, doanh nghiệp",
        "Ten co quan, to chuc, doanh nghiep",
        "Tên CQ, TC, DN",
        "Ten co quan, to chuc",
        "Tên cơ quan, đơn vị, doanh nghiệp",
    ],
    "org_type": ["Loại hình", "Loai hinh", "Loại hình (Cơ quan/Tổ chức/Doanh nghiệp)"],
    "org_unit_title": ['Đạt "Đơn vị học tập"', "Dat DVHT", 'Đạt "ĐVHT"'],
    "org_staff_total": ["Tổng số CB, CC, VC, người lao động", "Tong so CB, CC, VC, NLD"],
    "org_staff_citizen": [
        'Số đạt "Công dân học tập"',
        "So dat CDHT",
        "Số CB, CC, VC, NLĐ đạt CDHT",
    ],
}
FUZZY = {
    "Số hộ đăng ký tham gia GĐHT",
    "Tong so dongho",
    "Số người LĐ đạt CDHT",
    "Tong so can bo, giao vien, nhan vien cua truong",
    "Tổng số hội viên HKH tại trường",
    "So CB lam cong tac khuyen hoc cua truong",
    "Mã số trường",
    "Ten co quan, to chuc",
    "Số lượng hộ",
    "Tổng số người lao động trong GĐHT, DHHT, CĐHT",
    'Số lao động đạt "CDHT"',
}
VILLAGE_ORDER = [f.name for f in schema.VILLAGES.fields]


def figures(sub) -> tuple:
    """Everything read from a workbook that the indicators use."""
    assert sub.fatal is None, sub.fatal_detail
    return (sub.info, sub.unit, [r.values for r in sub.villages], [r.values for r in sub.orgs])


def _codes(sub) -> set[str]:
    return {f.code for f in sub.findings}


def _by_code(sub, code: str) -> list:
    return [f for f in sub.findings if f.code == code]


@pytest.fixture(scope="module")
def canonical(tmp_path_factory):
    sub = read_workbook(write_xlsx(Book(), tmp_path_factory.mktemp("canon") / "c.xlsx"))
    assert _codes(sub) == set()
    return figures(sub)


SHEET_OF = {f.name: s.key for s in schema.SHEETS for f in s.fields}


def _alone(sheet_key: str, text: str) -> matching.Assignment:
    """The header or label alone in its sheet: no other one takes a field first."""
    return matching.assign(sheet_key, [matching.Slot(0, (text,))])


def test_every_field_spelling_matches_its_field():
    for name, texts in SPELLINGS.items():
        for text in texts:
            hit = _alone(SHEET_OF[name], text).hits.get(0)
            found = matching.field_scores(SHEET_OF[name], text)[:3]
            assert hit is not None and hit.field == name, (text, found)
            assert (not hit.exact) == (text in FUZZY), (text, hit)


def test_a_header_with_a_word_its_field_lacks_never_takes_it():
    """ "đăng ký", "đạt", "tổng" tell siblings apart; "nữ" or a year counts something else."""
    for key, text in [
        ("villages", 'Số người lao động đăng ký "CDHT"'),
        ("villages", 'Thôn đăng ký "CĐHT"'),
        ("villages", 'Số dòng họ đăng ký "DHHT"'),
        ("villages", "Số hộ đạt GĐHT năm 2023"),
        ("villages", "Tổng số hộ đạt GĐHT"),
        ("unit", "Số CB,GV,NV nữ"),
        ("unit", "Tổng số hội viên được học tập, quán triệt chủ trương khuyến học"),
        ("orgs", "Số CB, CC, VC nữ"),
    ]:
        got = _alone(key, text)
        assert not got.hits and not got.ambiguous, (text, matching.field_scores(key, text)[:3])
    # "Tổng" is implied for a whole whose label lacks it, never for a part
    assert _alone("unit", "Tổng số cán bộ làm công tác khuyến học").hits[0].field == "cadres_total"
    assert _alone("villages", 'Tổng số người lao động đạt "CDHT"').hits == {}


def test_a_header_without_the_word_of_a_part_is_the_whole_or_ambiguous():
    """ "Số lượng hộ" begins the three household labels, but only the total needs no "đạt" or
    "đăng ký"; "Số hộ GĐHT" has neither word of the two parts it is close to: ambiguous."""
    assert _alone("villages", "Số lượng hộ").hits[0].field == "households_total"
    assert _alone("villages", "SL dòng họ").hits[0].field == "clans_total"
    got = _alone("villages", "Số hộ GĐHT")
    assert not got.hits and {got.ambiguous[0][1], got.ambiguous[0][2]} == {
        "households_registered",
        "households_family_title",
    }
    # close to one part only, without its "đạt": not taken (a missing column is said, not guessed)
    assert _alone("villages", 'Số người lao động "CDHT"').hits == {}


def test_format_hints_choice_lists_and_dotted_initials_are_no_words_of_a_label():
    assert match_readings("Ngày báo cáo (dd/mm/yyyy)") == match_readings("Ngày báo cáo")
    assert match_readings("Ngày báo cáo dd.mm.yyyy") == match_readings("Ngày báo cáo")
    assert match_readings("Loại hình (Cơ quan/Tổ chức/Doanh nghiệp)") == ("loai hinh",)
    assert match_readings("Thôn đạt CĐHT (Đạt/Chưa đạt)") == match_readings("Thôn đạt CĐHT")
    assert match_readings("S.T.T") == ("stt",) and match_readings("Số T.T") == ("so tt",)
    assert match_readings("Tên trường học") == ("ten truong",)
    # a bracket that qualifies the count stays: a rate is no count
    assert "phan tram" in match_readings("Tỷ lệ hộ đạt GĐHT (%)")[0]
    assert _alone("villages", "Số hộ (đạt GĐHT)").hits[0].field == "households_family_title"


@pytest.mark.parametrize("column", [1, 2, 3, 4])
def test_each_spelling_column_reads_the_canonical_figures(tmp_path, canonical, column):
    """Column k of SPELLINGS for every field at once (the last spelling when a field has fewer)."""
    labels = {name: texts[min(column, len(texts) - 1)] for name, texts in SPELLINGS.items()}
    sub = read_workbook(write_xlsx(Book(labels=labels), tmp_path / "s.xlsx"))
    assert figures(sub) == canonical
    fuzzy = {(f.value, f.field) for f in sub.findings if f.code in ("header_fuzzy", "label_fuzzy")}
    assert fuzzy == {(t, n) for n, t in labels.items() if t in FUZZY}
    assert _codes(sub) <= {"header_fuzzy", "label_fuzzy"}


def test_the_reported_headers_without_diacritics_are_read(tmp_path, canonical):
    labels = {f.name: strip_diacritics(f.label) for s in schema.SHEETS for f in s.fields}
    labels |= {
        "households_family_title": "So ho dat GDHT",
        "community_title": "Thon dat CDHT",
        "school_unit_title": "Trường đạt ĐVHT",
    }
    sub = read_workbook(write_xlsx(Book(labels=labels), tmp_path / "r.xlsx"))
    assert figures(sub) == canonical and _codes(sub) == set()
    assert sub.unit["school_unit_title"] is True
    assert [r.values["households_family_title"] for r in sub.villages] == [25, 30, 20]


def test_decomposed_upper_case_line_breaks_and_numbering(tmp_path, canonical):
    labels = {
        f.name: unicodedata.normalize("NFD", f.label.upper()).replace(" ", "\n", 1)
        for s in schema.SHEETS
        for f in s.fields
    }
    sub = read_workbook(write_xlsx(Book(labels=labels, label_col=2), tmp_path / "n.xlsx"))
    assert figures(sub) == canonical and _codes(sub) == set()


def test_cdht_folded_is_told_apart_by_context(tmp_path, canonical):
    assert match_readings("Thon dat CDHT") == ("thon dat cong dong hoc tap",)
    assert match_readings("So nguoi lao dong dat CDHT") == ("so nguoi lao dong dat cong dan hoc tap",)
    assert match_readings("So nguoi lao dong trong GDHT, DHHT, CDHT")[0].endswith("dong ho hoc tap cong dong hoc tap")
    assert match_readings("Số người lao động trong thôn đạt CDHT")[0].endswith("cong dan hoc tap")
    assert match_readings("Cong dong dat CDHT") == ("cong dong dat cong dong hoc tap",)
    assert len(match_readings("Đạt CDHT")) == 2  # no context: both readings, the field scores decide
    for labels in (
        {
            "community_title": "Thon dat CDHT",
            "workers_citizen": "So nguoi lao dong dat CDHT",
            "workers_total": "So nguoi lao dong trong GDHT, DHHT, CDHT",
        },
        {
            "community_title": "Thôn đạt CĐHT",
            "workers_citizen": "Số người lao động đạt CDHT",
            "workers_total": "Số người lao động trong GĐHT, DHHT, CĐHT",
        },
    ):
        sub = read_workbook(write_xlsx(Book(labels=labels), tmp_path / "cd.xlsx"))
        assert figures(sub) == canonical and _codes(sub) == set()
    found = matching.field_scores("villages", "Đạt CĐHT")
    assert found[0].field == "community_title" and found[0].score >= matching.THRESHOLD
    assert matching.field_scores("orgs", "Đạt CDHT")[0].field == "org_staff_citizen"


def test_reordered_columns_and_extra_columns(tmp_path, canonical):
    order = [
        "workers_citizen",
        "village",
        "clans_title",
        "households_total",
        "community_title",
        "row_number",
        "households_family_title",
        "workers_total",
        "clans_total",
        "households_registered",
    ]
    for extra in ("Ghi chú", "Tỷ lệ hộ đạt GĐHT (%)", "Số nhân khẩu", "Số hộ chưa đạt GĐHT"):
        book = Book(column_order=order, extra_column=extra, labels={"households_total": "Tong so ho"})
        sub = read_workbook(write_xlsx(book, tmp_path / "o.xlsx"))
        assert figures(sub) == canonical
        assert [(f.code, f.value) for f in sub.findings] == [("extra_column", extra)]


def test_an_extra_column_like_a_field_never_takes_it_from_a_reworded_header(tmp_path, canonical):
    """Reworded headers (fuzzy) next to extra columns that score as high against their labels."""
    labels = {
        "workers_citizen": 'Số lao động đạt "CDHT"',
        "clans_title": "Số dòng họ đã đạt DHHT",
        "community_title": "Thôn đã đạt CĐHT",
        "households_family_title": "Số hộ đã đạt GĐHT",
    }
    for extra in (
        'Số người lao động đăng ký "CDHT"',
        'Số dòng họ đăng ký "DHHT"',
        'Thôn đăng ký "CĐHT"',
        "Số hộ đạt GĐHT năm 2023",
        "Tổng số hộ đạt GĐHT",
    ):
        book = Book(labels=labels, extra_column=extra)
        sub = read_workbook(write_xlsx(book, tmp_path / "x.xlsx"))
        assert figures(sub) == canonical, extra
        others = [(f.code, f.value) for f in sub.findings if f.code != "header_fuzzy"]
        assert others == [("extra_column", extra)]
        assert {f.field for f in sub.findings if f.code == "header_fuzzy"} == set(labels)


def test_two_row_merged_header_with_retyped_labels(tmp_path, canonical):
    labels = {n: t[1] for n, t in SPELLINGS.items()}
    for book in (Book(two_row_header=True, labels=labels), Book(two_row_header=True, header_row=6)):
        sub = read_workbook(write_xlsx(book, tmp_path / "t.xlsx"))
        assert figures(sub) == canonical and _codes(sub) == set()


def test_a_fuzzy_header_is_named_with_the_field_it_was_taken_for(tmp_path, canonical):
    book = Book(labels={"clans_total": "Tong so dongho", "members_total": "Tổng số hội viên HKH tại trường"})
    sub = read_workbook(write_xlsx(book, tmp_path / "f.xlsx"))
    assert figures(sub) == canonical
    (h,) = _by_code(sub, "header_fuzzy")
    assert (h.cell, h.field, h.value) == ("DiaBan!F3", "clans_total", "Tong so dongho")
    assert rules.severity("header_fuzzy") == "info"
    text = rules.message("header_fuzzy", cell=h.cell, value=h.value, **h.params)
    assert 'tiêu đề "Tong so dongho" được hiểu là cột "Tổng số dòng họ"' in text
    (u,) = _by_code(sub, "label_fuzzy")
    assert (u.sheet, u.field, u.params["label"]) == (
        "DonVi",
        "members_total",
        "Tổng số hội viên khuyến học tại trường",
    )


def test_an_ambiguous_header_is_a_warning_and_is_not_used(tmp_path, canonical):
    book = Book(
        labels={
            "households_registered": "Số hộ GĐHT",
            "households_family_title": "Hộ được khen thưởng",
        }
    )
    sub = read_workbook(write_xlsx(book, tmp_path / "a.xlsx"))
    (f,) = _by_code(sub, "header_ambiguous")
    assert f.cell == "DiaBan!D3" and rules.severity(f.code) == "warning"
    assert {f.params["label"], f.params["other"]} == {
        'Số hộ đạt "Gia đình học tập"',
        'Số hộ đăng ký "Gia đình học tập"',
    }
    assert {m.field for m in _by_code(sub, "missing_column")} == {
        "households_registered",
        "households_family_title",
    }
    gone = {"households_registered", "households_family_title"}
    assert [r.values for r in sub.villages] == [{k: v for k, v in r.items() if k not in gone} for r in canonical[2]]


def test_a_header_that_repeats_a_column_is_a_warning(tmp_path, canonical):
    sub = read_workbook(write_xlsx(Book(extra_column="Tổng số hộ"), tmp_path / "d.xlsx"))
    assert figures(sub) == canonical
    (f,) = _by_code(sub, "header_duplicate")
    assert f.cell == "DiaBan!K3" and f.params["other"] == "C" and "extra_column" not in _codes(sub)


def test_a_missing_count_column_is_a_warning_and_other_figures_do_not_move(tmp_path, canonical):
    order = [n for n in VILLAGE_ORDER if n != "clans_total"]
    sub = read_workbook(write_xlsx(Book(column_order=order), tmp_path / "m.xlsx"))
    (f,) = sub.findings
    assert (f.code, f.sheet, f.field, f.params["label"]) == (
        "missing_column",
        "DiaBan",
        "clans_total",
        "Tổng số dòng họ",
    )
    assert rules.severity("missing_column") == "warning"
    assert [{k: v for k, v in r.values.items()} for r in sub.villages] == [
        {k: v for k, v in r.items() if k != "clans_total"} for r in canonical[2]
    ]
    # the STT column may be absent: the 2021 template numbered nothing
    no_stt = read_workbook(write_xlsx(Book(column_order=VILLAGE_ORDER[1:]), tmp_path / "s.xlsx"))
    assert figures(no_stt) == canonical and _codes(no_stt) == set()


def test_missing_and_ambiguous_labels_in_label_value_sheets(tmp_path, canonical):
    unit = corpus.default_unit()
    del unit["cadres_total"]
    info = default_info()
    del info["template_id"], info["phone"]
    sub = read_workbook(write_xlsx(Book(unit=unit, info=info), tmp_path / "l.xlsx"))
    assert sorted((f.code, f.field) for f in sub.findings) == [
        ("missing_label", "cadres_total"),
        ("missing_label", "phone"),
    ]
    assert sub.unit["cadres_clc_it"] == 3 and sub.unit["cadres_total"] is None  # the part still read
    book = Book(labels={"staff_total": "Tổng số", "members_total": "Tổng số hội viên"})
    sub = read_workbook(write_xlsx(book, tmp_path / "la.xlsx"))
    (f,) = _by_code(sub, "label_ambiguous")
    assert f.cell == "DonVi!A4" and sub.unit["staff_total"] is None and sub.unit["members_total"] == 35
    assert {m.field for m in _by_code(sub, "missing_label")} == {"staff_total"}


def _second_diaban(path, name: str, before: bool, households: int = 999):
    wb = openpyxl.load_workbook(path)
    ws = wb.copy_worksheet(wb["DiaBan"])
    ws.title = name
    ws["C4"] = households
    if before:
        wb.move_sheet(ws, offset=-(len(wb.sheetnames) - 1 - wb.sheetnames.index("DiaBan")))
    wb.save(path)
    return path


@pytest.mark.parametrize("before", [True, False])
def test_two_sheets_for_diaban_read_the_exact_name_and_warn(tmp_path, canonical, before):
    path = _second_diaban(write_xlsx(Book(), tmp_path / "two.xlsx"), "Địa bàn", before)
    assert (
        openpyxl.load_workbook(path).sheetnames.index("Địa bàn")
        < openpyxl.load_workbook(path).sheetnames.index("DiaBan")
    ) == before
    sub = read_workbook(path)
    assert sub.sheets["villages"] == "DiaBan" and figures(sub) == canonical
    (f,) = sub.findings
    assert (f.code, f.value, f.params["other"]) == ("duplicate_sheet", "DiaBan", "Địa bàn")
    assert rules.severity(f.code) == "warning"
    assert 'chỉ đọc trang "DiaBan"' in rules.message(f.code, value=f.value, **f.params)


def test_two_sheets_without_the_exact_name_read_the_first(tmp_path):
    path = write_xlsx(
        Book(
            sheet_names={
                "info": "ThongTin",
                "unit": "DonVi",
                "villages": "Dia ban",
                "orgs": "CoQuan",
            }
        ),
        tmp_path / "t.xlsx",
    )
    path = _second_diaban_named(path, "Dia ban", "3. Địa bàn")
    sub = read_workbook(path)
    assert sub.sheets["villages"] == "Dia ban" and sub.villages[0].values["households_total"] == 100
    assert [(f.code, f.sheet) for f in sub.findings] == [("duplicate_sheet", "3. Địa bàn")]


def _second_diaban_named(path, source: str, name: str):
    wb = openpyxl.load_workbook(path)
    ws = wb.copy_worksheet(wb[source])
    ws.title = name
    ws["C4"] = 5
    wb.save(path)
    return path


@pytest.mark.parametrize("seed", range(12))
def test_property_any_mix_of_spellings_reads_the_canonical_figures(tmp_path, canonical, seed):
    r = random.Random(seed)
    labels = {name: r.choice(texts) for name, texts in SPELLINGS.items()}
    two = r.random() < 0.3
    order = None
    if not two:
        order = VILLAGE_ORDER[:]
        r.shuffle(order)
    book = Book(
        labels=labels,
        two_row_header=two,
        column_order=order,
        label_col=r.choice([1, 2]),
        header_row=r.randint(3, 12),
        extra_column=r.choice([None, "Ghi chú", "Tỷ lệ hộ đạt GĐHT (%)"]),
        sheet_names={
            "info": r.choice(["ThongTin", "Thong tin", "1. Thông tin chung"]),
            "unit": r.choice(["DonVi", "2. Đơn vị"]),
            "villages": r.choice(["DiaBan", "Địa bàn", "DIABAN"]),
            "orgs": r.choice(["CoQuan", "Cơ quan"]),
        },
    )
    sub = read_workbook(write_xlsx(book, tmp_path / f"p{seed}.xlsx"))
    assert figures(sub) == canonical, (seed, labels)
    assert _codes(sub) <= {"header_fuzzy", "label_fuzzy", "extra_column"}, [(f.code, f.value) for f in sub.findings]
    for f in sub.findings:
        if f.code in ("header_fuzzy", "label_fuzzy"):
            assert f.value in FUZZY and labels[f.field] == f.value


def _school(code, name, date, villages, **book):
    info = default_info(school_code=code, school_name=name, commune="Phú Túc", report_date=date)
    return Book(info=info, villages=villages, **book)


def test_retyped_headers_keep_an_identical_village_a_duplicate_not_a_conflict(workspace):
    raw = workspace.raw(corpus.YEAR)
    retyped = {n: strip_diacritics(t[1]) for n, t in SPELLINGS.items()}
    write_xlsx(_school("KP001", "MN Hoa Sen", "05/12/2024", [village("Thôn 1", 100)]), raw / "a.xlsx")
    write_xlsx(
        _school("KP002", "TH Lê Lợi", "06/12/2024", [village("Thôn 1", 100)], labels=retyped),
        raw / "b.xlsx",
    )
    order = [n for n in VILLAGE_ORDER if n != "workers_total"]
    write_xlsx(_school("KP003", "MN Hoa Mai", "07/12/2024", [village("Thôn 2", 100)]), raw / "c.xlsx")
    write_xlsx(
        _school("KP004", "TH Kim Đồng", "08/12/2024", [village("Thôn 2", 100)], column_order=order),
        raw / "d.xlsx",
    )
    res = clean_year(workspace, corpus.YEAR)
    status = res.villages.set_index(["source_path", "village"])["status"]
    assert status[("2024/a.xlsx", "Thôn 1")] == "duplicate" and status[("2024/b.xlsx", "Thôn 1")] == "used"
    iss = res.issues
    assert "conflict" not in set(iss.loc[iss["path"].isin(["2024/a.xlsx", "2024/b.xlsx"]), "code"])
    # a missing column changes a village's figures: never silently
    missing = iss[(iss["path"] == "2024/d.xlsx") & (iss["code"] == "missing_column")]
    assert list(missing["field"]) == ["workers_total"] and (missing["severity"] == "warning").all()
    assert "không có cột" in missing["message"].iloc[0]
    assert set(iss.loc[iss["path"] == "2024/d.xlsx", "code"]) >= {"missing_column", "conflict"}

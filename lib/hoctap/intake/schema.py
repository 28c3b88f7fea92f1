"""The HTSD-01 submission workbook as data: sheets, labels, fields and their kinds.

The template writer, the demo generator and the reader all take their labels from here, so
the contract of submission-template.md lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hoctap.text import sheet_key

TEMPLATE_ID = "HTSD-01"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str  # text | count | yesno | date | year | level | org_type | ignore
    required: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Sheet:
    key: str  # role in code
    name: str  # canonical sheet name
    title: str  # Vietnamese title printed at the top of the sheet
    layout: str  # "pairs" (label, value) or "table"
    fields: tuple[Field, ...]
    optional: bool = False
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


SCHOOL_LEVELS = ("Mầm non", "Tiểu học", "THCS", "TH&THCS", "THPT", "PTDTBT", "GDNN-GDTX")
ORG_TYPES = ("Cơ quan", "Tổ chức", "Doanh nghiệp", "Cơ sở sản xuất", "Trường học")
YES_WORDS = ("Có", "Đạt", "x", "X", "1", "✓", "yes", "true")
NO_WORDS = ("Không", "Chưa đạt", "Chưa", "0", "no", "false")
TOTAL_ROW_LABELS = ("Tổng cộng", "Tổng", "Cộng", "Tổng số")

INFO = Sheet(
    key="info",
    name="ThongTin",
    title="THÔNG TIN CHUNG",
    layout="pairs",
    aliases=("Thông tin", "Thông tin chung"),
    fields=(
        Field("template_id", "Mẫu biểu", "text"),
        Field("school_code", "Mã trường", "text"),
        Field("school_name", "Tên trường", "text", required=True),
        Field(
            "commune",
            "Xã, thị trấn",
            "text",
            required=True,
            aliases=("Xã", "Xã, phường, thị trấn", "Xã/thị trấn", "Xã, TT"),
        ),
        Field("school_level", "Cấp học", "level"),
        Field("year", "Năm báo cáo", "year", required=True, aliases=("Năm",)),
        Field(
            "report_date",
            "Ngày báo cáo",
            "date",
            required=True,
            aliases=("Ngày lập", "Ngày", "Ngày lập biểu"),
        ),
        Field("preparer", "Người lập biểu", "text", aliases=("Người lập",)),
        Field("phone", "Số điện thoại", "text", aliases=("Điện thoại", "SĐT", "Điện thoại liên hệ")),
    ),
)

UNIT = Sheet(
    key="unit",
    name="DonVi",
    title="NHÀ TRƯỜNG - ĐƠN VỊ HỌC TẬP",
    layout="pairs",
    aliases=("Đơn vị", "Đơn vị học tập"),
    fields=(
        # short forms of the long labels: "Trường đạt ĐVHT", "Tổng số hội viên KH", ...
        Field(
            "school_unit_title",
            'Trường được công nhận danh hiệu "Đơn vị học tập" trong năm',
            "yesno",
            aliases=('Trường đạt "Đơn vị học tập"', 'Đạt "Đơn vị học tập"'),
        ),
        Field("staff_total", "Tổng số cán bộ, giáo viên, nhân viên", "count"),
        Field(
            "staff_citizen",
            'Số cán bộ, giáo viên, nhân viên đạt danh hiệu "Công dân học tập"',
            "count",
        ),
        Field(
            "members_total",
            "Tổng số hội viên khuyến học tại trường",
            "count",
            aliases=("Tổng số hội viên khuyến học", "Số hội viên khuyến học"),
        ),
        Field(
            "members_policy",
            "Số hội viên được học tập, quán triệt các chủ trương về khuyến học, xây dựng xã hội học tập",
            "count",
            aliases=(
                "Số hội viên được học tập, quán triệt chủ trương khuyến học",
                "Số hội viên được học tập, quán triệt chủ trương về khuyến học",
            ),
        ),
        Field("cadres_total", "Số cán bộ làm công tác khuyến học", "count"),
        Field(
            "cadres_clc_it",
            "Số cán bộ làm công tác khuyến học tham gia hoạt động Trung tâm học tập cộng đồng"
            " và được bồi dưỡng ứng dụng công nghệ thông tin",
            "count",
            aliases=(
                "Số cán bộ tham gia TTHTCĐ được bồi dưỡng CNTT",
                "Số cán bộ khuyến học tham gia TTHTCĐ được bồi dưỡng CNTT",
            ),
        ),
    ),
)

VILLAGES = Sheet(
    key="villages",
    name="DiaBan",
    title="KẾT QUẢ TẠI CÁC THÔN, BUÔN, TỔ DÂN PHỐ",
    layout="table",
    aliases=("Địa bàn",),
    fields=(
        Field("row_number", "STT", "ignore", aliases=("Số TT", "TT")),
        Field(
            "village",
            "Thôn, buôn, tổ dân phố",
            "text",
            required=True,
            aliases=(
                "Thôn, buôn",
                "Tên thôn, buôn, tổ dân phố",
                "Thôn",
                "Tên thôn",
                "Tên thôn, buôn",
            ),
        ),
        Field("households_total", "Tổng số hộ", "count"),
        Field("households_registered", 'Số hộ đăng ký "Gia đình học tập"', "count"),
        Field("households_family_title", 'Số hộ đạt "Gia đình học tập"', "count"),
        Field("clans_total", "Tổng số dòng họ", "count"),
        Field("clans_title", 'Số dòng họ đạt "Dòng họ học tập"', "count"),
        Field("community_title", 'Thôn đạt "Cộng đồng học tập"', "yesno"),
        Field("workers_total", "Số người lao động trong GĐHT, DHHT, CĐHT", "count"),
        Field("workers_citizen", 'Số người lao động đạt "Công dân học tập"', "count"),
    ),
)

ORGS = Sheet(
    key="orgs",
    name="CoQuan",
    title="CƠ QUAN, TỔ CHỨC, DOANH NGHIỆP TRÊN ĐỊA BÀN",
    layout="table",
    optional=True,
    aliases=("Cơ quan", "Cơ quan, tổ chức"),
    fields=(
        Field("row_number", "STT", "ignore", aliases=("Số TT", "TT")),
        Field(
            "org_name",
            "Tên cơ quan, tổ chức, doanh nghiệp",
            "text",
            required=True,
            aliases=(
                "Tên đơn vị",
                "Tên cơ quan",
                "Tên CQ, TC, DN",
                "Tên cơ quan, đơn vị, doanh nghiệp",
            ),
        ),
        Field("org_type", "Loại hình", "org_type"),
        Field("org_unit_title", 'Đạt "Đơn vị học tập"', "yesno"),
        Field("org_staff_total", "Tổng số CB, CC, VC, người lao động", "count"),
        Field(
            "org_staff_citizen",
            'Số đạt "Công dân học tập"',
            "count",
            aliases=(
                'Số CB, CC, VC, người lao động đạt "Công dân học tập"',
                'Số người đạt "Công dân học tập"',
            ),
        ),
    ),
)

SHEETS = (INFO, UNIT, VILLAGES, ORGS)

# part <= whole pairs of the consistency rules, per sheet
PART_WHOLE = {
    "unit": (
        ("staff_citizen", "staff_total"),
        ("members_policy", "members_total"),
        ("cadres_clc_it", "cadres_total"),
    ),
    "villages": (
        ("households_family_title", "households_total"),
        ("households_registered", "households_total"),
        ("clans_title", "clans_total"),
        ("workers_citizen", "workers_total"),
    ),
    "orgs": (("org_staff_citizen", "org_staff_total"),),
}


def count_fields(sheet: Sheet) -> list[str]:
    return [f.name for f in sheet.fields if f.kind == "count"]


SHEET_ROLES = {
    sheet_key(n): s.key for s in SHEETS for n in (s.name, *s.aliases)
}  # sheet_key of a template sheet name or alias -> its role

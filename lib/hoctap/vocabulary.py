"""The words for the states hoctap records, defined once for every table, view and document.

The codes (``accepted``, ``error``, ``Đạt``...) are what the processed tables hold; each wording
is what a reader sees. Two registers exist on purpose: the document's (a report to a meeting:
"không tiếp nhận") and the one addressed to a school or the analyst ("bị từ chối"). This module
imports nothing from the package, so every stage can use it.
"""

from __future__ import annotations

# ---- indicator statuses (indicators.csv ``status``, summary.csv ``result_status``) ----------

STATUS_MET = "Đạt"
STATUS_NOT_MET = "Chưa đạt"
STATUS_ON_TRACK = "Đúng tiến độ"
STATUS_BEHIND = "Chậm tiến độ"
STATUSES = (STATUS_MET, STATUS_ON_TRACK, STATUS_BEHIND, STATUS_NOT_MET)
# Met at the target year, or on the straight line towards it before then.
GOOD = frozenset({STATUS_MET, STATUS_ON_TRACK})
BEHIND = frozenset({STATUS_NOT_MET, STATUS_BEHIND})

# ---- intake states (intake.csv ``status``) ---------------------------------------------------

ACCEPTED = "accepted"
REJECTED = "rejected"
SUPERSEDED = "superseded"
IGNORED = "ignored"

# In documents, in this order: "62 tệp báo cáo: 56 tệp tiếp nhận, 2 tệp không tiếp nhận, ...".
INTAKE_WORDS = {
    ACCEPTED: "tiếp nhận",
    REJECTED: "không tiếp nhận",
    SUPERSEDED: "thay bằng bản gửi sau",
    IGNORED: "bỏ qua (không phải báo cáo)",
}
# To a school (feedback workbooks) and to the analyst (notebook 01).
INTAKE_WORDS_FOR_SCHOOLS = {
    ACCEPTED: "đã tiếp nhận",
    REJECTED: "bị từ chối",
    SUPERSEDED: "đã được thay bằng bản mới hơn",
    IGNORED: "bỏ qua (không phải biểu mẫu)",
}

# ---- issue severities (issues.csv ``severity``, rules.csv) ----------------------------------

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}  # most serious first
SEVERITY_WORDS = {ERROR: "Lỗi", WARNING: "Cảnh báo", INFO: "Thông tin"}
SEVERITY_WORDS_FOR_SCHOOLS = {
    ERROR: "Lỗi (phải sửa)",
    WARNING: "Cảnh báo (kiểm tra lại)",
    INFO: "Thông tin",
}

# ---- row statuses (villages.parquet, orgs.parquet, schools.parquet ``status``) ---------------

USED = "used"
QUARANTINED = "quarantined"
DUPLICATE = "duplicate"
CONFLICT_LOST = "conflict-lost"
# Rows left out of the figures, as the document's sentence ends: "... bị loại do có lỗi".
ROW_WORDS = {
    QUARANTINED: "bị loại do có lỗi",
    DUPLICATE: "trùng lặp, đã gộp",
    CONFLICT_LOST: "mâu thuẫn giữa hai báo cáo, không được chọn",
}

# ---- a school's submission in a year (completeness.csv) -------------------------------------

SUBMISSION_MISSING = "Chưa nộp"
SUBMISSION_ON_TIME = "Đúng hạn"
SUBMISSION_LATE = "Nộp muộn"

# ---- the synthetic sample ---------------------------------------------------------------------

# In every document built from the shipped sample (a box on page 1)...
SYNTHETIC_NOTICE = (
    "DỮ LIỆU GIẢ LẬP: tên trường, tên thôn và mọi số liệu trong báo cáo này là dữ liệu mẫu "
    "tạo tự động để thử nghiệm phần mềm, không phải số liệu thật."
)
# ...and its short form on every sheet of a workbook and at the top of the index.
SYNTHETIC_LABEL = "DỮ LIỆU GIẢ LẬP: số liệu mẫu tạo tự động để thử nghiệm phần mềm, không phải số liệu thật."

"""Intake that never falls over: a file can fail only itself, every entry is ledgered, and a
workbook is read by what its bytes are.

Every damaged file here is made on disk by a real writer and then broken the way real files
break (a flipped byte in a zip member, a cut deflate stream, a far stray cell, a renamed file).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from builders import corpus
from builders.corpus import Book, default_info, write_ods, write_xls, write_xlsx
from hoctap.cleaning import rules
from hoctap.cleaning.assess import assess
from hoctap.cleaning.check import check_file, run_check
from hoctap.cleaning.clean import clean_year
from hoctap.intake.sandbox import Failure, Sandbox
from hoctap.intake.workbook import read_workbook
from hoctap.paths import PROJECT_ROOT, SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference

YEAR = corpus.YEAR
DATA = Path(__file__).resolve().parents[1] / "data"
ENGLISH = ("Error", "Exception", "BadZip", "Calamine", "zlib", "EOF", "NotImplemented")
LINUX = sys.platform.startswith("linux")


def _book(code: str, name: str, commune: str, **kw) -> Book:
    return Book(info=default_info(school_code=code, school_name=name, commune=commune), **kw)


SCHOOLS = [
    ("KP041", "Trường Tiểu học Y Jút", "Ia Rsươm"),
    ("KP042", "Trường THCS Bế Văn Đàn", "Ia Rsươm"),
    ("KP045", "Trường Tiểu học Lê Lợi", "Krông Năng"),
    ("KP046", "Trường THCS Nguyễn Du", "Krông Năng"),
    ("KP047", "Trường Mầm non Hoa Cúc", "Phú Cần"),
    ("KP048", "Trường Tiểu học Trần Phú", "Phú Cần"),
    ("KP049", "Trường THCS Lý Tự Trọng", "Phú Cần"),
    ("KP051", "Trường Mầm non Rạng Đông", "Uar"),
    ("KP052", "Trường Tiểu học Kim Đồng", "Uar"),
]


def _good(i: int, path: Path, writer=write_xlsx) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return writer(_book(*SCHOOLS[i]), path)


def _ws(root: Path) -> Workspace:
    shutil.copytree(SHIPPED_REFERENCE_DIR, root / "data" / "reference")
    (root / "data" / "raw" / str(YEAR)).mkdir(parents=True)
    return Workspace.at(root / "data", root / "reports")


REF = Reference(SHIPPED_REFERENCE_DIR)


# ---- breaking zip members -------------------------------------------------------------------


def _entry_offsets(data: bytes, member: str) -> tuple[int, int]:
    """(local header offset, central directory entry offset) of ``member``."""
    local = zipfile.ZipFile(io.BytesIO(data)).getinfo(member).header_offset
    name = member.encode()
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + n] == name:
            return local, pos
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise KeyError(member)


def break_member(path: Path, member: str, how: str) -> Path:
    """Damage one member of a real zip the way real files are damaged.

    flip: bytes in the middle of its deflate stream changed (zlib error or bad CRC);
    eof: its deflate stream cut before the end-of-stream marker, sizes kept consistent;
    version: "version needed to extract" 17.0 (zipfile: NotImplementedError);
    lie: its declared uncompressed size far below what it inflates to (a lying zip bomb).
    """
    data = bytearray(path.read_bytes())
    local, central = _entry_offsets(bytes(data), member)
    n, m = struct.unpack_from("<HH", data, local + 26)
    start = local + 30 + n + m
    csize = struct.unpack_from("<I", data, central + 20)[0]
    if how == "flip":
        for k in range(start + csize // 3, start + csize // 3 + 8):
            data[k] ^= 0xFF
    elif how == "eof":
        with zipfile.ZipFile(path) as zf:
            plain = zf.read(member)
        co = zlib.compressobj(6, zlib.DEFLATED, -15)
        cut = co.compress(plain) + co.flush(zlib.Z_SYNC_FLUSH)  # no final block
        cut = cut[:csize]
        pad = csize - len(cut)  # keep every offset: pad with empty non-final stored blocks
        cut += (b"\x00\x00\x00\xff\xff" * (pad // 5 + 1))[:pad]
        data[start : start + csize] = cut
    elif how == "version":
        struct.pack_into("<H", data, central + 6, 170)
    elif how == "lie":  # the headers claim 100 bytes; the CRC stays right
        struct.pack_into("<I", data, local + 22, 100)
        struct.pack_into("<I", data, central + 24, 100)
    else:
        raise ValueError(how)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "member,how",
    [
        ("xl/worksheets/sheet3.xml", "flip"),
        ("xl/worksheets/sheet3.xml", "eof"),
        ("xl/worksheets/sheet3.xml", "version"),
        ("xl/styles.xml", "flip"),
        ("xl/styles.xml", "version"),
        ("xl/workbook.xml", "flip"),
        ("xl/workbook.xml", "version"),
    ],
)  # a style or workbook part cut after its last byte still reads in full: calamine takes it
def test_a_damaged_member_is_a_rejection_in_vietnamese(tmp_path, member, how):
    path = break_member(_good(0, tmp_path / "a.xlsx"), member, how)
    sub = read_workbook(path)
    assert sub.fatal == "file_corrupt", (sub.fatal, sub.fatal_technical)
    (issue,) = assess("a.xlsx", sub, REF, YEAR).issues
    assert issue["severity"] == "error" and "gửi lại" in issue["message"]
    assert not any(word in issue["message"] for word in ENGLISH), issue["message"]
    assert issue["detail"], "the exception's words go to the detail column"


def test_a_member_larger_than_declared_is_never_inflated_in_full(tmp_path):
    import tracemalloc

    import openpyxl

    small, path = tmp_path / "small.xlsx", tmp_path / "lie.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append([1, "Thôn", 2])
    wb.save(small)
    # The sheet grown to 200 000 rows (~20 MB of XML, a few hundred KB zipped) in openpyxl's own
    # XML: writing them row by row through openpyxl took 10 s, this takes a fraction of one.
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="n"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is><t>Thôn</t></is></c>'
        f'<c r="C{r}" t="n"><v>{r * 2}</v></c></row>'
        for r in range(1, 200_001)
    )
    with zipfile.ZipFile(small) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, rest = data.decode("utf-8").split("<sheetData>", 1)
                data = (head + "<sheetData>" + rows + rest[rest.index("</sheetData>") :]).encode("utf-8")
                data = data.replace(b'<dimension ref="A1:C1"/>', b'<dimension ref="A1:C200000"/>')
            dst.writestr(info.filename, data)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 15 << 20
    break_member(path, "xl/worksheets/sheet1.xml", "lie")
    tracemalloc.start()
    sub = read_workbook(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sub.fatal == "file_corrupt" and "CRC" in sub.fatal_technical
    assert peak < 5 << 20, peak  # the 20 MB inside were never held


def _damaged_folder(raw: Path) -> None:
    for i in range(4):
        _good(i, raw / f"tot-{i}.xlsx")
    for i, (member, how) in enumerate(
        (
            ("xl/worksheets/sheet1.xml", "flip"),
            ("xl/worksheets/sheet4.xml", "eof"),
            ("xl/worksheets/sheet2.xml", "version"),
            ("xl/sharedStrings.xml", "flip"),
        )
    ):
        path = _good(4 + i, raw / f"hong-{i}.xlsx")
        with zipfile.ZipFile(path) as zf:
            if member not in zf.namelist():
                member = "xl/styles.xml"
        break_member(path, member, how)
    _good(8, raw / "cut.xlsx")
    data = (raw / "cut.xlsx").read_bytes()
    (raw / "cut.xlsx").write_bytes(data[: len(data) // 2])  # truncated: no central directory


def _run(args: list[str], seed: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "hoctap", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=env,
        timeout=timeout,
    )


def test_damaged_files_never_stop_clean_or_check_whatever_the_hash_seed(tmp_path):
    ws = _ws(tmp_path)
    raw = ws.raw(YEAR)
    _damaged_folder(raw)
    outputs = []
    for seed in ("0", "1"):
        proc = _run(
            [
                "clean",
                "--year",
                str(YEAR),
                "--data-dir",
                str(ws.data_dir),
                "--reports-dir",
                str(tmp_path / "r"),
            ],
            seed,
        )
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        intake = pd.read_csv(ws.processed(YEAR) / "intake.csv")
        issues = (ws.processed(YEAR) / "issues.csv").read_bytes()
        check = _run(["check", *sorted(str(p) for p in raw.iterdir())], seed)
        assert check.returncode == 1 and "Traceback" not in check.stderr + check.stdout
        outputs.append((intake.to_csv(index=False), issues, check.stdout))
    assert outputs[0] == outputs[1]
    intake = pd.read_csv(ws.processed(YEAR) / "intake.csv").set_index("path")
    assert len(intake) == 9
    assert (intake.loc[[f"{YEAR}/tot-{i}.xlsx" for i in range(4)], "status"] == "accepted").all()
    bad = intake.loc[[f"{YEAR}/hong-{i}.xlsx" for i in range(4)] + [f"{YEAR}/cut.xlsx"]]
    assert (bad["status"] == "rejected").all(), bad[["status", "reason"]]
    assert not bad["reason"].str.contains("|".join(ENGLISH)).any()


# ---- far cells ------------------------------------------------------------------------------


def _with_cell(path: Path, sheet: str, cell: str, value=None, styled: bool = False) -> Path:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.load_workbook(path)
    c = wb[sheet][cell]
    if value is not None:
        c.value = value
    if styled:
        c.font = Font(bold=True)
    wb.save(path)
    return path


@pytest.mark.parametrize("cell", ["XFD1048576", "ZZ60000", "GS3", "A5001"])
def test_a_far_value_is_rejected_naming_sheet_and_cell(tmp_path, cell):
    path = _with_cell(_good(0, tmp_path / "far.xlsx"), "DiaBan", cell, value=1)
    assert path.stat().st_size < 20_000
    sub = read_workbook(path)
    assert sub.fatal == "cell_too_far"
    (issue,) = assess("far.xlsx", sub, REF, YEAR).issues
    assert f"ô {cell} của trang DiaBan" in issue["message"] and "xóa nội dung ở ô" in issue["message"]


@pytest.mark.parametrize("cell", ["XFD1048576", "GR5000"])
def test_far_formatted_empty_cells_and_the_last_allowed_cell_are_fine(tmp_path, cell):
    path = _good(0, tmp_path / "ok.xlsx")
    _with_cell(path, "DiaBan", "XFD1048576", styled=True)
    _with_cell(path, "ThongTin", cell, value="ghi chú" if cell == "GR5000" else None, styled=True)
    a = assess("ok.xlsx", read_workbook(path), REF, YEAR)
    assert a.status == "accepted", a.issues
    assert [r.values["village"] for r in a.sub.villages] == ["Thôn 1", "Thôn 2", "Buôn Ma Giai"]


def test_an_extra_sheet_may_be_long_but_not_huge(tmp_path):
    path = _good(0, tmp_path / "extra.xlsx")
    _with_cell(path, "DiaBan", "B3", value="Thôn, buôn, tổ dân phố")
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("DanhSachHo")
    for r in range(1, 6001):
        ws.cell(r, 1, f"Hộ {r}")
    wb.save(path)
    assert read_workbook(path).fatal is None  # 6,000 households on a sheet of their own: fine
    _with_cell(path, "DanhSachHo", "XFD6000", value=1)
    assert read_workbook(path).fatal == "cell_too_far"


def _ods_far(path: Path, far_value: bool) -> Path:
    """A real .ods (pandas/odfpy) whose ThongTin sheet gets LibreOffice's repeated-row tail."""
    write_ods(_book(*SCHOOLS[1]), path)
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    content = parts["content.xml"].decode()
    end = content.index("</table:table>")
    if far_value:
        tail = (
            '<table:table-row table:number-rows-repeated="59990"><table:table-cell/></table:table-row>'
            '<table:table-row><table:table-cell table:number-columns-repeated="300"/>'
            '<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'
            "</table:table-row>"
        )
    else:
        tail = (
            '<table:table-row table:number-rows-repeated="1048000">'
            '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        )
    parts["content.xml"] = (content[:end] + tail + content[end:]).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", parts.pop("mimetype"), compress_type=zipfile.ZIP_STORED)
        for name, data in parts.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_ods_far_value_is_rejected_and_repeated_empty_area_is_not(tmp_path):
    sub = read_workbook(_ods_far(tmp_path / "far.ods", far_value=True))
    assert sub.fatal == "cell_too_far" and "KO60002 của trang ThongTin" in sub.fatal_detail
    sub = read_workbook(_ods_far(tmp_path / "tail.ods", far_value=False))
    assert sub.fatal is None and sub.info["school_code"] == "KP042"


def test_xls_far_value_is_rejected_and_far_blank_is_not(tmp_path):
    import xlwt

    for name, value in (("blank.xls", None), ("far.xls", 1)):
        wb = xlwt.Workbook()
        ws = wb.add_sheet("ThongTin")
        ws.write(0, 0, "Tên trường")
        ws.write(0, 1, "Trường Tiểu học Y Jút")
        ws.write(65535, 255, value, xlwt.easyxf("font: bold on"))
        wb.save(str(tmp_path / name))
    assert read_workbook(tmp_path / "blank.xls").fatal != "cell_too_far"
    sub = read_workbook(tmp_path / "far.xls")
    assert sub.fatal == "cell_too_far" and sub.fatal_detail == "IV65536 của trang ThongTin"


_PEAK = """
import resource, subprocess, sys
proc = subprocess.run([sys.executable, "-m", "hoctap", "check", sys.argv[1]], capture_output=True, text=True)
print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(proc.stdout)
"""


@pytest.mark.skipif(not LINUX, reason="peak memory of children read with resource (POSIX)")
def test_check_of_the_worst_file_stays_small_and_quick(tmp_path):
    path = _with_cell(_good(0, tmp_path / "far.xlsx"), "DiaBan", "XFD1048576", value=1)
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
    ).stdout
    code, peak_kb = map(int, out.split("\n", 1)[0].split())
    assert code == 1 and "XFD1048576" in out
    assert time.monotonic() - t0 < 60
    assert peak_kb < 600 * 1024  # the CLI and its reader together: far from the 550 GB the cell asks for


# ---- the sandbox ----------------------------------------------------------------------------


def _rowless(path: Path, rows: int = 1_000_000) -> Path:
    """A valid workbook plus a sheet whose rows carry no row number: calamine counts them one by
    one, so 300 values after a million empty rows ask for a ~10 GB grid that no precheck sees."""
    good = _good(2, path)
    with zipfile.ZipFile(good) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    a, b = sheet.index("<sheetData>") + len("<sheetData>"), sheet.index("</sheetData>")
    body = sheet[a:b] + "<row/>" * rows + "<row>" + "<c><v>1</v></c>" * 300 + "</row>"
    parts["xl/worksheets/sheet1.xml"] = (sheet[:a] + body + sheet[b:]).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _boom(x: int) -> int:
    if x == 2:
        raise ValueError("hỏng ở tệp 2")
    return x


def _failure(job, failure: Failure) -> Failure:
    return failure


@pytest.mark.skipif(not LINUX, reason="RLIMIT_AS and SIGALRM bound the workers on Linux")
def test_a_reader_that_aborts_fails_only_its_file(tmp_path):
    good = [_good(i, tmp_path / f"g{i}.xlsx") for i in range(3)]
    bad = _rowless(tmp_path / "rowless.xlsx")
    assert bad.stat().st_size < 100_000
    with Sandbox(workers=2, memory=1 << 30) as box:
        out = box.map(read_workbook, [good[0], bad, good[1], good[2]], on_error=_failure)
    assert [getattr(o, "fatal", "?") for o in (out[0], out[2], out[3])] == [None, None, None]
    assert [o.info["school_code"] for o in (out[0], out[2], out[3])] == ["KP041", "KP042", "KP045"]
    assert isinstance(out[1], Failure) and out[1].code == "file_crash" and "-6" in out[1].technical


@pytest.mark.skipif(not LINUX, reason="RLIMIT_AS and SIGALRM bound the workers on Linux")
def test_a_file_that_hangs_is_stopped_and_the_rest_go_on():
    t0 = time.monotonic()
    with Sandbox(workers=2, timeout=1) as box:
        out = box.map(_sleep, [0, 30, 0, 0.1, 0], on_error=_failure)
    assert time.monotonic() - t0 < 20
    assert out[0] == 0 and out[2:] == [0, 0.1, 0]
    assert out[1] == Failure("file_timeout", "1 giây", out[1].technical)
    assert rules.message("file_timeout", detail=out[1].detail).startswith("Đọc tệp quá 1 giây")


def test_a_python_error_fails_one_job_with_a_vietnamese_detail():
    with Sandbox(workers=1) as box:
        out = box.map(_boom, [1, 2, 3], on_error=_failure)
    assert out[0] == 1 and out[2] == 3
    assert out[1].code == "file_crash" and "ValueError" in out[1].technical and "Error" not in out[1].detail


@pytest.mark.skipif(not LINUX, reason="RLIMIT_AS and SIGALRM bound the workers on Linux")
def test_clean_and_check_contain_a_reader_crash(tmp_path, workspace):
    raw = workspace.raw(YEAR)
    for i in range(3):
        _good(i, raw / f"t{i}.xlsx")
    _rowless(raw / "z-rowless.xlsx")
    res = clean_year(workspace, YEAR)
    intake = res.intake.set_index("path")
    assert list(intake["status"]) == ["accepted"] * 3 + ["rejected"]
    reason = intake.loc[f"{YEAR}/z-rowless.xlsx", "reason"]
    assert reason.startswith("Không đọc được tệp vì chương trình đọc bị dừng đột ngột")
    row = res.issues[res.issues["path"] == f"{YEAR}/z-rowless.xlsx"].iloc[0]
    assert row["code"] == "file_crash" and "exit code -6" in row["detail"]
    proc = _run(["check", str(raw / "z-rowless.xlsx"), str(raw / "t0.xlsx")], "0", timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "chương trình đọc bị dừng đột ngột" in proc.stdout and "Tệp hợp lệ, có thể gửi" in proc.stdout


# ---- every entry is ledgered ------------------------------------------------------------------


@pytest.mark.skipif(not LINUX, reason="FIFOs, sockets and non-UTF-8 names as on Linux")
def test_every_entry_under_the_year_is_an_intake_row(tmp_path):
    ws = _ws(tmp_path)
    raw = ws.raw(YEAR)
    _good(0, raw / "tot.xlsx")
    os.mkfifo(raw / "ong.xlsx")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "sock.xlsx"))
    (raw / "hong.xlsx").symlink_to(raw / "khong-co.xlsx")
    (raw / "vong-a.xlsx").symlink_to(raw / "vong-b.xlsx")
    (raw / "vong-b.xlsx").symlink_to(raw / "vong-a.xlsx")
    outside = tmp_path / "ngoai"
    _good(1, outside / "ngoai.xlsx")
    (raw / "ra-ngoai.xlsx").symlink_to(outside / "ngoai.xlsx")
    (raw / "thu-muc-lien-ket").symlink_to(outside, target_is_directory=True)
    (raw / "ban-sao.xlsx").symlink_to(raw / "tot.xlsx")
    _good(2, raw / "nop.xlsx" / "ben-trong.xlsx")  # a folder named like a workbook
    weird = os.path.join(os.fsencode(raw), b"bao-cao-\xff\xfe.xlsx")
    shutil.copyfile(_good(3, tmp_path / "w.xlsx"), weird)
    proc = _run(
        [
            "clean",
            "--year",
            str(YEAR),
            "--data-dir",
            str(ws.data_dir),
            "--reports-dir",
            str(tmp_path / "r"),
        ],
        "0",
        timeout=180,
    )
    sock.close()
    assert proc.returncode == 0, proc.stderr
    text = (ws.processed(YEAR) / "intake.csv").read_bytes().decode("utf-8")  # valid UTF-8
    intake = pd.read_csv(ws.processed(YEAR) / "intake.csv").set_index("path")
    y = f"{YEAR}/"
    assert set(intake.index) == {
        y + n
        for n in (
            "tot.xlsx",
            "ong.xlsx",
            "sock.xlsx",
            "hong.xlsx",
            "vong-a.xlsx",
            "vong-b.xlsx",
            "ra-ngoai.xlsx",
            "thu-muc-lien-ket",
            "ban-sao.xlsx",
            "nop.xlsx",
            "nop.xlsx/ben-trong.xlsx",
            "bao-cao-\\xff\\xfe.xlsx",
        )
    }
    st = intake["status"].to_dict()
    assert {k for k, v in st.items() if v == "accepted"} == {
        y + "tot.xlsx",
        y + "nop.xlsx/ben-trong.xlsx",
        y + "bao-cao-\\xff\\xfe.xlsx",
    }
    issues = pd.read_csv(ws.processed(YEAR) / "issues.csv")
    code = issues.set_index("path")["code"].to_dict()
    assert code[y + "ong.xlsx"] == code[y + "sock.xlsx"] == "ignored_special"
    assert {code[y + n] for n in ("hong.xlsx", "vong-a.xlsx", "ra-ngoai.xlsx", "thu-muc-lien-ket", "ban-sao.xlsx")} == {
        "ignored_link"
    }
    assert code[y + "nop.xlsx"] == "ignored_folder"
    reasons = intake["reason"].to_dict()
    assert "ống dẫn FIFO" in reasons[y + "ong.xlsx"] and "bị hỏng" in reasons[y + "hong.xlsx"]
    assert "vòng lặp" in reasons[y + "vong-a.xlsx"] and "ra ngoài thư mục năm" in reasons[y + "ra-ngoai.xlsx"]
    assert "tệp đó được xét riêng" in reasons[y + "ban-sao.xlsx"] and "thư mục" in reasons[y + "thu-muc-lien-ket"]
    schools = pd.read_parquet(ws.processed(YEAR) / "schools.parquet")
    assert "KP042" not in set(schools["school_id"])  # the file outside the year folder is never read
    assert "bao-cao-\\xff\\xfe.xlsx" in text
    check = _run(["check", os.fsdecode(weird)], "0")
    assert check.returncode == 0 and "Tệp hợp lệ" in check.stdout


# ---- format by content ----------------------------------------------------------------------


def _renamed(tmp_path: Path, writer, name: str, i: int) -> Path:
    real = writer(
        _book(*SCHOOLS[i]),
        tmp_path / f"real-{i}{'.ods' if writer is write_ods else '.xls' if writer is write_xls else '.xlsx'}",
    )
    return real.rename(tmp_path / name)


@pytest.mark.parametrize(
    "writer,name,actual",
    [
        (write_ods, "libre.xlsx", "LibreOffice"),
        (write_xlsx, "moi.xls", "Excel (.xlsx)"),
        (write_xls, "cu.xlsx", "Excel 97-2003"),
        (write_ods, "libre.xls", "LibreOffice"),
    ],
)
def test_a_renamed_workbook_is_read_by_its_content(tmp_path, writer, name, actual):
    path = _renamed(tmp_path, writer, name, 4)
    a = assess(name, read_workbook(path), REF, YEAR)
    assert a.status == "accepted", a.issues
    (note,) = [i for i in a.issues if i["code"] == "format_mismatch"]
    assert note["severity"] == "info" and f"đuôi {Path(name).suffix}" in note["message"] and actual in note["message"]
    assert len(a.sub.villages) == 3
    assert path.name == name and not list(tmp_path.glob("workbook*"))  # raw file untouched, no copy left


def test_an_xls_protected_with_excels_default_key_opens(tmp_path):
    import msoffcrypto

    path = DATA / "default-key.xls"
    with path.open("rb") as fh:
        assert msoffcrypto.OfficeFile(fh).is_encrypted()
    before = path.read_bytes()
    a = assess(path.name, read_workbook(path), REF, YEAR)
    assert a.status == "accepted" and a.school_id == "KP044" and len(a.sub.villages) == 2
    assert path.read_bytes() == before


def test_encrypted_xlsx_default_key_opens_and_a_real_password_stays_refused(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = _good(5, tmp_path / "plain.xlsx")
    with plain.open("rb") as fin, (tmp_path / "mac-dinh.xlsx").open("wb") as fout:
        OOXMLFile(fin).encrypt("VelvetSweatshop", fout)
    assert read_workbook(tmp_path / "mac-dinh.xlsx").info["school_code"] == "KP048"
    secret = corpus.write_encrypted(_book(*SCHOOLS[6]), tmp_path / "secret.xls")  # and named .xls
    assert read_workbook(secret).fatal == "file_encrypted"


def _others(folder: Path) -> dict[str, str]:
    """Files of other formats, each with the words its reason must hold."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Tên trường": ["Trường Tiểu học Y Jút"]}).to_csv(folder / "bang.csv", index=False)
    (folder / "bang.slk").write_text('ID;PWXL;N;E\nC;Y1;X1;K"Tên trường"\nE\n', encoding="utf-8")
    (folder / "bang.fods").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body>'
        "<office:spreadsheet/></office:body></office:document>",
        encoding="utf-8",
    )
    with zipfile.ZipFile(folder / "bang.xlsb", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    with zipfile.ZipFile(folder / "bang.numbers", "w") as zf:
        zf.writestr("Index/Document.iwa", b"\x00")
    shutil.copyfile(_good(7, folder / "x.xlsx"), folder / "bao-cao.xlsx.bak")
    (folder / "x.xlsx").unlink()
    (folder / "web.xls").write_text(
        "<html><body><table><tr><td>Tên trường</td></tr></table></body></html>", encoding="utf-8"
    )
    return {
        "bang.csv": "CSV",
        "bang.slk": "SYLK",
        "bang.fods": "XML phẳng",
        "bang.xlsb": ".xlsb",
        "bang.numbers": "Numbers",
        "bao-cao.xlsx.bak": "đổi đuôi tệp thành .xlsx",
        "web.xls": "trang web",
    }


def test_check_and_clean_make_one_decision_for_other_formats(tmp_path, workspace, capsys):
    words = _others(workspace.raw(YEAR))
    res = clean_year(workspace, YEAR)
    intake = res.intake.set_index("path")
    for name, word in words.items():
        row = intake.loc[f"{YEAR}/{name}"]
        assert row["status"] == ("rejected" if name == "web.xls" else "ignored"), name
        assert word in row["reason"], (name, row["reason"])
        issues = check_file(workspace.raw(YEAR) / name, REF, YEAR)
        assert [i["message"] for i in issues] == [row["reason"]], name
        assert run_check([workspace.raw(YEAR) / name], workspace) == 1
        assert row["reason"] in capsys.readouterr().out
    assert "lưu thành .xlsx" in intake.loc[f"{YEAR}/bang.csv", "reason"]


# ---- files and folders that may not be read -----------------------------------------------------


def _honour_permissions() -> None:
    """In the child, as root: drop the capabilities that bypass file permissions (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH) from the bounding set, so the exec'd program really meets a 000 file."""
    if os.geteuid() == 0:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2):
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run_honouring_permissions(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        preexec_fn=_honour_permissions,
    )


@pytest.mark.skipif(not LINUX, reason="file permissions and prctl as on Linux")
def test_an_unreadable_file_or_folder_is_unreadable_not_special(tmp_path):
    ws = _ws(tmp_path)
    raw = ws.raw(YEAR)
    _good(0, raw / "tot.xlsx")
    locked = _good(1, raw / "khoa.xlsx")
    unsearchable = _good(2, raw / "khong-vao" / "bao-cao.xlsx").parent  # listable, not searchable
    closed = _good(3, raw / "dong" / "an.xlsx").parent
    modes = [(locked, 0o000), (unsearchable, 0o600), (closed, 0o000)]
    try:
        for path, mode in modes:
            path.chmod(mode)
        probe = _run_honouring_permissions(["-c", f"open({str(locked)!r}, 'rb')"])
        if "PermissionError" not in probe.stderr:
            pytest.skip("this process cannot give up reading files whatever their permissions")
        proc = _run_honouring_permissions(
            [
                "-m",
                "hoctap",
                "clean",
                "--year",
                str(YEAR),
                "--data-dir",
                str(ws.data_dir),
                "--reports-dir",
                str(tmp_path / "r"),
            ]
        )
        assert proc.returncode == 0, proc.stderr
        check = _run_honouring_permissions(["-m", "hoctap", "check", str(locked), str(unsearchable / "bao-cao.xlsx")])
    finally:
        for path, _ in modes:
            path.chmod(0o755)
    intake = pd.read_csv(ws.processed(YEAR) / "intake.csv").set_index("path")
    issues = pd.read_csv(ws.processed(YEAR) / "issues.csv").set_index("path")
    y = f"{YEAR}/"
    assert issues.loc[y + "khoa.xlsx", "code"] == "ignored_unreadable"
    assert issues.loc[y + "khong-vao/bao-cao.xlsx", "code"] == "ignored_unreadable"
    assert issues.loc[y + "dong", "code"] == "ignored_folder_unreadable"
    reason = intake["reason"].fillna("")
    assert 'Tệp "khoa.xlsx" không mở được để đọc (không có quyền đọc)' in reason[y + "khoa.xlsx"]
    assert 'Thư mục "dong" không mở được (không có quyền mở)' in reason[y + "dong"]
    assert not reason.str.contains("không phải tệp thường|tên giống tệp bảng tính").any()
    assert intake.loc[y + "tot.xlsx", "status"] == "accepted"
    assert check.returncode == 1 and "Traceback" not in check.stdout + check.stderr
    assert check.stdout.count("không mở được để đọc (không có quyền đọc)") == 2, check.stdout
    assert "Không tìm thấy tệp" not in check.stdout

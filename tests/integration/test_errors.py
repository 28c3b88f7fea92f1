"""Unusable inputs and environments end a command in one Vietnamese line, never a traceback.

Everything here runs the real ``hoctap`` command on real files: a full disk is a real 512 KB
tmpfs, a read-only folder a real read-only bind mount, a denied folder a real chmod 0555 with
the root capabilities that bypass it dropped (setpriv). Those tests skip, saying why, only when
the machine refuses the mount or the capability drop.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from builders import corpus
from builders.cli import clean, hoctap
from builders.corpus import Book, default_info, village, write_xls, write_xlsx
from hoctap import io
from hoctap.cleaning.assess import assess
from hoctap.errors import HoctapError, ReferenceDataError
from hoctap.intake.values import MAX_COUNT
from hoctap.intake.workbook import read_workbook
from hoctap.paths import SHIPPED_REFERENCE_DIR, Workspace
from hoctap.reference import Reference

REPO = Path(__file__).resolve().parents[2]
YEAR = corpus.YEAR
OUTPUTS = (
    "intake.csv",
    "issues.csv",
    "schools.parquet",
    "villages.parquet",
    "orgs.parquet",
    "completeness.csv",
)


def one_line_error(out: subprocess.CompletedProcess, *words: str) -> str:
    """The failure is exactly one stderr line, in Vietnamese, with no traceback or errno text."""
    assert out.returncode != 0, out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    line = lines[0]
    assert line.startswith("Lỗi: ") and "Traceback" not in out.stderr
    words_only = " ".join(w for w in line.split() if "/" not in w)  # paths may hold any word
    for english in ("Errno", "Error", "denied", "No space", "Read-only"):
        assert english not in words_only, line
    for w in words:
        assert w in line, line
    return line


def new_workspace(root: Path) -> Workspace:
    shutil.copytree(SHIPPED_REFERENCE_DIR, root / "data" / "reference")
    (root / "data" / "raw" / str(YEAR)).mkdir(parents=True)
    return Workspace.at(root / "data", root / "reports")


def outputs(ws: Workspace) -> dict[str, bytes]:
    return {name: (ws.processed(YEAR) / name).read_bytes() for name in OUTPUTS}


def leftovers(ws: Workspace) -> list[Path]:
    """Temporary files anywhere in the published folders or the staging folder."""
    found = [
        p
        for folder in (ws.processed(YEAR), ws.reports_dir)
        if folder.exists()
        for p in folder.rglob("*")
        if p.name.startswith(".") or p.name.endswith(".tmp")
    ]
    staging = ws.data_dir / ".staging"
    return found + (list(staging.iterdir()) if staging.exists() else [])


@contextlib.contextmanager
def mounted(*cmd: str, target: Path):
    """Run a mount command for ``target``; skip the test (saying why) if the machine refuses."""
    if os.geteuid() != 0:
        pytest.skip("mount needs root; this test needs a real full or read-only filesystem")
    done = subprocess.run(["mount", *cmd, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount refused here ({done.stderr.strip()}); not faking the filesystem")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def _fill(folder: Path) -> None:
    """Write until the filesystem says ENOSPC: the disk is really full."""
    with open(folder / "filler.bin", "wb", buffering=0) as fh:
        chunk = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                fh.write(chunk)
    with open(folder / "filler-small.bin", "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0")
    with pytest.raises(OSError) as err, open(folder / "probe.bin", "wb", buffering=0) as fh:
        fh.write(b"\0" * 4096)
    assert err.value.errno == errno.ENOSPC


# ---- environment ------------------------------------------------------------------------------


def test_full_disk_is_one_line_and_leaves_previous_outputs_whole(tmp_path):
    root = tmp_path / "full"
    root.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=512k", "tmpfs", target=root):
        ws = new_workspace(root)
        write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
        assert clean(ws).returncode == 0
        before = outputs(ws)
        write_xlsx(
            Book(info=default_info(school_code="KP002", school_name="TH Lê Lợi")),
            ws.raw(YEAR) / "b.xlsx",
        )
        _fill(root)
        one_line_error(clean(ws), "ổ đĩa đã đầy", "intake.csv")
        assert outputs(ws) == before
        assert leftovers(ws) == []


@pytest.mark.slow
def test_a_report_on_a_full_disk_is_one_line_naming_the_file(demo_sample, tmp_path):
    """The reports folder (another filesystem than the data) fills up while the report's stages
    publish: one line naming the file being published (not its staged copy), no report half
    published, nothing left in the staging folder."""
    from builders.shared import copy_workspace

    ws = copy_workspace(demo_sample, tmp_path / "ws")
    reports = tmp_path / "full"
    reports.mkdir()
    with mounted("-t", "tmpfs", "-o", "size=256k", "tmpfs", target=reports):
        year = str(max(ws.raw_years()))
        dirs = ("--data-dir", str(ws.data_dir), "--reports-dir", str(reports))
        out = hoctap("report", "annual", "--year", year, "--date", f"{year}-12-20", *dirs)
        line = one_line_error(out, "ổ đĩa đã đầy", f"khi ghi {reports / year}/")
        assert ".staging" not in line and ".tmp" not in line
        assert not (reports / year / f"bao-cao-nam-{year}.pdf").exists()
    assert not list(ws.staging_dir.iterdir())


def test_read_only_processed_folder_is_one_line(tmp_path):
    ws = new_workspace(tmp_path)
    write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
    assert clean(ws).returncode == 0
    before = outputs(ws)
    folder = ws.processed_root
    with mounted("--bind", str(folder), target=folder):
        done = subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"read-only remount refused here ({done.stderr.strip()})")
        with pytest.raises(OSError):  # really read-only, also for root
            (folder / "probe").write_text("x")
        write_xlsx(
            Book(info=default_info(school_code="KP002", school_name="TH Lê Lợi")),
            ws.raw(YEAR) / "b.xlsx",
        )
        one_line_error(clean(ws), "chỉ cho phép đọc", str(ws.processed(YEAR) / "intake.csv"))
        assert outputs(ws) == before
    assert leftovers(ws) == []


def test_permission_denied_is_one_line(tmp_path):
    """chmod 0555 does not stop root: the run drops the capabilities that bypass it."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
    drop = (
        setpriv,
        "--inh-caps",
        "-dac_override,-dac_read_search",
        "--bounding-set",
        "-dac_override,-dac_read_search",
    )
    ws = new_workspace(tmp_path)
    write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
    assert clean(ws).returncode == 0
    before = outputs(ws)
    os.chmod(ws.processed(YEAR), 0o555)
    try:
        out = clean(ws, prefix=drop)
        if "setpriv" in out.stderr:
            pytest.skip(f"setpriv refused here: {out.stderr.strip()}")
        one_line_error(out, "không có quyền ghi", "intake.csv")
    finally:
        os.chmod(ws.processed(YEAR), 0o755)
    assert outputs(ws) == before


def test_debug_flag_shows_the_traceback(tmp_path):
    args = ("clean", "--year", "2023", "--data-dir", str(tmp_path / "nowhere"))
    one_line_error(hoctap(*args), "Không có thư mục dữ liệu thô")
    for debug in (("--debug", *args), (*args, "--debug")):
        out = hoctap(*debug)
        assert out.returncode != 0 and "Traceback" in out.stderr and "InputError" in out.stderr


def test_unexpected_exception_is_one_vietnamese_line():
    from hoctap.cli import error_line

    line = error_line(KeyError("households_total\nsecond line"))
    assert "\n" not in line and line.startswith("chương trình gặp lỗi ngoài dự kiến") and "--debug" in line
    assert "ổ đĩa đã đầy" in error_line(OSError(errno.ENOSPC, "No space left on device", "/x/y.csv"))
    assert error_line(ReferenceDataError('Tệp a.csv thiếu cột "kind"')) == 'Tệp a.csv thiếu cột "kind"'


# ---- reference files as Excel saves them ------------------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Excel on a Vietnamese Windows writes it: tone marks as combining characters."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
            out.append((base + "".join(c for c in parts if c in _TONES)).encode("cp1258"))
    return b"".join(out)


def _resave(ws: Workspace, name: str, sep: str, encode) -> None:
    path = ws.reference_dir / name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    path.write_bytes(encode(df.to_csv(index=False, sep=sep, lineterminator="\r\n")))


@pytest.mark.parametrize("sep, encoding", [(";", "utf-8-sig"), (";", "cp1258"), (",", "utf-8"), ("\t", "utf-16")])
def test_reference_saved_by_excel_on_windows_reads_the_same(tmp_path, sep, encoding):
    encode = {
        "utf-8-sig": lambda t: t.encode("utf-8-sig"),
        "utf-8": lambda t: t.encode("utf-8"),
        "cp1258": _cp1258,
        "utf-16": lambda t: t.encode("utf-16"),
    }[encoding]
    plain, resaved = new_workspace(tmp_path / "plain"), new_workspace(tmp_path / "resaved")
    book = write_xlsx(
        Book(info=default_info(commune="Ia R'sươm", school_code="", school_name="MN Sơn Ca")),
        tmp_path / "a.xlsx",
    )
    for ws in (plain, resaved):
        shutil.copy(book, ws.raw(YEAR) / "a.xlsx")
    for name in ("communes.csv", "commune_changes.csv", "schools.csv", "targets.csv"):
        _resave(resaved, name, sep, encode)
    for ws in (plain, resaved):
        out = clean(ws)
        assert out.returncode == 0, out.stderr
    for name in ("intake.csv", "issues.csv", "completeness.csv"):
        assert (plain.processed(YEAR) / name).read_bytes() == (resaved.processed(YEAR) / name).read_bytes(), name
    ref = Reference(resaved.reference_dir)
    assert "Ia Rsươm" in set(ref.communes["name"]) and ref.targets["target_pct"].dtype == float


@pytest.mark.parametrize(
    "name, edit, words",
    [
        (
            "communes.csv",
            lambda df: df.drop(columns=["kind"]),
            ("communes.csv", 'thiếu cột "kind"'),
        ),
        (
            "schools.csv",
            lambda df: df.drop(columns=["commune_code", "name"]),
            ("schools.csv", '"name", "commune_code"'),
        ),
        (
            "communes.csv",
            lambda df: df.assign(valid_from=["31/06/2025"] + list(df["valid_from"][1:])),
            ("communes.csv", "cột valid_from, dòng 2", "31/06/2025", "không phải ngày"),
        ),
        (
            "targets.csv",
            lambda df: df.assign(target_pct=["bảy mươi"] + list(df["target_pct"][1:])),
            ("targets.csv", "cột target_pct, dòng 2", "không phải số"),
        ),
        (
            "commune_changes.csv",
            lambda df: df.iloc[0:0],
            None,
        ),  # a header alone is a valid, empty table
    ],
)
def test_broken_reference_file_is_one_line_naming_file_and_column(tmp_path, name, edit, words):
    ws = new_workspace(tmp_path)
    write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
    path = ws.reference_dir / name
    edit(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    out = clean(ws)
    if name == "targets.csv":  # only the indicators read the targets
        assert out.returncode == 0, out.stderr
        out = hoctap(
            "indicators",
            "--year",
            str(YEAR),
            "--data-dir",
            str(ws.data_dir),
            "--reports-dir",
            str(ws.reports_dir),
        )
    if words is None:
        assert out.returncode == 0, out.stderr
    else:
        one_line_error(out, *words)


def test_excel_style_dates_and_decimal_commas_in_reference_are_read(tmp_path):
    ws = new_workspace(tmp_path)
    path = ws.reference_dir / "communes.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["valid_from"] = [f"{d[8:10]}/{d[5:7]}/{d[:4]}" for d in df["valid_from"]]  # as Vietnamese Excel shows them
    path.write_bytes(df.to_csv(index=False, sep=";").encode("utf-8-sig"))
    tpath = ws.reference_dir / "targets.csv"
    t = pd.read_csv(tpath, dtype=str, keep_default_na=False)
    t["target_pct"] = "62,5"  # the decimal comma of a Vietnamese Excel
    tpath.write_bytes(t.to_csv(index=False, sep=";").encode("utf-8-sig"))
    ref = Reference(ws.reference_dir)
    assert ref.communes["valid_from_date"].iloc[0] == dt.date(2021, 1, 1)
    assert ref.resolve_commune("Ia Dreh", dt.date(2025, 12, 1)).code == "XM-IADREH"
    assert (ref.targets["target_pct"] == 62.5).all()


def test_broken_settings_file_is_one_line(tmp_path):
    ws = new_workspace(tmp_path)
    write_xlsx(Book(), ws.raw(YEAR) / "a.xlsx")
    settings = ws.reference_dir / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('name = "PHÒNG', "name = PHÒNG", 1),
        encoding="utf-8",
    )
    one_line_error(clean(ws), "settings.toml", "sai cú pháp ở dòng")
    settings.write_text("[reporting]\ndeadline_day = 31\ndeadline_month = 2\n", encoding="utf-8")
    one_line_error(clean(ws), "deadline_day")


def test_reference_error_is_a_hoctap_error_and_does_not_shadow_the_builtin():
    import builtins

    import hoctap.reference as reference

    assert issubclass(ReferenceDataError, HoctapError)
    assert getattr(reference, "ReferenceError", builtins.ReferenceError) is builtins.ReferenceError
    with pytest.raises(ReferenceDataError, match="Thiếu tệp"):
        _ = Reference(Path("/nonexistent")).communes


# ---- values that used to crash or pass -----------------------------------------------------


def test_nan_infinite_and_huge_counts_are_errors_not_crashes(tmp_path):
    ws = new_workspace(tmp_path)
    write_xlsx(
        Book(
            villages=[
                village("Thôn 1", 100, households_total=1e308),
                village("Thôn 2", 120, workers_total=1e23),
                village("Thôn 3", 80, clans_total="100000000000000000000"),
                village("Thôn 4", 50, workers_citizen="1e23"),
            ]
        ),
        ws.raw(YEAR) / "big.xlsx",
    )
    write_xls(
        Book(
            info=default_info(school_code="KP002", school_name="TH Lê Lợi"),
            villages=[
                village("Thôn 5", 100, households_total=float("nan")),
                village("Thôn 6", 90, clans_total=float("inf")),
            ],
        ),
        ws.raw(YEAR) / "nan.xls",
    )
    files = [str(ws.raw(YEAR) / n) for n in ("big.xlsx", "nan.xls")]
    check = hoctap("check", *files, "--data-dir", str(ws.data_dir))
    assert check.returncode == 1 and "Traceback" not in check.stderr
    assert check.stdout.count("quá lớn cho một số lượng") == 3 and '"1e+308"' in check.stdout
    assert "ô chứa giá trị lỗi của bảng tính" in check.stdout and "giá trị vô cực" in check.stdout
    out = clean(ws)
    assert out.returncode == 0, out.stderr
    issues = io.read_csv(ws.processed(YEAR) / "issues.csv")
    got = {(c, code) for c, code in zip(issues["cell"], issues["code"], strict=True)}
    assert {
        ("DiaBan!C4", "count_too_large"),
        ("DiaBan!I5", "count_too_large"),
        ("DiaBan!F6", "count_too_large"),
        ("DiaBan!J7", "bad_count"),
    } <= got
    assert {("DiaBan!C4", "bad_count"), ("DiaBan!F5", "bad_count")} <= got
    villages = pd.read_parquet(ws.processed(YEAR) / "villages.parquet")
    assert set(villages["status"]) == {"quarantined"}
    assert villages[["households_total", "clans_total", "workers_total"]].max().max() <= MAX_COUNT


# ---- report dates -------------------------------------------------------------------------------

REF = Reference(SHIPPED_REFERENCE_DIR)


def _assessed(tmp_path, report_date, year=YEAR, commune="Thị trấn Phú Túc", today=dt.date(2025, 1, 20), **info):
    path = write_xlsx(
        Book(info=default_info(year=year, report_date=report_date, commune=commune, **info)),
        tmp_path / "a.xlsx",
    )
    return assess("a.xlsx", read_workbook(path), REF, year, today=today)


def test_report_date_after_the_run_suggests_the_day_month_swap(tmp_path):
    # typed 03/01/2025 (3 January) in an English-locale sheet: stored as 1 March, after "today"
    a = _assessed(tmp_path, dt.datetime(2025, 3, 1), today=dt.date(2025, 1, 20))
    (hit,) = [i for i in a.issues if i["code"] == "report_date_future"]
    assert hit["severity"] == "warning" and hit["cell"] == "ThongTin!B9" and a.status == "accepted"
    assert "01/03/2025 muộn hơn hôm nay (20/01/2025)" in hit["message"]
    assert "có thể là ngày 03/01/2025 bị đảo ngày/tháng" in hit["message"]
    # a swap that would still be in the future is not suggested
    b = _assessed(tmp_path, dt.datetime(2025, 3, 4), today=dt.date(2025, 1, 20))
    (hit,) = [i for i in b.issues if i["code"] == "report_date_future"]
    assert "đảo ngày/tháng" not in hit["message"]


def test_report_date_before_the_reporting_year(tmp_path):
    a = _assessed(tmp_path, "05/12/2023")
    (hit,) = [i for i in a.issues if i["code"] == "report_date_before_year"]
    assert "05/12/2023 sớm hơn năm báo cáo 2024" in hit["message"] and "đảo" not in hit["message"]
    assert not [i for i in _assessed(tmp_path, "05/12/2024").issues if i["code"].startswith("report_date")]


def test_report_date_before_the_commune_existed_is_read_in_the_new_commune(tmp_path):
    """05/12/2025 typed in an English-locale sheet is 12 May: before xã Ia Dreh existed (1 July)."""
    a = _assessed(
        tmp_path,
        dt.datetime(2025, 5, 12),
        year=2025,
        commune="xã Ia Dreh",
        today=dt.date(2026, 1, 5),
        school_code="",
        school_name="MN Hoa Ban",
    )
    (hit,) = [i for i in a.issues if i["code"] == "report_date_before_commune"]
    assert a.status == "accepted" and a.commune_code == "XM-IADREH" and a.school_id == "KP025"
    assert "12/05/2025 sớm hơn ngày xã Ia Dreh được thành lập (01/07/2025)" in hit["message"]
    assert "có thể là ngày 05/12/2025 bị đảo ngày/tháng" in hit["message"]
    assert "commune_unknown" not in {i["code"] for i in a.issues}


def test_english_locale_date_through_the_command(tmp_path):
    ws = new_workspace(tmp_path)
    path = write_xlsx(
        Book(
            info=default_info(
                year=2025,
                report_date=dt.datetime(2025, 5, 12),
                commune="xã Ia Dreh",
                school_code="",
                school_name="MN Hoa Ban",
            )
        ),
        tmp_path / "a.xlsx",
    )
    out = hoctap("check", str(path), "--data-dir", str(ws.data_dir))
    assert out.returncode == 0, out.stdout
    assert "[CẢNH BÁO]" in out.stdout and "có thể là ngày 05/12/2025 bị đảo ngày/tháng" in out.stdout


# ---- messages -----------------------------------------------------------------------------------


@pytest.mark.slow  # LibreOffice
def test_total_row_names_the_cells_typed_as_text(tmp_path):
    """The sheet's own SUM (computed by LibreOffice) skips numbers typed as text; the warning says so."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is needed to compute the SUM the way a spreadsheet does")
    book = Book(villages=[village("Thôn 1", 100), village("Thôn 2", 120), village("Thôn 3", 80)])
    raw = write_xlsx(book, tmp_path / "src" / "t.xlsx")
    wb = openpyxl.load_workbook(raw)
    ws = wb["DiaBan"]
    for ref in ("C4", "C6"):  # retyped as text, the way a pasted or apostrophe-typed number is
        ws[ref].value = str(ws[ref].value)
        ws[ref].data_type = "s"
    ws["B7"] = "Tổng cộng"
    ws["C7"] = "=SUM(C4:C6)"
    wb.save(raw)
    subprocess.run(
        [
            soffice,
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "lo"),
            str(raw),
        ],
        check=True,
        capture_output=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    sub = read_workbook(tmp_path / "lo" / "t.xlsx")
    (f,) = [f for f in sub.findings if f.code in ("total_text_cells", "total_mismatch")]
    assert f.code == "total_text_cells" and f.value == "120" and f.params["expected"] == 300
    issue = assess("t.xlsx", sub, REF, YEAR).issues
    (msg,) = [i["message"] for i in issue if i["code"] == "total_text_cells"]
    assert "các ô C4, C6 được gõ dạng chữ" in msg and msg.startswith("Ô DiaBan!C7:")


def test_unreadable_file_message_has_no_exception_name_and_detail_keeps_it(tmp_path):
    import zipfile

    good = write_xlsx(Book(), tmp_path / "good.xlsx")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(broken, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data[: len(data) // 2] if name.startswith("xl/worksheets/") else data)
    (issue,) = assess("broken.xlsx", read_workbook(broken), REF, YEAR).issues
    assert issue["code"] == "file_corrupt"
    for column in ("message", "value"):
        assert "Error" not in issue[column] and "Exception" not in issue[column], issue[column]
    assert "Error" in issue["detail"]  # the technical words, for whoever debugs it


def test_messages_speak_to_who_reads_them():
    from hoctap.cleaning.rules import load_rules

    for rule in load_rules().values():
        assert "hoctap" not in rule.message, rule.code  # a school has no hoctap command
        assert "lệnh:" not in rule.message, rule.code
    from hoctap.cleaning import rules

    text = rules.message("missing_sheet", label="DiaBan")
    assert "tải biểu mẫu HTSD-01 mới nhất từ Phòng Giáo dục và Đào tạo" in text
    text = rules.message("percent_in_count", cell="DiaBan!C4", value="70%", detail="có dấu phần trăm")
    assert "(phần trăm)" not in text and "có dấu phần trăm, giống một tỷ lệ" in text

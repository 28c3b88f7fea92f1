"""hoctap check: what a school sees before sending its file."""

from __future__ import annotations

import subprocess
import sys

from builders.corpus import Book, default_info, village, write_xlsx
from hoctap.cleaning.check import run_check
from hoctap.paths import PROJECT_ROOT


def test_clean_file_passes(tmp_path, workspace, capsys):
    path = write_xlsx(Book(), tmp_path / "ok.xlsx")
    assert run_check([path], workspace) == 0
    out = capsys.readouterr().out
    assert "Tệp hợp lệ, có thể gửi" in out


def test_errors_say_where_and_what_to_write(tmp_path, workspace, capsys):
    book = Book(
        villages=[
            village("Thôn 1", 100, households_total="70%"),
            village("Thôn 2", 100, households_family_title=120),
        ]
    )
    path = write_xlsx(book, tmp_path / "bad.xlsx")
    assert run_check([path], workspace) == 1
    out = capsys.readouterr().out
    assert (
        '[LỖI] Ô DiaBan!C4: "70%" có dấu phần trăm, giống một tỷ lệ chứ không phải số lượng' in out
        and "ví dụ 12" in out
    )
    assert "[LỖI] Ô DiaBan!E5" in out and "sửa lại cho đúng" in out
    assert "2 lỗi" in out


def test_warnings_only_exit_zero_and_no_year_folder_needed(tmp_path, workspace, capsys):
    info = default_info(school_code="", school_name="Trường Mầm non Chưa Đăng Ký")
    path = write_xlsx(Book(info=info), tmp_path / "w.xlsx")
    assert not workspace.raw(2024).exists()
    assert run_check([path], workspace) == 0
    out = capsys.readouterr().out
    assert "[CẢNH BÁO]" in out and "không có trong danh sách trường" in out


def test_file_level_problems_and_missing_file(tmp_path, workspace, capsys):
    enc = tmp_path / "empty.xlsx"
    enc.write_bytes(b"")
    unknown = write_xlsx(Book(info=default_info(commune="Xã Không Tồn Tại")), tmp_path / "c.xlsx")
    assert run_check([enc, unknown, tmp_path / "nope.xlsx"], workspace) == 1
    out = capsys.readouterr().out
    assert "Tệp rỗng" in out and 'không tìm thấy xã "Xã Không Tồn Tại"' in out and "Không tìm thấy tệp" in out


def test_cli_check_exit_code(tmp_path):
    path = write_xlsx(Book(villages=[village("Thôn 1", 100, clans_total=0.5)]), tmp_path / "x.xlsx")
    proc = subprocess.run(
        [sys.executable, "-m", "hoctap", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 1
    assert "DiaBan!F4" in proc.stdout


def test_year_option_catches_a_file_copied_from_last_year(tmp_path, workspace, capsys):
    path = write_xlsx(Book(info=default_info(year=2025, report_date="01/12/2025")), tmp_path / "old.xlsx")
    assert run_check([path], workspace) == 0
    assert run_check([path], workspace, year=2026) == 1
    out = capsys.readouterr().out
    assert "năm báo cáo 2025 khác với năm 2026" in out


def test_a_missing_path_or_a_folder_is_one_clear_line(tmp_path, workspace, capsys):
    from hoctap.cleaning.check import check_file
    from hoctap.reference import Reference

    missing = tmp_path / "khong-co.xlsx"
    assert run_check([missing, tmp_path], workspace) == 1
    out = capsys.readouterr().out
    assert f'[LỖI] Không tìm thấy tệp "{missing}"; kiểm tra lại đường dẫn và tên tệp.' in out
    assert f'[LỖI] "{tmp_path}" là thư mục, không phải tệp;' in out
    assert "bị hỏng" not in out and "sẽ không được đọc khi gửi" not in out
    (issue,) = check_file(missing, Reference(workspace.reference_dir))
    assert issue["code"] == "file_missing" and issue["severity"] == "error"
    assert issue["message"] == f'Không tìm thấy tệp "{missing}"; kiểm tra lại đường dẫn và tên tệp.'
    broken = tmp_path / "hong.xlsx"
    broken.symlink_to(tmp_path / "dich-khong-con.xlsx")
    (issue,) = check_file(broken, Reference(workspace.reference_dir))
    assert issue["code"] == "file_missing"

"""The command line speaks Vietnamese and fails with a one-line reason."""

from __future__ import annotations

import os
import subprocess
import sys


def hoctap(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "hoctap", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_every_command():
    out = hoctap("--help")
    assert out.returncode == 0
    for command in ("template", "demo", "check", "clean", "indicators", "report", "run", "status"):
        assert command in out.stdout
    assert "tạo biểu mẫu HTSD-01" in out.stdout


def test_year_outside_programme_is_refused():
    out = hoctap("clean", "--year", "2019")
    assert out.returncode == 2
    assert "ngoài giai đoạn 2021-2030" in out.stderr


def test_missing_year_folder_is_one_line(workspace):
    out = hoctap("clean", "--year", "2023", "--data-dir", str(workspace.data_dir))
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Lỗi:")
    assert "Traceback" not in out.stderr


def test_vietnamese_output_survives_a_non_utf8_locale():
    import os

    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    out = subprocess.run([sys.executable, "-m", "hoctap", "--help"], capture_output=True, env=env, timeout=60)
    assert out.returncode == 0
    assert "tạo biểu mẫu HTSD-01" in out.stdout.decode("utf-8")


def test_a_reader_that_goes_away_ends_the_command_quietly(demo_sample):
    """`hoctap status | head -1`: the closed pipe is no disk error and no traceback."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        out = subprocess.run(
            [sys.executable, "-m", "hoctap", "status", "--data-dir", str(demo_sample.data_dir)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert out.returncode == 141
    assert out.stderr == ""

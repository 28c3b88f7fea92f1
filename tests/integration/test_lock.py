"""One writing command at a time on a workspace: real processes, a real OS lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

from hoctap.lock import exclusive

HOLDER = textwrap.dedent(
    """
    import sys, time
    from hoctap.lock import exclusive
    from hoctap.paths import Workspace
    ws = Workspace.at(sys.argv[1], sys.argv[2])
    with exclusive(ws, "run --all"):
        print("held", flush=True)
        time.sleep(120)
    """
)


def _hoctap(ws, *args):
    dirs = ["--data-dir", str(ws.data_dir), "--reports-dir", str(ws.reports_dir)]
    return subprocess.run([sys.executable, "-m", "hoctap", *args, *dirs], capture_output=True, text=True, timeout=120)


def test_a_second_writing_command_stops_at_once_naming_the_first_and_a_killed_holder_frees_it(workspace):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(workspace.data_dir), str(workspace.reports_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (("run", "--all"), ("clean", "--year", "2023"), ("report", "annual", "--year", "2023")):
            out = _hoctap(workspace, *args)
            assert out.returncode == 2, out.stderr
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in out.stderr
            assert f"đang bận: lệnh `hoctap run --all` (tiến trình {holder.pid} trên máy" in lines[0]
            assert "chờ lệnh đó chạy xong rồi chạy lại" in lines[0]
        status = _hoctap(workspace, "status")
        assert "đang bận" not in status.stderr, "reading the workspace is never blocked"
        assert f"Đang chạy: lệnh `hoctap run --all` (tiến trình {holder.pid}" in status.stdout, "but says who writes"
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    out = _hoctap(workspace, "clean", "--year", "2023")  # the system released the killed holder's lock
    assert out.returncode == 2 and "đang bận" not in out.stderr
    assert "Không có thư mục dữ liệu thô của năm 2023" in out.stderr
    assert "Đang chạy" not in _hoctap(workspace, "status").stdout


def test_the_lock_nests_within_one_process_and_is_free_after(workspace):
    with exclusive(workspace, "run --all"), exclusive(workspace, "report annual"):
        pass
    with exclusive(workspace, "run --all"):
        pass


def test_a_mistyped_data_folder_gets_no_lock_and_nothing_created(tmp_path):
    from hoctap.paths import Workspace

    missing = tmp_path / "no-such-folder"
    out = _hoctap(Workspace.at(missing, tmp_path / "reports"), "clean", "--year", "2023")
    assert out.returncode == 2 and "đang bận" not in out.stderr
    assert not missing.exists(), "the lock creates no folder"

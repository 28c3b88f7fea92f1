"""The persistent digest cache (hashing.DigestCache): a digest is reused only for a file whose stat
is the one recorded and not racy, and a broken cache file costs hashes, never a wrong digest."""

from __future__ import annotations

import hashlib
import json
import os
import time

import pytest

from hoctap import hashing, stages
from hoctap.paths import Workspace

HOUR_NS = 3600 * 10**9


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_process_state():
    hashing.forget()
    yield
    hashing.forget()


def _old_file(path, data: bytes) -> None:
    """A file last modified an hour ago (its ctime is now: setting the mtime changes it)."""
    path.write_bytes(data)
    past = time.time_ns() - HOUR_NS
    os.utime(path, ns=(past, past))


def _entry_on_disk(cache_file, path) -> list:
    data = json.loads(cache_file.read_bytes())
    return data["dirs"][str(path.parent)][path.name]


def _settle(cache_file, path, digest: str | None = None) -> None:
    """The saved entry of ``path`` as if hashed RACY_NS after the file's last change (what a file
    hashed two seconds after it was written gets, without the test waiting), optionally with
    another digest."""
    data = json.loads(cache_file.read_bytes())
    entry = data["dirs"][str(path.parent)][path.name]
    entry[5] = max(entry[3], entry[4]) + hashing.RACY_NS
    if digest is not None:
        entry[6] = digest
    cache_file.write_text(json.dumps(data))
    hashing.forget()


def test_a_saved_digest_is_used_by_the_next_process(tmp_path):
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    _old_file(f, b"first")
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"first")
    hashing.digest_cache(cache_file).save()
    hashing.forget()
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"first")  # racy: hashed again
    hashing.digest_cache(cache_file).save()
    # another digest written in the settled entry is served as is: proof it is read, not the file
    _settle(cache_file, f, "0" * 64)
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == "0" * 64


def test_a_changed_file_is_hashed_again(tmp_path):
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    _old_file(f, b"first")
    hashing.file_digest(f, hashing.digest_cache(cache_file))
    hashing.digest_cache(cache_file).save()
    _settle(cache_file, f)
    _old_file(f, b"second version")
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"second version")


def test_same_size_with_the_mtime_put_back_is_caught(tmp_path):
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    _old_file(f, b"AAAA")
    mtime = f.stat().st_mtime_ns
    hashing.file_digest(f, hashing.digest_cache(cache_file))
    hashing.digest_cache(cache_file).save()
    _settle(cache_file, f, _sha(b"AAAA"))
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"AAAA")
    hashing.forget()
    with open(f, "r+b") as fh:  # same inode, same size
        fh.write(b"BBBB")
    os.utime(f, ns=(mtime, mtime))
    assert f.stat().st_size == 4 and f.stat().st_mtime_ns == mtime
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"BBBB")


def test_a_racy_entry_is_not_trusted(tmp_path):
    """A file rewritten in the tick it was hashed in keeps its whole stat: the cache then holds the
    old digest under the new file's stat. Such an entry, hashed less than RACY_NS after the file's
    last change, is hashed again; the same entry hashed later would be used (the control)."""
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    f.write_bytes(b"BBBB")
    st = f.stat()
    changed = max(st.st_mtime_ns, st.st_ctime_ns)
    sig = [st.st_size, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns]

    def cache_with(hashed_ns: int) -> None:
        entries = {str(tmp_path): {"a.xlsx": [*sig, hashed_ns, _sha(b"AAAA")]}}
        cache_file.write_text(json.dumps({"version": hashing.CACHE_VERSION, "dirs": entries}))
        hashing.forget()

    cache_with(changed + hashing.RACY_NS // 2)
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"BBBB")
    cache_with(changed + hashing.RACY_NS)
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"AAAA")


def test_a_file_rewritten_right_after_its_hash_is_caught(tmp_path):
    """The race itself, on a real file: hash, rewrite in place with the same size, put the mtime
    back; whether or not the clock moved in between, the next digest is the new content's."""
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    for i in range(20):
        old, new = b"%04d" % i, b"%04d" % (i + 1000)
        f.write_bytes(old)
        mtime = f.stat().st_mtime_ns
        assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(old)
        hashing.digest_cache(cache_file).save()
        with open(f, "r+b") as fh:
            fh.write(new)
        os.utime(f, ns=(mtime, mtime))
        hashing.forget()
        assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(new)
        assert hashing.file_digest(f) == _sha(new)


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xffnot json",
        b'{"version": 1, "dirs": {"x": {"a.xlsx": [1, 2]}}}',
        b'{"version": 1, "dirs": []}',
        b"[1, 2, 3]",
        b"",
    ],
)
def test_a_corrupt_cache_file_is_ignored(tmp_path, content):
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    _old_file(f, b"data")
    cache_file.write_bytes(content)
    cache = hashing.digest_cache(cache_file)
    assert hashing.file_digest(f, cache) == _sha(b"data")
    cache.save()
    assert _entry_on_disk(cache_file, f)[-1] == _sha(b"data")


def test_a_cache_of_another_version_is_ignored(tmp_path):
    f, cache_file = tmp_path / "a.xlsx", tmp_path / "digests.json"
    _old_file(f, b"data")
    st = f.stat()
    entry = [st.st_size, st.st_ino, st.st_dev, st.st_mtime_ns, st.st_ctime_ns, time.time_ns(), "0" * 64]
    cache_file.write_text(
        json.dumps({"version": hashing.CACHE_VERSION + 1, "dirs": {str(tmp_path): {"a.xlsx": entry}}})
    )
    assert hashing.file_digest(f, hashing.digest_cache(cache_file)) == _sha(b"data")


def test_files_gone_from_a_listed_folder_leave_the_cache(tmp_path):
    folder, cache_file = tmp_path / "raw", tmp_path / "digests.json"
    folder.mkdir()
    _old_file(folder / "a.xlsx", b"a")
    _old_file(folder / "b.xlsx", b"b")
    cache = hashing.digest_cache(cache_file)
    assert set(hashing.tree(folder, cache).values()) == {_sha(b"a"), _sha(b"b")}
    cache.save()
    (folder / "b.xlsx").unlink()
    hashing.forget()
    cache = hashing.digest_cache(cache_file)
    assert list(hashing.tree(folder, cache).values()) == [_sha(b"a")]
    cache.save()
    assert list(json.loads(cache_file.read_bytes())["dirs"][str(folder)]) == ["a.xlsx"]


def test_a_stage_check_keeps_the_digests_in_the_workspace(tmp_path):
    ws = Workspace.at(tmp_path / "data", tmp_path / "reports")
    raw = ws.raw(2024)
    raw.mkdir(parents=True)
    _old_file(raw / "truong-1.xlsx", b"workbook")
    stages.check(ws, stages.clean_stage(ws, 2024))
    cache_file = ws.processed_root / ".stamps" / "digests.json"
    assert _entry_on_disk(cache_file, raw / "truong-1.xlsx")[-1] == _sha(b"workbook")


def _imports_by_ast(source: str) -> set[str]:
    import ast

    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hoctap") and not node.level:
            names |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names if a.name.startswith("hoctap")}
    return names


def test_imports_read_from_text_find_every_import_the_syntax_tree_has():
    """Every module of the package: the text scan misses no import a stage's code hash must follow."""
    known = set(hashing.modules())
    for module, path in hashing.modules().items():
        source = path.read_text(encoding="utf-8")
        missed = (_imports_by_ast(source) & known) - set(hashing._imported_names(source))
        assert not missed, f"{module}: {sorted(missed)}"


def test_imports_read_from_text_in_awkward_forms():
    source = """
import os, hoctap.io as hio
from hoctap.report import (
    html,  # the page, a comment, with commas
    pdf as p,
)
def late():
    from hoctap.report.docx import write_docx; import json
    import hoctap.text
class K:
    if True:
        from hoctap import fmt, paths
"""
    found = set(hashing._imported_names(source))
    assert _imports_by_ast(source) <= found
    assert {"hoctap.report.html", "hoctap.report.pdf", "hoctap.text", "hoctap.fmt", "hoctap.paths"} <= found

"""Adversarial runner: variants and mutants through the real ``hoctap clean`` and ``hoctap check``.

    .venv/bin/python -m tests.adversarial.run --budget 110 [--seed 11] [--corpus DIR]
        [--workdir DIR] [--phases variants,mutants,fs,corpus]

Phases, each in a fresh workspace under --workdir:

1. variants: a baseline year of canonical workbooks, then rounds in which every workbook is
   replaced by an equivalent variant; the school figures read and ``indicators.csv`` must not
   change, ``hoctap check`` must find no error.
2. mutants: every mutant is probed alone (a forked child runs the real ``clean_year`` on a
   one-file workspace, with a memory cap and a timeout, which gives the
   file's own crash, hang and peak memory), then the whole folder goes through the CLI.
3. file-system oddities (FIFO, symlinks, odd names, unreadable files), as root and, when the
   runner is root, as an unprivileged user.
4. --corpus DIR: real spreadsheets from other programs, probed and cleaned the same way.

Properties: clean exits 0 with no traceback; every entry under raw/<year>/ is an intake row;
raw bytes unchanged; rejected files carry a one-line Vietnamese reason; the village rows of a
file whose layout is known are all in villages.parquet; an external entity's target never
leaks into an output. Prints the counts and writes report.json in the work folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import mutate as M
from . import variants as V

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOCTAP = [str(BIN / "hoctap")] if (BIN / "hoctap").exists() else [sys.executable, "-m", "hoctap"]
YEAR = V.YEAR
READABLE = (".xlsx", ".xlsm", ".xls", ".ods")
MEM_CAP = 3 << 30  # address space a probed file may add, and headroom for a CLI run
EXC_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Panic|NotFound)\b|Traceback|panicked|Errno")


# ---- running things ---------------------------------------------------------------------


@dataclass
class Run:
    cmd: str
    rc: int | None
    secs: float
    rss_mb: float
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False
    signal: int | None = None

    @property
    def traceback(self) -> bool:
        return "Traceback (most recent call last)" in self.stderr or "panicked at" in self.stderr

    def tail(self, n: int = 3) -> str:
        lines = [x for x in (self.stderr or self.stdout).strip().splitlines() if x.strip()]
        return " | ".join(lines[-n:])[:400]


def _vm_size() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _rss_now() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_cli(
    args: list[str],
    timeout: float,
    cwd: Path | None = None,
    drop_dac: bool = False,
    mem: int = 6 << 30,
) -> Run:
    """Run a command with an address-space cap; peak RSS from wait4 (the child and its waited
    descendants, e.g. clean's worker pool)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()

    def pre() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        if drop_dac:  # root that honours file permissions: no CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (1, 2):
                if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env, preexec_fn=pre)
    timed_out = False
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - t0 > timeout:
            timed_out = True
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid, status, ru = os.wait4(p.pid, 0)
            break
        time.sleep(0.02)
    p.returncode = 0  # reaped above; keep Popen from waiting again
    secs = time.monotonic() - t0
    out.seek(0)
    err.seek(0)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    rc = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    return Run(
        " ".join(args[:3]) + " ...",
        rc,
        secs,
        ru.ru_maxrss / 1024,
        out.read().decode("utf-8", "replace"),
        err.read().decode("utf-8", "replace"),
        timed_out,
        sig,
    )


def workspace(root: Path) -> Path:
    """A fresh data folder holding the shipped reference data; returns data/."""
    if root.exists():
        _force_rmtree(root)
    data = root / "data"
    shutil.copytree(REPO / "data" / "reference", data / "reference")
    (data / "raw" / str(YEAR)).mkdir(parents=True)
    (data / "processed").mkdir()
    return data


def _force_rmtree(path: Path) -> None:
    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                os.chmod(p, 0o755)
    shutil.rmtree(path, ignore_errors=True)


def clean(data: Path, timeout: float, drop_dac: bool = False) -> Run:
    return run_cli(
        [
            *HOCTAP,
            "clean",
            "--year",
            str(YEAR),
            "--data-dir",
            str(data),
            "--reports-dir",
            str(data.parent / "reports"),
        ],
        timeout,
        cwd=data.parent,
        drop_dac=drop_dac,
    )


def indicators(data: Path, timeout: float) -> Run:
    return run_cli(
        [
            *HOCTAP,
            "indicators",
            "--year",
            str(YEAR),
            "--data-dir",
            str(data),
            "--reports-dir",
            str(data.parent / "reports"),
        ],
        timeout,
        cwd=data.parent,
    )


def check(data: Path, files: list[Path], timeout: float) -> Run:
    return run_cli(
        [*HOCTAP, "check", "--year", str(YEAR), "--data-dir", str(data), *map(str, files)],
        timeout,
        cwd=data.parent,
    )


# ---- the year folder and its ledger -------------------------------------------------------


def entries(year_dir: Path, honour_perms: bool = False) -> dict[str, str]:
    """Every entry under the year folder that the analyst would expect in intake.csv: anything
    that is not a plain directory, plus directories named like a workbook. With
    ``honour_perms`` (a run without CAP_DAC_*), a folder its owner cannot read is one entry
    and its contents are not expected. rel -> kind."""
    out = {}
    base = year_dir.parent
    for dirpath, dirnames, filenames in os.walk(year_dir, followlinks=False):
        for name in list(dirnames) + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, base).replace(os.sep, "/")
            if stat.S_ISDIR(st.st_mode):
                if honour_perms and not st.st_mode & stat.S_IRUSR:
                    out[rel] = "unreadable-dir"
                    dirnames.remove(name)
                elif name.lower().endswith(READABLE):
                    out[rel] = "dir-like-workbook"
                continue
            if stat.S_ISLNK(st.st_mode):
                out[rel] = "symlink-to-dir" if os.path.isdir(p) else "symlink"
            elif stat.S_ISREG(st.st_mode):
                out[rel] = "file"
            elif stat.S_ISFIFO(st.st_mode):
                out[rel] = "fifo"
            else:
                out[rel] = "special"
    return out


def ledger_names(rel: str) -> set[str]:
    """The spellings under which an entry may appear in intake.csv: its name, and for a name
    that is not UTF-8 the bytes shown as \\xNN (the only way to write it in a UTF-8 CSV)."""
    raw = os.fsencode(rel)
    return {rel, raw.decode("utf-8", "backslashreplace"), raw.decode("utf-8", "replace")}


def hashes(year_dir: Path) -> dict[str, str]:
    """sha256 and mode of every regular file (never opens FIFOs or follows links)."""
    out = {}
    for dirpath, _, filenames in os.walk(year_dir, followlinks=False):
        for name in filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[p] = "link:" + os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                if st.st_size > 100 << 20:  # sparse giants: size and mtime only
                    out[p] = f"size:{st.st_size}:{st.st_mtime_ns}:{oct(st.st_mode)}"
                    continue
                try:
                    with open(p, "rb") as fh:
                        h.update(fh.read())
                except PermissionError:
                    pass
                out[p] = f"{h.hexdigest()}:{oct(st.st_mode)}:{st.st_mtime_ns}"
    return out


def _unescape(cell: str) -> str:
    """outputs.md: a CSV text cell starting with = + - @ tab CR gets a leading apostrophe."""
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        return cell[1:]
    return cell


def read_ledger(pdir: Path, name: str = "intake.csv") -> list[dict] | None:
    """A ledger's rows as written (None when it is missing), paths with their escapes taken off."""
    import csv

    path = pdir / name
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["path"] = _unescape(r.get("path", ""))
    return rows


def read_intake(pdir: Path) -> list[dict] | None:
    return read_ledger(pdir, "intake.csv")


@dataclass
class Finding:
    phase: str
    kind: str  # crash, hang, oom, unledgered, raw-changed, figures-changed, check-error, ...
    file: str
    made_of: str
    symptom: str
    rss_mb: float = 0.0

    def line(self) -> str:
        return f"[{self.kind}] {self.file} ({self.made_of}): {self.symptom}"


@dataclass
class Report:
    files: int = 0
    findings: list[Finding] = field(default_factory=list)
    worst_rss: tuple[float, str] = (0.0, "")
    counts: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    probes: list[dict] = field(default_factory=list)

    def add(self, *a, **k) -> None:
        self.findings.append(Finding(*a, **k))

    def rss(self, mb: float, what: str) -> None:
        if mb > self.worst_rss[0]:
            self.worst_rss = (mb, what)


def ledger_findings(
    rep: Report,
    phase: str,
    data: Path,
    before: dict,
    kinds: dict[str, str],
    made_of: dict[str, str],
) -> dict[str, dict]:
    """Entries missing from intake.csv, raw files changed, unclear reasons. rel -> intake row."""
    year_dir = data / "raw" / str(YEAR)
    after = hashes(year_dir)
    for p, h in before.items():
        if after.get(p) != h:
            rep.add(phase, "raw-changed", p, made_of.get(p, ""), f"{h[:20]} -> {str(after.get(p))[:20]}")
    rows = read_intake(data / "processed" / str(YEAR))
    if rows is None:
        rep.add(phase, "no-intake", str(data), "", "processed/<year>/intake.csv missing")
        return {}
    by_path = {r["path"]: r for r in rows}
    for rel, kind in sorted(kinds.items()):
        if not ledger_names(rel) & set(by_path):
            rep.add(phase, "unledgered", rel, made_of.get(rel, kind), f"{kind} not in intake.csv")
    dup = len(rows) - len(by_path)
    if dup:
        rep.add(phase, "ledger-duplicate", str(data), "", f"{dup} duplicate path(s) in intake.csv")
    for r in rows:
        if r["status"] not in ("accepted", "rejected", "superseded", "ignored"):
            rep.add(phase, "bad-status", r["path"], made_of.get(r["path"], ""), r["status"])
        reason = r.get("reason", "")
        if r["status"] == "rejected" and (not reason.strip() or "\n" in reason or EXC_NAME.search(reason)):
            rep.add(phase, "unclear-reason", r["path"], made_of.get(r["path"], ""), repr(reason[:160]))
    return by_path


def removal_findings(rep: Report, phase: str, data: Path, seed: int, timeout: float) -> None:
    """The analyst takes a tenth of the entries away and cleans again: every entry of the earlier
    intake.csv is in the new one, or in removed.csv with its hash, or its bytes are still there
    under another path; removed.csv names only entries that are gone."""
    pdir = data / "processed" / str(YEAR)
    first = {r["path"]: r for r in read_intake(pdir) or []}
    there = sorted(rel for rel in first if os.path.lexists(data / "raw" / rel))
    gone = set(random.Random(seed).sample(there, max(1, len(there) // 10))) if there else set()
    for rel in gone:
        p = data / "raw" / rel
        if p.is_dir() and not p.is_symlink():
            _force_rmtree(p)
        else:
            p.unlink()
    r = clean(data, timeout)
    rep.counts[f"{phase}_removed"] = f"{len(gone)} of {len(first)} entries taken away: rc={r.rc} {r.secs:.1f}s"
    if r.rc != 0 or r.traceback or r.timed_out:
        rep.add(phase, "hang" if r.timed_out else "crash", "hoctap clean after removals", "", r.tail(1))
        return
    rows = read_intake(pdir) or []
    now = {row["path"] for row in rows}
    still = {row["sha256"] for row in rows if row.get("sha256")}  # moved or copied: its bytes are there
    removed = {row["path"]: row for row in read_ledger(pdir, "removed.csv") or []}
    for rel, row in first.items():
        if rel not in now and rel not in removed and row.get("sha256") not in still:
            rep.add(phase, "lost", rel, row.get("status", ""), "in the earlier intake.csv, now in neither ledger")
        elif rel in removed and removed[rel].get("sha256", "") != row.get("sha256", ""):
            rep.add(phase, "lost", rel, row.get("status", ""), "removed.csv holds another hash than the earlier ledger")
    for rel in removed:
        if os.path.lexists(data / "raw" / rel) or rel in now:
            rep.add(phase, "ghost", rel, "", "removed.csv names an entry that is still there")
    for rel in gone - set(removed):
        if first[rel].get("sha256") not in still:
            rep.add(phase, "lost", rel, first[rel].get("status", ""), "taken away but not in removed.csv")


# ---- the probe: one file alone in a forked child ----------------------------------------------


def _slot(root: Path, warm: bool = False) -> Path:
    """A reusable one-file workspace; returns data/. Warming runs one clean in this process so
    forked children inherit the imports and the reference cache (keyed by the workspace path)."""
    from hoctap.cleaning import clean as C
    from hoctap.paths import Workspace

    data = root / "data"
    if not (data / "reference").exists():
        shutil.copytree(REPO / "data" / "reference", data / "reference")
    for sub in ("raw", "processed"):
        if (data / sub).exists():
            _force_rmtree(data / sub)
    (data / "raw" / str(YEAR)).mkdir(parents=True)
    (data / "processed").mkdir()
    if warm:
        V.write_canonical(V.all_figures(1, 1)[0], data / "raw" / str(YEAR) / "warm.xlsx")
        C.clean_year(Workspace.at(data, root / "reports"), YEAR)
        _slot(root)
    return data


def _run_forked(
    jobs: list[tuple[int, list[tuple[Path, str]]]],
    slots: list[Path],
    timeout: float,
    deadline: float,
) -> dict[int, dict]:
    """Run each job (a group of files) in a forked child on a slot workspace: the real
    clean_year under an address-space cap. job id -> outcome, detail, secs, rss_mb, per-file
    rows {rel: {status, reason, villages, codes, leak}}."""
    from hoctap.cleaning import clean as C
    from hoctap.paths import Workspace

    out: dict[int, dict] = {}
    running: dict[int, tuple[int, float, Path, int]] = {}
    queue = list(jobs)
    scratch = slots[0].parent

    def child(files: list[tuple[Path, str]], res_file: Path, ws_root: Path) -> None:
        Path(f"{res_file}.rss").write_text(str(_rss_now()))
        err = os.open(f"{res_file}.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(err, 2)
        cap = _vm_size() + MEM_CAP
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        res_out: dict = {"outcome": "ok", "detail": "", "files": {}}
        try:
            data = ws_root / "data"
            names = {}
            for k, (path, rel) in enumerate(files):
                dest = data / "raw" / str(YEAR) / f"f{k:03d}" / Path(rel).name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                names[f"{YEAR}/f{k:03d}/{Path(rel).name}"] = rel
            res = C.clean_year(Workspace.at(data, ws_root / "reports"), YEAR)
            counts = res.villages["source_path"].value_counts().to_dict() if len(res.villages) else {}
            codes = (
                res.issues.groupby("path")["code"].apply(lambda c: sorted(set(map(str, c)))).to_dict()
                if len(res.issues)
                else {}
            )
            for row in res.intake.to_dict("records"):
                rel = names.get(str(row["path"]).lstrip("'"), str(row["path"]))
                res_out["files"][rel] = {
                    "status": str(row["status"]),
                    "reason": str(row["reason"])[:300],
                    "villages": int(counts.get(row["path"], 0)),
                    "codes": codes.get(row["path"], []),
                }
            leak = [p for p in data.rglob("*.csv") if M.SECRET_TOKEN in p.read_text("utf-8", "replace")]
            res_out["leak"] = bool(leak)
            _alone(data, names, res_out["files"])
        except BaseException as exc:  # noqa: B036 - a pyo3 PanicException is a BaseException
            res_out = {
                "outcome": "exception",
                "detail": f"{type(exc).__name__}: {str(exc)[:200]}",
                "where": _where(exc),
                "files": {},
            }
        res_file.write_text(json.dumps(res_out, default=str))

    while queue or running:
        while queue and len(running) < len(slots) and time.monotonic() < deadline:
            jid, files = queue.pop(0)
            res_file = scratch / f"res{jid}.json"
            k = next(k for k in range(len(slots)) if k not in {v[3] for v in running.values()})
            _slot(slots[k])
            pid = os.fork()
            if pid == 0:
                try:
                    os.setpgid(0, 0)
                    child(files, res_file, slots[k])
                finally:
                    os._exit(0)
            running[pid] = (jid, time.monotonic(), res_file, k)
        if not running:
            break
        done = False
        for pid, (jid, t0, res_file, _k) in list(running.items()):
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            secs = time.monotonic() - t0
            if not wpid and secs > timeout:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wpid, status, ru = os.wait4(pid, 0)
                r = {"outcome": "timeout", "detail": f"killed after {timeout:.0f} s", "files": {}}
            elif not wpid:
                continue
            else:
                try:
                    r = json.loads(res_file.read_text())
                except (OSError, ValueError):
                    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
                    tail = _err_tail(Path(f"{res_file}.err"))
                    r = {
                        "outcome": "signal" if sig else "died",
                        "files": {},
                        "detail": (f"signal {signal.Signals(sig).name}" if sig else f"exit {os.WEXITSTATUS(status)}")
                        + (f": {tail}" if tail else ""),
                    }
            try:
                start = int(Path(f"{res_file}.rss").read_text())
            except (OSError, ValueError):
                start = 0
            r.update(secs=round(secs, 2), rss_mb=round(max(0, ru.ru_maxrss * 1024 - start) / 1048576, 1))
            out[jid] = r
            del running[pid]
            for suffix in ("", ".rss", ".err"):
                Path(f"{res_file}{suffix}").unlink(missing_ok=True)
            done = True
        if not done:
            time.sleep(0.003)
    return out


def _alone(data: Path, names: dict[str, str], files: dict) -> None:
    """Each file's own verdict (as ``hoctap check --year`` gives it), apart from the versions of
    the other files of its batch. Best effort: it uses check.read_contained and clean.assess."""
    try:
        from hoctap.cleaning.assess import assess
        from hoctap.cleaning.check import read_contained
        from hoctap.reference import Reference

        ref = Reference(data / "reference")
        rels = list(names)
        subs = read_contained([data / "raw" / r for r in rels])
        for rel, sub in zip(rels, subs, strict=True):
            a = assess(rel, sub, ref, YEAR)
            files.setdefault(names[rel], {}).update(
                alone_status=a.status,
                alone_errors=sorted({i["code"] for i in a.issues if i["severity"] == "error"}),
            )
    except Exception as exc:  # the probe goes on without it
        files.setdefault("_alone_error", {})["detail"] = f"{type(exc).__name__}: {exc}"[:200]


def probe(
    paths: list[tuple[Path, str]],
    scratch: Path,
    timeout: float,
    deadline: float,
    parallel: int = 2,
    batch: int = 16,
) -> list[dict]:
    """Every file through the real clean_year in a forked child, in batches; a batch that fails
    (exception, signal, timeout) and the two batches with the highest peak memory are run
    again file by file, so that a failure and the worst memory are each pinned on one file.
    Returns per file: outcome (ok, exception, signal, timeout, skipped), detail, secs, rss_mb
    (alone, or "batch_rss_mb" when only its batch was measured), status, reason, villages."""
    scratch.mkdir(parents=True, exist_ok=True)
    slots = [scratch / f"slot{k}" for k in range(parallel)]
    for root in slots:
        _slot(root, warm=True)
    groups = [(i // batch, list(enumerate(paths))[i : i + batch]) for i in range(0, len(paths), batch)]
    first = _run_forked([(g, [p for _, p in items]) for g, items in groups], slots, timeout * 2, deadline)
    results: dict[int, dict] = {}
    again: list[int] = []
    by_rss = sorted(first, key=lambda g: -first[g].get("rss_mb", 0))[:2]
    for g, items in groups:
        r = first.get(g)
        if r is None:
            for i, _ in items:
                results[i] = {"outcome": "skipped", "detail": "budget", "secs": 0, "rss_mb": 0}
            continue
        if r["outcome"] != "ok" or g in by_rss or r["secs"] > timeout:
            again += [i for i, _ in items]
        for i, (_, rel) in items:
            f = r["files"].get(rel, {})
            results[i] = {
                "outcome": r["outcome"] if r["outcome"] != "ok" else "ok",
                "detail": r.get("detail", ""),
                "where": r.get("where", ""),
                "secs": r["secs"],
                "rss_mb": 0,
                "batch_rss_mb": r["rss_mb"],
                "leak": r.get("leak", False),
                **f,
            }
            if r["outcome"] == "ok" and not f:
                results[i].update(outcome="unledgered", detail="not in intake.csv")
    alone = _run_forked([(i, [paths[i]]) for i in again], slots, timeout, deadline + 10)
    for i in again:
        r = alone.get(i)
        if r is None:
            if results[i]["outcome"] != "ok":
                results[i]["detail"] += " (in a batch; not run alone: budget)"
            continue
        f = r["files"].get(paths[i][1], {})
        results[i] = {
            "outcome": r["outcome"],
            "detail": r.get("detail", ""),
            "where": r.get("where", ""),
            "secs": r["secs"],
            "rss_mb": r["rss_mb"],
            "leak": r.get("leak", False),
            **f,
        }
    return [{"index": i, "path": str(paths[i][0]), "rel": paths[i][1], **results[i]} for i in range(len(paths))]


def _err_tail(path: Path) -> str:
    """The line that says why a child died (a Rust allocation failure or panic), if any."""
    try:
        lines = path.read_text("utf-8", "replace").splitlines()
    except OSError:
        return ""
    keep = [x for x in lines if "memory allocation" in x or "panicked" in x or "Error" in x]
    return (keep[0] if keep else (lines[-1] if lines else "")).strip()[:200]


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in tb if "/hoctap/" in f.filename] or tb[-1:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-3:]))


def probe_findings(
    rep: Report,
    phase: str,
    results: list[dict],
    made_of: dict[str, str],
    expect: dict[str, int] | None = None,
) -> None:
    expect = expect or {}
    for r in results:
        what = made_of.get(r["rel"], "")
        rep.probes.append({"phase": phase, "made_of": what, **{k: v for k, v in r.items() if k != "path"}})
        rep.rss(r.get("rss_mb", 0), f"{r['rel']} ({what})")
        o = r["outcome"]
        if o == "exception":
            rep.add(
                phase,
                "crash",
                r["rel"],
                what,
                f"{r['detail']} at {r.get('where', '')}",
                r["rss_mb"],
            )
        elif o in ("signal", "died"):
            kind = "oom" if "ABRT" in r["detail"] or "KILL" in r["detail"] else "crash"
            rep.add(
                phase,
                kind,
                r["rel"],
                what,
                f"process died: {r['detail']} (cap {MEM_CAP >> 30} GB)",
                r["rss_mb"],
            )
        elif o == "timeout":
            rep.add(phase, "hang", r["rel"], what, r["detail"], r["rss_mb"])
        elif o == "unledgered":
            rep.add(phase, "unledgered", r["rel"], what, "clean_year gave it no intake row")
        else:
            if r.get("rss_mb", 0) > 500:
                rep.add(
                    phase,
                    "memory",
                    r["rel"],
                    what,
                    f"{r['rss_mb']:.0f} MB peak for one file",
                    r["rss_mb"],
                )
            if r.get("secs", 0) > 10 and o == "ok":
                rep.add(phase, "slow", r["rel"], what, f"{r['secs']:.1f} s for one file", r["rss_mb"])
            if r.get("leak"):
                rep.add(
                    phase,
                    "leak",
                    r["rel"],
                    what,
                    "the external entity's target appears in an output",
                )
            reason = r.get("reason", "")
            if r.get("status") == "rejected" and EXC_NAME.search(reason):
                rep.add(phase, "unclear-reason", r["rel"], what, repr(reason[:160]))
            n = expect.get(r["rel"])
            if (
                o == "ok"
                and n is not None
                and r.get("villages", 0) != n
                and not (r.get("status") == "rejected" and r.get("villages", 0) == 0)
            ):
                rep.add(
                    phase,
                    "rows-lost",
                    r["rel"],
                    what,
                    f"{r.get('villages')} of {n} village rows kept (status {r.get('status')})",
                )


# ---- phase 1: variants -------------------------------------------------------------------------


def _tables(pdir: Path) -> dict:
    import pandas as pd

    out = {}
    for name in ("schools", "villages", "orgs"):
        p = pdir / f"{name}.parquet"
        out[name] = pd.read_parquet(p) if p.is_file() else pd.DataFrame()
    return out


def _plain(x):
    import numpy as np
    import pandas as pd

    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    return x


def figure_diffs(pdir: Path, manifest: dict[str, V.Figures]) -> dict[str, list[str]]:
    """rel -> what the processed tables say differently from the file's figures."""
    tables = _tables(pdir)
    intake = {r["path"]: r for r in (read_intake(pdir) or [])}
    out: dict[str, list[str]] = {}
    for rel, f in manifest.items():
        d: list[str] = []
        row = intake.get(rel)
        if row is None:
            out[rel] = ["not in intake.csv"]
            continue
        if row["status"] != "accepted":
            d.append(f"status {row['status']}: {row['reason'][:150]}")
        if row["school_id"] != f.school_id:
            d.append(f"school_id {row['school_id']!r} != {f.school_id!r}")
        if row.get("n_errors") not in ("0", "", None):
            d.append(f"{row['n_errors']} error(s)")
        s = tables["schools"]
        s = s[s["source_path"] == rel] if len(s) else s
        if len(s) != 1:
            d.append(f"{len(s)} rows in schools.parquet")
        else:
            srow = s.iloc[0]
            if srow["commune_code"] != f.commune_code:
                d.append(f"commune_code {srow['commune_code']!r}")
            for k, v in f.unit.items():
                if _plain(srow[k]) != v:
                    d.append(f"unit.{k} {_plain(srow[k])!r} != {v!r}")
        exp = V.expected(f)
        for role, key in (("villages", "village_key"), ("orgs", "org_key")):
            t = tables[role]
            t = t[t["source_path"] == rel] if len(t) else t
            got = {r[key]: r for _, r in t.iterrows()}
            if set(got) != set(exp[role]):
                d.append(f"{role}: read {sorted(got)}, expected {sorted(exp[role])}")
            for k, want in exp[role].items():
                if k not in got:
                    continue
                r = got[k]
                if r["status"] != "used":
                    d.append(f"{role}[{k}] status {r['status']}")
                for col, v in want.items():
                    if _plain(r[col]) != v:
                        d.append(f"{role}[{k}].{col} {_plain(r[col])!r} != {v!r}")
        if d:
            out[rel] = d
    return out


def _indicator_rows(pdir: Path) -> list[str]:
    p = pdir / "indicators.csv"
    return sorted(p.read_text(encoding="utf-8").splitlines()[1:]) if p.is_file() else []


def phase_variants(rep: Report, work: Path, seed: int, deadline: float, n_schools: int, timeout: float) -> None:
    phase = "variants"
    data = workspace(work / "variants")
    year_dir = data / "raw" / str(YEAR)
    pdir = data / "processed" / str(YEAR)
    figs = V.all_figures(seed, n_schools)
    keep = work / "failures" / "variants"
    keep.mkdir(parents=True, exist_ok=True)

    def run_round(files: dict[str, tuple[Path, V.Figures, str]], prefix: str = "") -> tuple[list[str], dict]:
        before = hashes(year_dir)
        kinds = entries(year_dir)
        r = clean(data, timeout)
        rep.rss(r.rss_mb, f"hoctap clean ({phase}, {len(files)} files)")
        made_of = {rel: desc for rel, (_, _, desc) in files.items()}
        if r.rc != 0 or r.traceback or r.timed_out:
            rep.add(
                phase,
                "crash" if not r.timed_out else "hang",
                "hoctap clean",
                f"{len(files)} variants",
                f"rc={r.rc} signal={r.signal} {r.tail()}",
                r.rss_mb,
            )
            return [], {}
        ledger_findings(rep, phase, data, before, kinds, made_of)
        ri = indicators(data, timeout)
        if ri.rc != 0 or ri.traceback:
            rep.add(phase, "crash", "hoctap indicators", "", f"rc={ri.rc} {ri.tail()}", ri.rss_mb)
        diffs = figure_diffs(pdir, {rel: f for rel, (_, f, _) in files.items()})
        rc = check(data, [p for p, _, _ in files.values()], timeout)
        if rc.rc not in (0, 1) or rc.traceback or rc.timed_out:
            rep.add(
                phase,
                "crash",
                "hoctap check",
                f"{len(files)} variants",
                f"rc={rc.rc} {rc.tail()}",
                rc.rss_mb,
            )
        elif rc.rc == 1:
            for rel, errs in _check_errors(rc.stdout, files).items():
                rep.add(phase, prefix + "check-error", rel, made_of[rel], "; ".join(errs)[:300])
        return _indicator_rows(pdir), diffs

    # baseline: canonical xlsx files
    files = {}
    for f in figs:
        p = V.write_canonical(f, year_dir / f"{f.school_id}.xlsx")
        files[f"{YEAR}/{p.name}"] = (p, f, "xlsx canonical")
    base_ind, diffs = run_round(files)
    rep.files += len(files)
    for rel, d in diffs.items():
        rep.add(phase, "baseline-wrong", rel, "xlsx canonical", "; ".join(d)[:300])
    if not base_ind:
        rep.notes.append("variants: no baseline indicators; figures compared per file only")
    rng = random.Random(f"rounds|{seed}")
    rounds = 0
    changed = 0
    lo = V.soffice() is not None
    last = 0.0
    while time.monotonic() + last < deadline:  # a round is started only if it can end in time
        t_round = time.monotonic()
        for p in list(year_dir.iterdir()):
            p.unlink()
        files = {}
        to_convert: list[tuple[Path, V.Figures, str, str]] = []
        beyond = rounds == 0  # one round with the rewordings beyond the contract, reported apart
        prefix = "beyond-" if beyond else ""
        for f in figs:
            via_lo = lo and rng.random() < 0.2
            v = V.random_variant(rng, lo=via_lo)
            if beyond:
                v = V.Variant(v.features | set(V.BEYOND), v.fmt, v.seed)
            if via_lo:
                target = rng.choice(V.LO_TARGETS)
                src = V.write_variant(
                    f,
                    V.Variant(v.features, "xlsx", v.seed),
                    work / "lo-src" / f"{f.school_id}-{v.tag}.xlsx",
                )
                to_convert.append(
                    (
                        src,
                        f,
                        target,
                        f"LibreOffice xlsx->{target} of " + V.Variant(v.features, "xlsx", v.seed).describe(),
                    )
                )
                continue
            p = V.write_variant(f, v, year_dir / f"{f.school_id}-{v.tag}.{v.fmt}")
            files[f"{YEAR}/{p.name}"] = (p, f, v.describe())
        for target in V.LO_TARGETS:
            group = [t for t in to_convert if t[2] == target]
            outs = V.libreoffice_convert([g[0] for g in group], target, work / f"lo-{target}")
            for src, f, _, desc in group:
                conv = work / f"lo-{target}" / f"{src.stem}.{target}"
                if conv in outs:
                    dest = year_dir / f"{src.stem}-lo.{target}"
                    shutil.move(conv, dest)
                    files[f"{YEAR}/{dest.name}"] = (dest, f, desc)
                else:
                    rep.notes.append(f"LibreOffice did not convert {src.name} to {target}")
        ind, diffs = run_round(files, prefix)
        rounds += 1
        last = time.monotonic() - t_round
        rep.files += len(files)
        for rel, d in diffs.items():
            p, f, desc = files[rel]
            shutil.copy2(p, keep / p.name)
            rep.add(phase, prefix + "figures-changed", rel, desc, "; ".join(d)[:400])
        if base_ind and ind and ind != base_ind:
            changed += 0 if beyond else 1
            delta = sorted(set(ind) ^ set(base_ind))
            culprits = ", ".join(sorted(diffs)) or "no single file (see indicators.csv)"
            rep.add(
                phase,
                prefix + "indicators-changed",
                f"round {rounds}",
                culprits,
                f"{len(delta)} rows differ, e.g. {delta[:1]}",
            )
    rep.counts["variant_rounds"] = f"{rounds} (the first with the rewordings beyond the contract)"
    rep.counts["variant_rounds_contract"] = max(0, rounds - 1)
    rep.counts["variant_rounds_indicators_changed"] = changed
    rep.counts["libreoffice"] = "yes" if lo else "not installed"


def _left(deadline: float, floor: float, cap: float) -> float:
    """A subprocess timeout within the phase's deadline, never below ``floor`` seconds."""
    return max(floor, min(cap, deadline - time.monotonic()))


def _check_errors(stdout: str, files: dict) -> dict[str, list[str]]:
    by_path = {str(p): rel for rel, (p, _, _) in files.items()}
    out: dict[str, list[str]] = {}
    cur = None
    for line in stdout.splitlines():
        if line.startswith("== "):
            cur = by_path.get(line[3:].strip())
        elif cur and "[LỖI]" in line:
            out.setdefault(cur, []).append(line.strip()[:200])
    return out


# ---- phase 2: mutants --------------------------------------------------------------------------


def phase_mutants(rep: Report, work: Path, seed: int, deadline: float, timeout: float, n_random: int) -> None:
    phase = "mutants"
    figs = V.all_figures(seed, 3)
    data = workspace(work / "mutants")
    year_dir = data / "raw" / str(YEAR)
    mutants = M.all_mutants(figs, work / "bases", seed, n_random=n_random, secret_file=work / "secret.txt")
    made_of: dict[str, str] = {}
    paths: list[tuple[Path, str]] = []
    expect: dict[str, int] = {}
    for m in mutants:
        p = year_dir / m.rel
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            m.build(p)
        except Exception as exc:  # a writer refusing a value: not a finding of hoctap
            rep.notes.append(f"mutant not built: {m.rel} ({m.describe()}): {type(exc).__name__}: {exc}"[:200])
            continue
        rel = f"{YEAR}/{m.rel}"
        made_of[rel] = m.describe()
        paths.append((p, rel))
        if m.expect_rows is not None:
            expect[rel] = m.expect_rows
    rep.files += len(paths)
    rep.counts["mutants"] = len(paths)
    results = probe(paths, work / "probe", timeout=min(timeout, 25), deadline=deadline - 18)
    probe_findings(rep, phase, results, made_of, expect)
    rep.counts["mutants_probed"] = sum(r["outcome"] != "skipped" for r in results)
    # The whole folder through the CLI, without the files that kill a process alone (they would
    # only stop the run or hang its worker pool: the probe names them), then also without the
    # files that raised alone, if the first run failed.
    killers = {r["rel"] for r in results if r["outcome"] in ("signal", "died", "timeout")}
    raisers = {r["rel"] for r in results if r["outcome"] == "exception"}
    for attempt, hold in enumerate((killers, killers | raisers)):
        for rel in hold:
            src = data / "raw" / rel
            if src.exists() or src.is_symlink():
                dest = work / "held-out" / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(src, dest)
        before = hashes(year_dir)
        kinds = entries(year_dir)
        r = clean(data, _left(deadline, 15, timeout))
        rep.rss(r.rss_mb, f"hoctap clean ({phase}, {len(kinds)} files)")
        ok = r.rc == 0 and not r.traceback and not r.timed_out
        rep.counts[f"mutants_cli_clean_{attempt + 1}"] = (
            f"{len(kinds)} files (held out {len(hold)}): rc={r.rc} "
            f"{r.secs:.1f}s {r.rss_mb:.0f}MB" + ("" if ok else f" {r.tail(1)}")
        )
        if ok:
            by_path = ledger_findings(rep, phase, data, before, kinds, made_of)
            _row_findings(rep, phase, data, expect, by_path, made_of)
            removal_findings(rep, phase, data, seed, _left(deadline, 15, timeout))
            break
        rep.add(
            phase,
            "hang" if r.timed_out else "crash",
            "hoctap clean (mutant folder)",
            f"{len(kinds)} files, {len(hold)} held out",
            f"rc={r.rc} signal={r.signal} {r.tail(1)}",
            r.rss_mb,
        )
        if not raisers:
            break
    files = [p for p, rel in paths if (data / "raw" / rel).exists()]
    rc = check(data, files, _left(deadline, 15, timeout))
    rep.rss(rc.rss_mb, f"hoctap check ({phase}, {len(files)} files)")
    rep.counts["mutants_cli_check"] = f"rc={rc.rc} {rc.secs:.1f}s {rc.rss_mb:.0f}MB"
    if rc.rc not in (0, 1) or rc.traceback or rc.timed_out:
        rep.add(
            phase,
            "hang" if rc.timed_out else "crash",
            "hoctap check (mutant files)",
            f"{len(files)} files",
            f"rc={rc.rc} signal={rc.signal} {rc.tail()}",
            rc.rss_mb,
        )
    if M.SECRET_TOKEN in rc.stdout:
        rep.add(phase, "leak", "hoctap check", "", "the external entity's target is printed")


def _row_findings(rep: Report, phase: str, data: Path, expect: dict[str, int], by_path: dict, made_of: dict) -> None:
    import pandas as pd

    p = data / "processed" / str(YEAR) / "villages.parquet"
    villages = pd.read_parquet(p) if p.is_file() else pd.DataFrame(columns=["source_path"])
    counts = villages["source_path"].value_counts().to_dict()
    for rel, n in expect.items():
        row = by_path.get(rel)
        if row is None or (row["status"] == "rejected" and counts.get(rel, 0) == 0):
            continue  # a file rejected as a whole: its reason is in intake.csv
        if counts.get(rel, 0) != n:
            rep.add(
                phase,
                "rows-lost",
                rel,
                made_of.get(rel, ""),
                f"{counts.get(rel, 0)} of {n} village rows in villages.parquet (status {row['status']})",
            )
    out = data / "processed" / str(YEAR)
    for f in out.glob("*.csv"):
        if M.SECRET_TOKEN in f.read_text("utf-8", "replace"):
            rep.add(phase, "leak", str(f.name), "", "the external entity's target appears in the output")


# ---- phase 3: file-system oddities -------------------------------------------------------------

PERM_ENTRIES = ("fs/khoa.xlsx", "fs/khoa-dir")


def phase_fs(rep: Report, work: Path, seed: int, timeout: float) -> None:
    """Odd entries next to a normal workbook. As root, a second run with the unreadable entries
    only, without the capabilities that bypass file permissions (CAP_DAC_*), so that a 000 file
    really cannot be read."""
    figs = V.all_figures(seed, 2)
    good = V.write_canonical(figs[0], work / "fs-good" / "good.xlsx")
    everything = [
        os.fsdecode(m.rel) if isinstance(m.rel, bytes) else m.rel for m in M.fs_mutants(good, work / "outside")
    ]
    modes = [("root", everything), ("root-no-dac", list(PERM_ENTRIES))] if os.geteuid() == 0 else [("user", everything)]
    for mode, chosen in modes:
        phase = f"fs-{mode}"
        drop = mode == "root-no-dac"
        keep = set(chosen)
        for attempt in range(2):
            data, made_of = _fs_folder(rep, work / f"fs-{mode}", figs, good, keep)
            year_dir = data / "raw" / str(YEAR)
            before = hashes(year_dir)
            kinds = entries(year_dir, honour_perms=drop)
            if attempt == 0:
                rep.files += len(kinds)
            r = clean(data, timeout, drop_dac=drop)
            rep.rss(r.rss_mb, f"hoctap clean ({phase}, {len(kinds)} entries)")
            rep.counts[f"{phase}_clean_{attempt + 1}"] = f"rc={r.rc} {r.secs:.1f}s {r.rss_mb:.0f}MB"
            if r.rc == 0 and not r.traceback and not r.timed_out:
                if r.secs > 15:
                    rep.add(phase, "slow", "hoctap clean", f"{len(kinds)} entries", f"{r.secs:.1f} s")
                by_path = ledger_findings(rep, phase, data, before, kinds, made_of)
                for rel, row in by_path.items():
                    if "ra-ngoai" in rel and row["status"] == "accepted":
                        rep.notes.append(f"{phase}: {rel} (a symlink to a workbook outside raw/) was read and accepted")
                break
            rep.add(
                phase,
                "hang" if r.timed_out else "crash",
                "hoctap clean",
                f"{len(kinds)} entries" + (", without the entries that break it" if attempt else ""),
                f"rc={r.rc} signal={r.signal} {r.tail(1)}",
                r.rss_mb,
            )
            if attempt:
                break
            culprits = _bisect_fs(rep, work, figs, good, phase, drop, timeout, sorted(keep))
            if not culprits:
                break
            keep -= culprits


def _fs_folder(rep: Report, root: Path, figs, good: Path, keep: set[str]) -> tuple[Path, dict[str, str]]:
    """A year folder with one normal workbook and the fs mutants named in ``keep``."""
    data = workspace(root)
    year_dir = data / "raw" / str(YEAR)
    V.write_canonical(figs[1], year_dir / "binh-thuong.xlsx")
    made_of = {}
    for m in M.fs_mutants(good, root.parent / "outside"):
        rel = os.fsdecode(m.rel) if isinstance(m.rel, bytes) else m.rel
        if rel not in keep:
            continue
        p = year_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        try:
            m.build(p)
        except OSError as exc:
            rep.notes.append(f"fs entry not built: {rel!r}: {exc}")
            continue
        made_of[f"{YEAR}/{rel}"] = m.describe()
    return data, made_of


def _bisect_fs(
    rep: Report,
    work: Path,
    figs,
    good: Path,
    phase: str,
    drop: bool,
    timeout: float,
    chosen: list[str],
) -> set[str]:
    """The run failed: halve the entries until each failing one is alone (group testing)."""
    descs = {
        (os.fsdecode(m.rel) if isinstance(m.rel, bytes) else m.rel): m.describe()
        for m in M.fs_mutants(good, work / "outside")
    }
    culprits: set[str] = set()

    def fails(group: list[str]) -> Run | None:
        data, _ = _fs_folder(rep, work / "fs-one", figs, good, set(group))
        r = clean(data, min(timeout, 20), drop_dac=drop)
        return r if (r.rc != 0 or r.traceback or r.timed_out) else None

    def search(group: list[str], known: Run | None = None) -> None:
        r = known or fails(group)
        if r is None:
            return
        if len(group) == 1:
            culprits.add(group[0])
            rep.add(
                phase,
                "hang" if r.timed_out else "crash",
                f"{YEAR}/{group[0]}",
                descs.get(group[0], ""),
                f"clean with it alone: rc={r.rc} {r.tail(1)}",
                r.rss_mb,
            )
            return
        half = len(group) // 2
        search(group[:half])
        search(group[half:])

    search(chosen)
    return culprits


# ---- phase 4: a corpus of real files -------------------------------------------------------------


def phase_corpus(rep: Report, work: Path, corpus: Path, deadline: float, timeout: float) -> None:
    phase = "corpus"
    data = workspace(work / "corpus")
    year_dir = data / "raw" / str(YEAR)
    made_of = {}
    paths = []
    for src in sorted(p for p in corpus.rglob("*") if p.is_file()):
        rel_src = src.relative_to(corpus).as_posix()
        dest = year_dir / rel_src
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        rel = f"{YEAR}/{rel_src}"
        made_of[rel] = "corpus " + rel_src.split("/")[0]
        if dest.suffix.lower() in READABLE:
            paths.append((dest, rel))
            grafted = M.graft(src.read_bytes(), src.suffix)
            if grafted is not None:  # the same file with its sheets named DiaBan and ThongTin
                gdest = year_dir / "graft" / rel_src
                gdest.parent.mkdir(parents=True, exist_ok=True)
                gdest.write_bytes(grafted)
                grel = f"{YEAR}/graft/{rel_src}"
                made_of[grel] = f"corpus {rel_src.split('/')[0]}, sheets renamed DiaBan/ThongTin"
                paths.append((gdest, grel))
    rep.files += len(made_of)
    rep.counts["corpus_files"] = len(made_of)
    rep.counts["corpus_spreadsheets"] = len(paths)
    results = probe(paths, work / "probe-corpus", timeout=min(timeout, 30), deadline=deadline - 20)
    probe_findings(rep, phase, results, made_of)
    rep.counts["corpus_probed"] = sum(r["outcome"] != "skipped" for r in results)
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.get("status") or r["outcome"]] = statuses.get(r.get("status") or r["outcome"], 0) + 1
    rep.counts["corpus_statuses"] = statuses
    before = hashes(year_dir)
    kinds = entries(year_dir)
    r = clean(data, timeout * 3)
    rep.rss(r.rss_mb, f"hoctap clean ({phase}, {len(kinds)} files)")
    rep.counts["corpus_cli_clean"] = f"rc={r.rc} {r.secs:.1f}s {r.rss_mb:.0f}MB"
    if r.rc != 0 or r.traceback or r.timed_out:
        rep.add(
            phase,
            "hang" if r.timed_out else "crash",
            "hoctap clean (corpus)",
            f"{len(kinds)} files",
            f"rc={r.rc} signal={r.signal} {r.tail()}",
            r.rss_mb,
        )
    else:
        ledger_findings(rep, phase, data, before, kinds, made_of)
    rc = check(data, [p for p, _ in paths], timeout * 3)
    rep.counts["corpus_cli_check"] = f"rc={rc.rc} {rc.secs:.1f}s {rc.rss_mb:.0f}MB"
    if rc.rc not in (0, 1) or rc.traceback or rc.timed_out:
        rep.add(
            phase,
            "hang" if rc.timed_out else "crash",
            "hoctap check (corpus)",
            f"{len(paths)} files",
            f"rc={rc.rc} signal={rc.signal} {rc.tail()}",
            rc.rss_mb,
        )


# ---- main ----------------------------------------------------------------------------------


def summarize(rep: Report) -> str:
    kinds: dict[str, int] = {}
    for f in rep.findings:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    unledgered = kinds.get("unledgered", 0)
    crashes = kinds.get("crash", 0) + kinds.get("oom", 0)
    lines = [
        "KẾT QUẢ KIỂM THỬ ĐỐI KHÁNG (adversarial)",
        f"Tệp đã thử: {rep.files}",
        f"Lỗi sập (crash): {crashes}; treo (hang): {kinds.get('hang', 0)}",
        f"Mục không có trong intake.csv (unledgered): {unledgered}",
        "Tệp biến thể làm đổi số liệu (figures changed by variants): "
        f"{kinds.get('figures-changed', 0)}"
        f" (vòng làm đổi indicators.csv: {rep.counts.get('variant_rounds_indicators_changed', 0)}"
        f"/{rep.counts.get('variant_rounds_contract', 0)}); ngoài hợp đồng (beyond): "
        f"{kinds.get('beyond-figures-changed', 0)}",
        f"Bộ nhớ đỉnh lớn nhất: {rep.worst_rss[0]:.0f} MB ({rep.worst_rss[1]})",
        "Theo loại: " + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "không có"),
    ]
    for k, v in rep.counts.items():
        lines.append(f"  {k}: {v}")
    beyond = [f for f in rep.findings if f.kind.startswith("beyond-")]
    for f in rep.findings:
        if not f.kind.startswith("beyond-"):
            lines.append("  - " + f.line())
    if beyond:
        lines.append(f"  Ngoài hợp đồng (beyond the contract's variations): {len(beyond)} phát hiện, ví dụ:")
        lines += ["  - " + f.line() for f in beyond[:4]]
    for n in rep.notes[:40]:
        lines.append("  * " + n)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Kiểm thử đối kháng khâu tiếp nhận (hoctap clean/check)")
    ap.add_argument("--budget", type=float, default=110, help="giây cho toàn bộ lần chạy (mặc định 110)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workdir", default="/tmp/fuzz/run", help="thư mục tạm (bị xóa và tạo lại)")
    ap.add_argument("--schools", type=int, default=20, help="số trường mỗi vòng biến thể")
    ap.add_argument("--corpus", help="thư mục bảng tính thật của chương trình khác")
    ap.add_argument(
        "--phases",
        default="mutants,fs,variants",
        help="các phần chạy: mutants,fs,variants,corpus (variants chạy cuối, dùng thời gian còn lại)",
    )
    ap.add_argument("--random", type=int, default=6, help="số đột biến ngẫu nhiên mỗi tệp gốc")
    ap.add_argument("--strict", action="store_true", help="mã thoát 1 khi có phát hiện")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    end = t0 + args.budget
    work = Path(args.workdir)
    if work.exists():
        _force_rmtree(work)
    work.mkdir(parents=True)
    rep = Report()
    phases = [p for p in args.phases.split(",") if p]
    if args.corpus and "corpus" not in phases:
        phases.append("corpus")
    timeout = 60.0
    shares = {"variants": 0.25, "mutants": 0.55, "fs": 0.2, "corpus": 0.6}
    for ph in phases:
        left = end - time.monotonic()
        share = shares[ph] / sum(shares[p] for p in phases[phases.index(ph) :])
        deadline = time.monotonic() + max(5.0, left * share)
        t = time.monotonic()
        try:
            if ph == "variants":
                phase_variants(rep, work, args.seed, deadline, args.schools, timeout)
            elif ph == "mutants":
                phase_mutants(rep, work, args.seed, deadline, timeout, args.random)
            elif ph == "fs":
                phase_fs(rep, work, args.seed, min(timeout, 40))
            elif ph == "corpus":
                phase_corpus(rep, work, Path(args.corpus), deadline, timeout)
        except Exception as exc:  # the runner itself: say so, keep the other phases
            rep.notes.append(f"phase {ph} stopped: {type(exc).__name__}: {exc} at {_where(exc)}")
        rep.counts[f"secs_{ph}"] = round(time.monotonic() - t, 1)
    rep.counts["secs_total"] = round(time.monotonic() - t0, 1)
    text = summarize(rep)
    sys.stdout.reconfigure(errors="backslashreplace")
    print(text)
    (work / "report.json").write_text(
        json.dumps(
            {
                "counts": rep.counts,
                "worst_rss": rep.worst_rss,
                "findings": [asdict(f) for f in rep.findings],
                "notes": rep.notes,
                "probes": rep.probes,
            },
            ensure_ascii=False,
            indent=1,
            default=str,
        ),
        encoding="utf-8",
        errors="backslashreplace",
    )
    print(f"Chi tiết: {work / 'report.json'}")
    return 1 if args.strict and rep.findings else 0


if __name__ == "__main__":
    sys.exit(main())

"""The chain from raw workbooks to reports: the stages of ``hoctap.stages``, run through papermill.

Each stage is a notebook (``notebooks/``) run with parameters, or a library call (a period's
tables); the executed copy is kept next to the report it produced. A stage runs only when it is
stale (content hashes, never modification times: ``hoctap.stages``) or when forced. A failing
stage leaves its previous products whole and is recorded; the stages that read its products are
skipped, every other stage still runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from hoctap import io, programme, stages
from hoctap.catalog import PRODUCTS, Catalog
from hoctap.errors import HoctapError, InputError, NotebookError, failure_reason
from hoctap.execute import Kernel, execute_notebook
from hoctap.offload import Helper, Job
from hoctap.paths import Workspace
from hoctap.runlog import logged
from hoctap.stages import ANNUAL_NB, CLEAN_NB, INDICATORS_NB, PERIOD_NB, Stage
from hoctap.workers import Worker

Progress = Callable[[str], None] | None

__all__ = ["ANNUAL_NB", "CLEAN_NB", "INDICATORS_NB", "PERIOD_NB", "Build", "build", "execute_notebook", "status"]


def _say(progress: Progress, message: str) -> None:
    if progress:
        progress(message)


def _params(ws: Workspace, **extra) -> dict:
    return {"data_dir": str(ws.data_dir), "reports_dir": str(ws.reports_dir), **extra}


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


# ---- what each stage runs -----------------------------------------------------------------------


def _year_notebook(ws: Workspace, stage: Stage, progress: Progress) -> None:
    year = stage.params["year"]
    if stage.action == "clean" and not ws.raw(year).is_dir():
        raise InputError(f"chưa có thư mục dữ liệu {ws.raw(year)}", path=ws.raw(year))
    target = Catalog(ws).path("year_notebook", year=year, notebook=stage.notebook)
    execute_notebook(stage.notebook, target, _params(ws, year=year), progress)


def _prepare_annual(ws: Workspace, stage: Stage) -> None:
    if Catalog(ws).exists("annual_narrative", year=stage.params["year"]):
        return  # never overwritten; and a check needs no import of the report's code (0.7 s)
    from hoctap.report.annual import ensure_narrative

    ensure_narrative(ws, stage.params["year"])


def _annual(ws: Workspace, stage: Stage, progress: Progress) -> None:
    year, date = stage.params["year"], stage.params["report_date"]
    target = Catalog(ws).path("year_notebook", year=year, notebook=ANNUAL_NB)
    params = _params(ws, year=year, report_date=date)
    day = _date(date) or dt.date.today()
    with _helper() as helper:
        annex = helper.submit("hoctap.report.publish:annual_annex", ws, year, day)
        executed = _beside((ANNUAL_NB, target, params, progress), annex)
        from hoctap.report import publish

        t0 = time.perf_counter()
        files = publish.publish_annual(ws, year, executed, _date(date), annex.result(), helper)
    _say(progress, f"  HTML, PDF, Word, Excel: {time.perf_counter() - t0:.1f} giây")
    for path in files.values():
        _say(progress, f"  → {path}")


def _helper() -> Helper:
    """A report's helper (``hoctap.offload``), forked before this process's kernel thread is given
    anything (the one moment no other thread of it can hold a lock the child might need); the
    kernel then boots while the child writes the annex."""
    helper = Helper()
    kernel = Kernel.current()
    if kernel is not None:
        kernel.start()
    return helper


def _beside(notebook: tuple, annex: Job) -> Path:
    """A report's notebook run in its kernel (in the kernel's thread) while the report's annex
    (which never reads the document) is written and the renderers are imported; the executed
    notebook, once both are over (no file is written after the stage ends: its guard may be
    putting files back)."""
    kernel = Kernel.current()
    if kernel is None:
        return execute_notebook(*notebook)
    run = kernel.notebook(*notebook)
    try:
        import hoctap.report.publish  # noqa: F401  (needed once the notebook is over)

        annex.wait()
    except Exception:
        wait([run])
        raise
    return run.result()


def _period_keys(stage: Stage) -> dict:
    return {k: stage.params[k] for k in ("kind", "year_from", "year_to")}


def _period(ws: Workspace, stage: Stage, progress: Progress) -> None:
    from hoctap.analysis.periods import build_period

    geography = dt.date.fromisoformat(stage.params["geography_date"])
    _say(progress, f"  địa giới ngày {geography:%d/%m/%Y}")
    build_period(ws, **_period_keys(stage), geography_date=geography)


def _prepare_review(ws: Workspace, stage: Stage) -> None:
    if Catalog(ws).exists("period_narrative", **_period_keys(stage)):
        return
    from hoctap.report.period_sections import ensure_narrative

    ensure_narrative(ws, **_period_keys(stage))


def _review(ws: Workspace, stage: Stage, progress: Progress) -> None:
    keys, date = _period_keys(stage), stage.params["report_date"]
    target = Catalog(ws).path("period_notebook", **keys, notebook=PERIOD_NB)
    params = _params(ws, **keys, geography_date=stage.params["geography_date"], report_date=date)
    day = _date(date) or dt.date.today()
    with _helper() as helper:
        annex = helper.submit("hoctap.report.publish:period_annex", ws, *keys.values(), day)
        executed = _beside((PERIOD_NB, target, params, progress), annex)
        from hoctap.report import publish

        files = publish.publish_period(ws, *keys.values(), executed, _date(date), annex.result(), helper)
    for path in files.values():
        _say(progress, f"  → {path}")


ACTIONS = {
    "clean": _year_notebook,
    "indicators": _year_notebook,
    "annual": _annual,
    "period": _period,
    "review": _review,
}
# run before a stage is checked: a report's narrative file is created with placeholders (an input)
PREPARE = {"annual": _prepare_annual, "review": _prepare_review}


# ---- building what is stale ---------------------------------------------------------------------


@dataclass
class Outcome:
    """What became of one stage: built, up-to-date, failed or skipped (a stage it reads failed)."""

    stage: Stage
    status: str
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: BaseException | None = None


@dataclass
class Build:
    """The outcome of every stage of one run, in the order they were considered."""

    outcomes: list[Outcome]

    def keys(self, status: str) -> list[str]:
        return [o.stage.key for o in self.outcomes if o.status == status]

    @property
    def built(self) -> list[str]:
        return self.keys("built")

    @property
    def up_to_date(self) -> list[str]:
        return self.keys("up-to-date")

    @property
    def failed(self) -> list[str]:
        return self.keys("failed")

    @property
    def skipped(self) -> list[str]:
        return self.keys("skipped")

    def first_error(self) -> BaseException | None:
        return next((o.error for o in self.outcomes if o.error is not None), None)

    def summary(self) -> str:
        """One Vietnamese line: what failed first, then the counts."""
        done = f"{len(self.built)} bước đã lập, {len(self.up_to_date)} bước đã cập nhật từ trước"
        if not self.failed:
            return f"Xong: {done}."
        labels = [o.stage.label for o in self.outcomes if o.status == "failed"]
        skipped = f", {len(self.skipped)} bước bị bỏ qua vì phụ thuộc bước lỗi" if self.skipped else ""
        return (
            f"{len(labels)} bước bị lỗi ({', '.join(labels)}){skipped}; {done}; "
            "sản phẩm cũ của bước lỗi được giữ nguyên, xem `hoctap status`"
        )


def _keep_failed_notebook(ws: Workspace, stage: Stage, exc: NotebookError) -> NotebookError:
    """Move a failed run's notebook beside the stamp, so the previous one goes back in place."""
    failed = Path(str(exc.notebook or ""))
    if not failed.is_file() or failed not in stage.products:
        return exc
    target = Catalog(ws).path("stamp_failure", stage=stage.key)
    target.parent.mkdir(parents=True, exist_ok=True)
    io.publish(failed, target)
    return NotebookError(str(exc).replace(str(failed), str(target)), notebook=target, cell=exc.cell)


def _run(ws: Workspace, stage: Stage, progress: Progress, worker: Worker | None = None) -> None:
    """The stage's action, in ``worker`` or here, between the log and the guard of its products."""
    with logged(ws, "stage", stage=stage.key), stages.Guard(stage):
        try:
            if worker is None:
                ACTIONS[stage.action](ws, stage, progress)
            else:
                worker.run(ACTIONS[stage.action], ws, stage, progress)
        except NotebookError as exc:
            kept = _keep_failed_notebook(ws, stage, exc)
            if kept is exc:
                raise
            raise kept from exc


def default_jobs() -> int:
    """Stages run side by side: ``HOCTAP_JOBS``, else one per core up to two (each stage is a
    Python process and a kernel; past two the memory grows faster than the time falls)."""
    text = os.environ.get("HOCTAP_JOBS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return max(1, min(2, os.cpu_count() or 1))


def build(ws: Workspace, plan: list[Stage], force: bool = False, progress: Progress = None, jobs: int = 1) -> Build:
    """Run the stale stages of ``plan`` (every one when ``force``), ``jobs`` at a time, each as
    soon as the stages it reads are done; one failure never stops the run. ``force`` also
    empties the caches of charts and PDFs: everything is drawn and laid out again."""
    if force:
        for cache in ("chart_cache", "pdf_cache"):
            shutil.rmtree(Catalog(ws).path(cache), ignore_errors=True)
    if jobs > 1:
        outcomes = _Scheduler(ws, plan, force, progress, jobs).run()
    else:
        with Kernel() if Kernel.current() is None else contextlib.nullcontext():
            outcomes = _Scheduler(ws, plan, force, progress, 1).run()
    _ensure_index(ws, outcomes, rewrite=jobs > 1)
    return Build(outcomes)


# Which ready stage a free worker takes first: the chain every report waits for (each year's
# cleaning reads the year before), then the reviews (the longest stages), the annual reports last
# (nothing waits for them); stable, so years go in order.
FIRST = {"clean": 0, "indicators": 1, "period": 2, "review": 3, "annual": 4}


class _Scheduler:
    """Stages in dependency order; with ``jobs`` > 1, several at once in worker processes.

    Deciding stays in this process, in one thread: what is stale, what is skipped after a
    failure. Only running a stage (its log entry, guard, action and stamp) happens in a thread
    per worker.
    """

    def __init__(self, ws: Workspace, plan: list[Stage], force: bool, progress: Progress, jobs: int) -> None:
        self.ws, self.force, self.jobs = ws, force, jobs
        self.order = stages.ordered(plan)
        self.needs = stages.needs(self.order)
        self.done: dict[str, Outcome] = {}
        self.states: dict[str, stages.State] = {}  # stale stages, checked, waiting to run
        self.broken: dict[Path, str] = {}  # products of failed or skipped stages -> that stage's label
        self.lock = threading.Lock()
        self.progress = progress
        self.interrupted = False  # Ctrl+C: the stages cut short are neither failures nor recorded

    def say(self, lines: list[str]) -> None:
        if self.progress:
            with self.lock:
                for line in lines:
                    self.progress(line)

    def run(self) -> list[Outcome]:
        pending = list(self.order)
        if self.jobs == 1:
            for stage in pending:
                self._settle(stage, self._start(stage, None))
            return [self.done[s.key] for s in self.order]
        idle: list[Worker | None] = [None] * self.jobs  # started once a stage has to run
        running: dict[Future, tuple[Stage, Worker]] = {}
        try:
            with ThreadPoolExecutor(self.jobs, thread_name_prefix="hoctap-stage") as pool, self._on_interrupt(running):
                while pending or running:
                    ready = sorted(
                        (s for s in pending if self.needs[s.key] <= self.done.keys()),
                        key=lambda s: FIRST.get(s.action, len(FIRST)),
                    )
                    for stage in ready:
                        if not idle:
                            break
                        pending.remove(stage)
                        decided = self._decide(stage)
                        if decided is not None:
                            self._settle(stage, decided)
                            continue
                        if None in idle:  # the first stage to run: every worker starts (and warms up) now
                            idle = [w or Worker() for w in idle]
                        worker = idle.pop()
                        if not worker.alive:
                            worker.close()
                            worker = Worker()
                        running[pool.submit(self._execute, stage, worker)] = (stage, worker)
                    if not running:  # every ready stage was decided here; ordered() ruled out a cycle
                        continue
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        stage, worker = running.pop(future)
                        idle.append(worker)
                        self._settle(stage, future.result())
        finally:
            for worker in [*idle, *(w for _, w in running.values())]:
                if worker is not None:
                    worker.close()
        return [self.done[s.key] for s in self.order]

    @contextlib.contextmanager
    def _on_interrupt(self, running: dict[Future, tuple[Stage, Worker]]):
        """On Ctrl+C, the running stages' workers stopped at once: their threads then end (each
        stage's guard puts its products back) and the interrupt goes on to the command."""
        try:
            yield
        except KeyboardInterrupt:
            self.interrupted = True
            for _, worker in list(running.values()):
                worker.stop()
            raise

    def _decide(self, stage: Stage) -> Outcome | None:
        """Skipped or up to date, decided here; None when the stage has to run."""
        upstream = sorted({self.broken[p] for p in stage.reads() if p in self.broken})
        if upstream:
            why = f"bỏ qua vì bước {', '.join(upstream)} bị lỗi"
            self.say([f"{stage.label}: {why}"])
            return Outcome(stage, "skipped", [why])
        try:
            if stage.action in PREPARE:
                PREPARE[stage.action](self.ws, stage)
            state = stages.check(self.ws, stage)
        except Exception as exc:  # one bad stage never stops the run
            return self._failed(stage, exc, 0.0, None)
        if state.up_to_date and not self.force:
            self.say([f"{stage.label}: đã cập nhật"])
            return Outcome(stage, "up-to-date")
        self.states[stage.key] = state
        return None

    def _start(self, stage: Stage, worker: Worker | None) -> Outcome:
        decided = self._decide(stage)
        return decided if decided is not None else self._execute(stage, worker)

    def _execute(self, stage: Stage, worker: Worker | None) -> Outcome:
        state = self.states.pop(stage.key)
        reasons = ["lập lại theo yêu cầu (--force)"] if self.force else state.reasons
        self.say([f"{stage.label}: {reasons[0]}"])
        lines: list[str] = []  # side by side: a stage's progress is printed whole when it ends
        out = self.say_one if worker is None else lines.append
        t0 = time.perf_counter()
        try:
            _run(self.ws, stage, out, worker)
            stages.write_stamp(self.ws, stage, state.fingerprint, time.perf_counter() - t0)
            Catalog(self.ws).path("stamp_failure", stage=stage.key).unlink(missing_ok=True)  # an old failure's record
        except Exception as exc:  # one bad stage never stops the run
            if self.interrupted:
                return Outcome(stage, "interrupted", ["đã dừng theo yêu cầu"], time.perf_counter() - t0)
            return self._failed(stage, exc, time.perf_counter() - t0, lines if worker is not None else None)
        seconds = time.perf_counter() - t0
        done = f"xong sau {seconds:.1f} giây"
        self.say([f"{stage.label}: {done}", *lines] if worker is not None else [f"  {done}"])
        return Outcome(stage, "built", reasons, seconds)

    def say_one(self, line: str) -> None:
        self.say([line])

    def _failed(self, stage: Stage, exc: BaseException, seconds: float, lines: list[str] | None) -> Outcome:
        """``lines``: the progress of a stage run in a worker, printed under its label; None here."""
        reason = failure_reason(exc)
        self.say([f"{stage.label}: lỗi", *lines, f"  Lỗi: {reason}"] if lines is not None else [f"  Lỗi: {reason}"])
        stages.record_failure(self.ws, stage, reason)
        return Outcome(stage, "failed", [reason], seconds, exc)

    def _settle(self, stage: Stage, outcome: Outcome) -> None:
        self.done[stage.key] = outcome
        if outcome.status in ("failed", "skipped"):
            self.broken.update(dict.fromkeys(stage.writes(), stage.label))


def _ensure_index(ws: Workspace, outcomes: list[Outcome], rewrite: bool = False) -> None:
    """Each report rewrites the index when it is published; rewrite it here if it is missing, or
    after reports published side by side (each may have missed the other's)."""
    reports = [o for o in outcomes if o.stage.action in ("annual", "review") and o.status != "failed"]
    built = any(o.status == "built" for o in reports)
    if reports and (not Catalog(ws).exists("index") or (rewrite and built)):
        from hoctap.report.index import update_index

        update_index(ws)


# ---- plans --------------------------------------------------------------------------------------


def year_plan(ws: Workspace, year: int) -> list[Stage]:
    """Cleaning and indicators of a year with a raw folder; none for a year only processed."""
    if not ws.raw(year).is_dir():
        return []
    return [stages.clean_stage(ws, year), stages.indicators_stage(ws, year)]


def annual_plan(ws: Workspace, year: int, report_date: dt.date | None = None) -> list[Stage]:
    if not ws.raw(year).is_dir() and not Catalog(ws).exists("indicators", year=year):
        raise InputError(f"năm {year} chưa có số liệu: hãy đặt tệp vào {ws.raw(year)}", path=ws.raw(year))
    return [*year_plan(ws, year), stages.annual_stage(ws, year, report_date)]


def old_communes_date(ws: Workspace) -> dt.date:
    """The day before the latest change of commune_changes.csv: the communes "before the merger"."""
    from hoctap.reference import Reference

    effective = Reference(ws.reference_dir).changes["effective"].dropna()
    if not len(effective):
        raise HoctapError('commune_changes.csv không có thay đổi địa giới nào: không có "xã cũ" để trình bày')
    return max(effective) - dt.timedelta(days=1)


def period_plan(
    ws: Workspace,
    kind: str,
    year_from: int,
    year_to: int,
    geography_date: dt.date | None = None,
    old_communes: bool = False,
    report_date: dt.date | None = None,
) -> list[Stage]:
    """Each year of the period with raw data, the period's tables and its review."""
    from hoctap.analysis.periods import default_geography_date

    if kind not in programme.REVIEWS:
        raise HoctapError(f"loại báo cáo không hợp lệ: {kind}")
    if year_from > year_to:
        raise HoctapError(f"năm bắt đầu {year_from} sau năm kết thúc {year_to}")
    years = range(year_from, year_to + 1)
    cat = Catalog(ws)
    if not any(ws.raw(y).is_dir() or cat.exists("schools", year=y) for y in years):
        raise InputError(f"chưa có số liệu năm nào trong giai đoạn {year_from}-{year_to}")
    explicit = geography_date is not None or old_communes
    if old_communes:
        geography_date = old_communes_date(ws)
    geography_date = geography_date or default_geography_date(year_to)
    out = [s for y in years for s in year_plan(ws, y)]
    return out + stages.period_stages(ws, kind, year_from, year_to, geography_date, explicit, report_date)


def full_plan(ws: Workspace) -> list[Stage]:
    """Every year with raw data and its annual report, then the 5-year and 10-year reviews."""
    years = ws.raw_years()
    if not years:
        raise InputError(
            f"chưa có dữ liệu trong {ws.raw_root}; chạy `hoctap demo` để tạo dữ liệu mẫu",
            path=ws.raw_root,
        )
    out = [s for y in years for s in [*year_plan(ws, y), stages.annual_stage(ws, y)]]
    so_ket_from, so_ket_to = programme.REVIEWS[programme.SO_KET]
    if any(so_ket_from <= y <= so_ket_to for y in years):
        out += period_plan(ws, programme.SO_KET, so_ket_from, so_ket_to)[-2:]
    tong_ket_from, tong_ket_to = programme.REVIEWS[programme.TONG_KET]
    out += period_plan(ws, programme.TONG_KET, tong_ket_from, tong_ket_to)[-2:]
    return stages.ordered(out)


# ---- commands -----------------------------------------------------------------------------------


def _single(ws: Workspace, plan: list[Stage], force: bool, progress: Progress) -> Build:
    """One report's plan: its first failure ends the command, with that stage's own reason."""
    result = build(ws, plan, force, progress)
    error = result.first_error()
    if error is not None:
        raise error
    return result


def _files(ws: Workspace, report: str, **keys) -> dict[str, Path]:
    cat = Catalog(ws)
    return {**{role: cat.path(name, **keys) for role, name in PRODUCTS[report].items()}, "index": cat.path("index")}


def report_annual(
    ws: Workspace,
    year: int,
    report_date: dt.date | None = None,
    progress: Progress = None,
    force: bool = False,
) -> dict[str, Path]:
    """The annual report of ``year`` and the stale stages it reads; its files by role."""
    with logged(ws, "report annual", year=year) as entry:
        result = _single(ws, annual_plan(ws, year, report_date), force, progress)
        entry["built"] = result.built
        return _files(ws, "annual", year=year)


def report_period(
    ws: Workspace,
    kind: str,
    year_from: int,
    year_to: int,
    geography_date: dt.date | None = None,
    old_communes: bool = False,
    report_date: dt.date | None = None,
    progress: Progress = None,
    force: bool = False,
) -> dict[str, Path]:
    """A review (sơ kết, tổng kết) and the stale stages it reads; its files by role."""
    plan = period_plan(ws, kind, year_from, year_to, geography_date, old_communes, report_date)
    geography = plan[-1].params["geography_date"]
    with logged(ws, f"report {kind}", year_from=year_from, year_to=year_to, geography_date=geography) as entry:
        result = _single(ws, plan, force, progress)
        entry["built"] = result.built
        return _files(ws, "period", kind=kind, year_from=year_from, year_to=year_to)


def run_year(ws: Workspace, year: int, progress: Progress = None, force: bool = False) -> dict[str, Path]:
    """Clean, indicators and the annual report for one year, each only if stale (or ``force``)."""
    with logged(ws, "run", year=year) as entry:
        result = _single(ws, annual_plan(ws, year), force, progress)
        entry["built"] = result.built
        return _files(ws, "annual", year=year)


def run_all(ws: Workspace, progress: Progress = None, force: bool = False, jobs: int | None = None) -> Build:
    """Every stale stage of the full plan, ``jobs`` at a time (``default_jobs``); failures are
    in the returned Build (and the log)."""
    jobs = jobs or default_jobs()
    with logged(ws, "run --all", force=force, jobs=jobs) as entry:
        result = build(ws, full_plan(ws), force, progress, jobs)
        entry.update(built=result.built, failed=result.failed, skipped=result.skipped)
        if result.failed:  # the caller ends with the summary as its error
            entry["outcome"] = f"failed: {result.summary()}"
        else:
            _say(progress, result.summary())
        return result


def status(ws: Workspace) -> list[stages.State]:
    """Each stage of the full plan checked against its stamp; nothing is built or written."""
    return [stages.check(ws, stage) for stage in full_plan(ws)]

"""``evalkit run``: every unit of a year in parallel workers, with a progress bar, then the summary.

:func:`run_batch` plans the year (:mod:`evalkit.batch.plan`: the units, their inputs hash, which are
up to date), hands the units that changed to a pool of worker processes (:mod:`evalkit.batch.worker`:
one unit each time, in that worker's executor — ``warm``: a kept, prewarmed kernel reset between
units; ``fresh``: a new kernel per unit, see :mod:`evalkit.batch.executors`), then writes
``summary.xlsx`` and renders ``index.html`` from ``notebooks/summary.ipynb`` — in a worker too, so
the orchestrator never holds the year's results.

- Skip: a unit whose inputs hash as in its last successful result is not run again (``force`` runs
  it anyway); the summary is re-rendered only when a result, its notebook or the code changed.
- Failure isolation: a failing unit keeps its executed notebook in ``failed/<unit-id>.ipynb``,
  is listed in the index with its error, and the run reports failure after finishing the rest.
- Streaming: a few units are in flight per worker; outcomes come back as small records, never
  notebooks or HTML, so the orchestrator's memory does not grow with the number of units.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.batch.executors import (
    CELL_TIMEOUT,
    DEFAULT_EXECUTOR,
    EXECUTORS,
    RESTART_EVERY,
    ExecutorSpec,
    default_jobs,
)
from evalkit.batch.guard import (
    STAGING_PREFIX,
    Interrupted,
    check_year,
    children,
    end_children,
    end_processes,
    hold_signals,
    inside,
    mark_run,
    quiet_resource_tracker,
    reap_stale_runs,
    restore_signal,
    terminate_as_error,
    unmark_run,
)
from evalkit.batch.kernels import ensure_kernel
from evalkit.batch.plan import (
    FAILED_DIR,
    STATE_FILE,
    UnitTask,
    find_notebooks,
    is_unchanged,
    latest_year,
    plan_units,
    prune,
    summary_key,
    summary_up_to_date,
)
from evalkit.batch.worker import UnitOutcome, error_text, init_worker, run_unit, worker_executor, worker_unit
from evalkit.errors import EvalkitError
from evalkit.fileio import atomic_write_text

if TYPE_CHECKING:
    from evalkit.batch.executors import Executor

__all__ = ["RunResult", "render_summary", "run_batch", "summary_parameters"]

_IN_FLIGHT = 2  # units queued per worker: enough to keep it busy, few enough to stream


@dataclass
class RunResult:
    """The outcome of a whole run."""

    year: str
    out_dir: Path
    outcomes: list[UnitOutcome] = field(default_factory=list)
    index: Path | None = None
    summary_error: str = ""
    executor: str = DEFAULT_EXECUTOR
    jobs: int = 1
    units_seconds: float = 0.0  # wall time of the units' phase
    summary_seconds: float = 0.0  # wall time of index.html and summary.xlsx

    @property
    def failed(self) -> list[UnitOutcome]:
        """Units whose run failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every unit and the summary succeeded, else 1."""
        return 1 if self.failed or self.summary_error else 0


def run_batch(
    year: str | int | None = None,
    jobs: int | None = None,
    only: Iterable[str] = (),
    force: bool = False,
    profile: str | None = None,
    parameters: str | os.PathLike[str] = "parameters",
    outputs: str | os.PathLike[str] = "outputs",
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
    executor: str = DEFAULT_EXECUTOR,
    restart_every: int = RESTART_EVERY,
    timeout: float | None = CELL_TIMEOUT,
    scheduler: str | None = None,
) -> RunResult:
    """Run the review notebook for every unit of a year and write the index; see the module doc.

    ``executor`` is ``warm`` (kept kernels, restarted every ``restart_every`` units) or ``fresh``
    (a new kernel per unit); ``timeout`` bounds each notebook cell in seconds (None: no bound).
    ``scheduler``: a Dask scheduler address, or ``local`` for a LocalCluster of ``jobs`` workers
    (see :mod:`evalkit.batch.cluster`); None runs the local process pool.
    """
    from tqdm import tqdm

    say = echo or (lambda _msg: None)
    params = Path(parameters)
    year = check_year(str(year)) if year else latest_year(params)
    if not (params / year).is_dir():
        raise FileNotFoundError(f"找不到年度文件夹 {params / year}")
    inside(params, params / year, "年度文件夹")
    # Absolute from here on: kernels run with their own working folder (notebooks/, the unit's
    # outputs), where a relative path like the default "outputs/2024" would point elsewhere.
    # Resolved and checked: every file this run writes or deletes is inside outputs/<year>.
    outputs_root = Path(outputs).resolve()
    out_dir = outputs_root / year
    if out_dir.is_symlink() or out_dir.exists():
        out_dir = inside(outputs_root, out_dir, "输出文件夹")
    out_dir.mkdir(parents=True, exist_ok=True)
    removed, ended = reap_stale_runs(out_dir)  # an earlier run killed with SIGKILL
    if removed or ended:
        say(f"清理了上次被强行终止的运行：{removed}个临时文件夹，{ended}个残留进程")
    root = params.resolve().parent
    notebooks = find_notebooks(root)
    kernel_name = ensure_kernel()
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; one of {', '.join(EXECUTORS)}")
    spec = ExecutorSpec(executor, kernel_name, max(1, restart_every), timeout)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    result = RunResult(year=year, out_dir=out_dir, executor=executor)
    order: dict[str, int] = {}
    pending = 0
    old_term = terminate_as_error()  # SIGTERM unwinds like Ctrl-C: workers, kernels, staging cleaned
    zyg: Any = None
    try:
        mark_run(staging)
        # The kernel runs in notebooks/, as in JupyterLab (and no project folder shadows evalkit).
        tasks = plan_units(
            params, out_dir, year, profile, notebooks / "review.ipynb", staging, kernel_name, notebooks, only
        )
        order = {t.unit_id: i for i, t in enumerate(tasks)}
        if not only:
            prune(out_dir, set(order))
        todo = deque(t for t in tasks if force or not is_unchanged(t))
        running = {t.unit_id for t in todo}
        result.outcomes += [UnitOutcome(t.unit_id, "skipped") for t in tasks if t.unit_id not in running]
        del tasks, running  # from here on a task lives until it is handed to a worker
        skipped = len(result.outcomes)
        if skipped:
            say(f"跳过{skipped}个输入未变的单位（--force 可强制重跑）")
        pending = len(todo)
        # Kernels forked from one preloaded process (evalkit.batch.zygote) when there are units
        # to run; it imports while the workers start. After mark_run: its kernels carry the tag.
        if todo and not scheduler:
            from evalkit.batch.zygote import Zygote

            zyg = Zygote.for_this_process()  # inherited by the pool's workers
        cluster = _open_cluster(scheduler, jobs, params, out_dir, notebooks, spec) if scheduler else None
        workers = cluster.slots if cluster else max(1, min(jobs or default_jobs(), len(todo) or 1))
        result.jobs = workers
        bar = tqdm(total=len(todo), desc=f"{year}年度复核", unit="个单位", disable=not progress or not todo)
        started = time.perf_counter()
        try:
            if cluster is not None:
                _run_cluster(
                    cluster, todo, workers, result, bar, out_dir, year, notebooks, staging, force, started
                )
            elif workers == 1 or not todo:
                _run_here(todo, spec, result, bar, out_dir, year, notebooks, staging, force, started)
            else:
                _run_pool(todo, spec, workers, result, bar, out_dir, year, notebooks, staging, force, started)
        finally:
            bar.close()
            if cluster is not None:
                cluster.close()
    except KeyboardInterrupt:
        hold_signals()  # a second Ctrl-C must not cut the cleanup short
        end_children()
        done = sum(1 for o in result.outcomes if o.status == "ok")
        raise Interrupted(done, pending) from None
    finally:
        if zyg is not None:
            zyg.close()
        unmark_run()
        shutil.rmtree(staging, ignore_errors=True)
        restore_signal(old_term)
    result.outcomes.sort(key=lambda o: order.get(o.unit_id, 0))
    return result


def summary_parameters(out_dir: Path, year: str) -> dict[str, Any]:
    """The parameters injected into ``summary.ipynb``."""
    return {"results": str(out_dir), "year": int(year) if year.isdigit() else 0, "interactive": False}


def render_summary(
    out_dir: Path, year: str, notebooks: Path, staging: Path, executor: Executor, key: str
) -> Path:
    """Write ``summary.xlsx`` and render ``index.html`` with ``executor``; records ``key``."""
    from evalkit.report import index as summary
    from evalkit.report.render import notebook_to_html

    index = out_dir / "index.html"
    from evalkit.report.workpaper import write_year_deliverables

    results = summary.load_results(out_dir)
    summary.write_excel(results, out_dir / "summary.xlsx")
    write_year_deliverables(results, out_dir, year)  # 复核底稿.xlsx and word/汇总.docx
    del results
    executed = staging / "summary.ipynb"
    failed_nb = out_dir / FAILED_DIR / "summary.ipynb"
    try:
        nb = executor.execute(
            notebooks / "summary.ipynb", executed, summary_parameters(out_dir.resolve(), year), out_dir
        )
    except Exception:
        if executed.is_file():
            failed_nb.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(executed), failed_nb)
        raise
    atomic_write_text(index, notebook_to_html(nb, f"{year}年度预算绩效自评复核汇总"))
    atomic_write_text(out_dir / STATE_FILE, key)
    failed_nb.unlink(missing_ok=True)
    return index


def _worker_summary(out_dir: Path, year: str, notebooks: Path, staging: Path, key: str) -> Path:
    return render_summary(out_dir, year, notebooks, staging, worker_executor(), key)


def _drain(todo: deque[UnitTask]) -> Iterator[UnitTask]:
    # Hands the tasks out and forgets them: the orchestrator holds only those not yet started.
    while todo:
        yield todo.popleft()


def _summarize(
    result: RunResult,
    out_dir: Path,
    year: str,
    notebooks: Path,
    force: bool,
    render: Callable[[str], Path],
) -> None:
    started = time.perf_counter()
    try:
        key = summary_key(out_dir, notebooks)
        index = out_dir / "index.html"
        result.index = index if not force and summary_up_to_date(out_dir, key) else render(key)
    except Exception as exc:
        result.summary_error = error_text(exc)
    result.summary_seconds = time.perf_counter() - started


def _run_here(
    todo: deque[UnitTask],
    spec: ExecutorSpec,
    result: RunResult,
    bar: Any,
    out_dir: Path,
    year: str,
    notebooks: Path,
    staging: Path,
    force: bool,
    started: float,
) -> None:
    # One worker: no process pool to spawn; the executor (and its kernel) lives in this process.
    executor: Executor | None = None
    try:
        if todo:
            executor = spec.create()
        for task in _drain(todo):
            assert executor is not None
            result.outcomes.append(_tick(bar, run_unit(task, executor)))
        result.units_seconds = time.perf_counter() - started

        def render(key: str) -> Path:
            nonlocal executor
            executor = executor or spec.create()
            return render_summary(out_dir, year, notebooks, staging, executor, key)

        _summarize(result, out_dir, year, notebooks, force, render)
    finally:
        if executor is not None:
            executor.close()


def _run_pool(
    todo: deque[UnitTask],
    spec: ExecutorSpec,
    workers: int,
    result: RunResult,
    bar: Any,
    out_dir: Path,
    year: str,
    notebooks: Path,
    staging: Path,
    force: bool,
    started: float,
) -> None:
    import multiprocessing

    # spawn: the parent holds threads (tqdm's monitor), which fork would copy unsafely.
    ctx = multiprocessing.get_context("spawn")
    quiet_resource_tracker()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=(spec, notebooks.resolve())
    )
    try:
        for outcome in _stream(pool, _drain(todo), workers * _IN_FLIGHT):
            result.outcomes.append(_tick(bar, outcome))
        result.units_seconds = time.perf_counter() - started
        # The summary reads every result: a worker does it, so this process stays small.
        _summarize(
            result,
            out_dir,
            year,
            notebooks,
            force,
            lambda key: pool.submit(_worker_summary, out_dir, year, notebooks, staging, key).result(),
        )
    except BaseException:
        hold_signals()
        # End the workers now (each ends its kernel on SIGTERM) instead of waiting for their
        # units: an interrupted run must stop, and a rerun continues where it stopped. No join:
        # the pool's queues may hold data for workers that are gone.
        end_processes(_workers())
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _workers() -> list[Any]:
    # The pool's workers are this process's children (their kernels are grandchildren).
    return children(recursive=False)


def _open_cluster(
    scheduler: str, jobs: int | None, params: Path, out_dir: Path, notebooks: Path, spec: ExecutorSpec
) -> Any:
    # Imported here: a local run must not import Dask.
    try:
        from evalkit.batch.cluster import ClusterRun, check_paths, connect
    except ImportError as exc:
        raise EvalkitError(f"--scheduler 需要 Dask（pip install 'evalkit[dask]'）：{exc}") from exc

    client = connect(scheduler, jobs or default_jobs())
    try:
        check_paths(client, params, out_dir, notebooks)
        return ClusterRun(client, spec, notebooks)
    except BaseException:
        client.close()
        raise


def _run_cluster(
    cluster: Any,
    todo: deque[UnitTask],
    workers: int,
    result: RunResult,
    bar: Any,
    out_dir: Path,
    year: str,
    notebooks: Path,
    staging: Path,
    force: bool,
    started: float,
) -> None:
    per_task = cluster.units_per_task(len(todo))
    for outcome in cluster.outcomes(_drain(todo), workers * _IN_FLIGHT, per_task):
        result.outcomes.append(_tick(bar, outcome))
    result.units_seconds = time.perf_counter() - started

    def render(key: str) -> Path:
        return cluster.summary(
            lambda executor: render_summary(out_dir, year, notebooks, staging, executor, key)
        )

    _summarize(result, out_dir, year, notebooks, force, render)


def _stream(pool: ProcessPoolExecutor, tasks: Iterator[UnitTask], window: int) -> Iterator[UnitOutcome]:
    """Outcomes as units finish, with at most ``window`` submitted and not yet reported."""
    pending: set[Future[UnitOutcome]] = {pool.submit(worker_unit, t) for t in islice(tasks, window)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            yield fut.result()
            task = next(tasks, None)
            if task is not None:
                pending.add(pool.submit(worker_unit, task))


def _tick(bar: Any, outcome: UnitOutcome) -> UnitOutcome:
    bar.update(1)
    if outcome.status == "failed":
        bar.write(f"✗ {outcome.unit_id}：{outcome.error}")
    return outcome

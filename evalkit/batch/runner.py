"""``evalkit run``: execute ``notebooks/review.ipynb`` per unit, render offline HTML.

For each unit of ``parameters/<year>/`` the review notebook runs in parallel worker processes, each
with an executor of :mod:`evalkit.batch.executors` (``warm``: a kept, prewarmed kernel reset between
units; ``fresh``: papermill with a new kernel per unit), writes the unit's result JSON, and is
rendered by :mod:`evalkit.report.render` to ``outputs/<year>/<unit-id>.html``. Then
``notebooks/summary.ipynb`` renders ``index.html`` from the results, and ``summary.xlsx`` is
written — in a worker too, so the orchestrator never holds the year's results.

- Skip: a unit whose inputs (filing, decisions, profile, notebook, template, evalkit version and
  code) hash as in its last successful result is not run again (``force`` runs it anyway).
- Failure isolation: a failing unit keeps its executed notebook in ``failed/<unit-id>.ipynb``,
  is listed in the index with its error, and the run reports failure after finishing the rest.
- Atomic outputs: reports and results are written to a temporary file and renamed; the result
  (which carries the input hash) is written last, so an interrupted run is simply re-run.
- Streaming: a few units are in flight per worker; outcomes come back as small records, never
  notebooks or HTML, so the orchestrator's memory does not grow with the number of units.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit import __version__
from evalkit.batch.executors import (
    CELL_TIMEOUT,
    DEFAULT_EXECUTOR,
    EXECUTORS,
    RESTART_EVERY,
    ExecutorSpec,
    default_jobs,
)
from evalkit.batch.kernels import KERNEL_NAME, ensure_kernel
from evalkit.fileio import atomic_write_text

if TYPE_CHECKING:
    from evalkit.batch.executors import Executor

__all__ = ["KERNEL_NAME", "RunResult", "UnitOutcome", "UnitTask", "ensure_kernel", "run_batch"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
FAILED_DIR = "failed"
SUMMARY_ID = "summary"
_STATE_FILE = ".summary-inputs"
_IN_FLIGHT = 2  # units queued per worker: enough to keep it busy, few enough to stream


@dataclass(frozen=True)
class UnitTask:
    """One unit to run: everything a worker process needs (picklable)."""

    unit_id: str
    filing: Path
    decisions: Path | None
    profile: str
    notebook: Path
    out_dir: Path
    staging: Path
    inputs_hash: str
    cwd: Path
    kernel_name: str
    year: str


@dataclass
class UnitOutcome:
    """What happened to one unit (small: the orchestrator keeps one per unit)."""

    unit_id: str
    status: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    error: str = ""
    report: str = ""  # the report's file name, in RunResult.out_dir
    start_retries: int = 0  # kernel starts that failed (a port race, …) and were retried
    reruns: int = 0  # runs repeated because the kernel died


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


# --------------------------------------------------------------------------------------- inputs
def find_notebooks(root: Path) -> Path:
    """The notebooks folder: ``<root>/notebooks`` if it has the review notebook, else the checkout's."""
    for folder in (root / "notebooks", PACKAGE_DIR.parent / "notebooks"):
        if (folder / "review.ipynb").is_file():
            return folder
    raise FileNotFoundError("找不到 notebooks/review.ipynb（请在项目根目录运行 evalkit run）")


def code_fingerprint(package_dir: Path = PACKAGE_DIR) -> str:
    """A hash of evalkit's version, source files and templates: what the reports were made by.

    The version alone would miss a fix made in an editable install without a version bump.
    """
    h = hashlib.sha256(__version__.encode())
    for f in sorted(package_dir.rglob("*")):
        if f.is_file() and f.suffix in (".py", ".j2", ".css", ".json") and "__pycache__" not in f.parts:
            h.update(f.relative_to(package_dir).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def profile_fingerprint(profile: str | None) -> str:
    """The profile as scoring sees it (after ``extends``), so a change to a parent counts too."""
    from evalkit.scoring.profiles import load_profile

    return load_profile(profile).model_dump_json(exclude={"source"})  # not where the file lies


def inputs_hash(filing: Path, decisions: Path | None, profile_fp: str, notebook: Path, code_fp: str) -> str:
    """The skip key of a unit: its filing, decisions, profile, notebook and the evalkit code."""
    h = hashlib.sha256()
    for part in (
        filing.read_bytes(),
        decisions.read_bytes() if decisions and decisions.is_file() else b"",
        profile_fp.encode(),
        notebook.read_bytes(),
        code_fp.encode(),
    ):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def unit_parameters(task: UnitTask, result_json: Path) -> dict[str, Any]:
    """The parameters injected into ``review.ipynb`` (names and types of its ``parameters`` cell)."""
    return {
        "unit": str(task.filing),
        "profile": task.profile,
        "decisions": str(task.decisions) if task.decisions else "",
        "result_json": str(result_json),
        "interactive": False,
    }


def summary_parameters(out_dir: Path, year: str) -> dict[str, Any]:
    """The parameters injected into ``summary.ipynb``."""
    return {"results": str(out_dir), "year": int(year) if year.isdigit() else 0, "interactive": False}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _unchanged(task: UnitTask) -> bool:
    doc = _read_json(task.out_dir / f"{task.unit_id}.json")
    if not doc or doc.get("run", {}).get("status") != "ok":
        return False
    return (
        doc["run"].get("inputs_hash") == task.inputs_hash
        and (task.out_dir / f"{task.unit_id}.html").is_file()
    )


def _unit_files(folder: Path) -> list[Path]:
    # As evalkit.workbench.editor.units_in, without importing the widget stack into the orchestrator.
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.glob("*.yaml") if not f.name.endswith(".review.yaml"))


# --------------------------------------------------------------------------------------- worker
def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        evalue = str(getattr(exc, "evalue", "")).strip()
        cell = getattr(exc, "exec_count", None)
        where = f"（第{cell}个执行单元）" if cell else ""
        return f"运行失败{where}：{ename}：{evalue}"
    return f"运行失败：{type(exc).__name__}：{str(exc).strip()}"


def execute_notebook(
    notebook: Path, output: Path, parameters: dict[str, Any], kernel_name: str, cwd: Path
) -> Any:
    """Run a notebook with papermill in a fresh kernel; the executed notebook is saved to ``output``."""
    import papermill as pm

    return pm.execute_notebook(
        str(notebook),
        str(output),
        parameters=parameters,
        kernel_name=kernel_name,
        progress_bar=False,
        log_output=False,
        request_save_on_cell_execute=False,
        cwd=str(cwd),
    )


def run_unit(task: UnitTask, executor: Executor | None = None) -> UnitOutcome:
    """Execute and render one unit; never raises for a unit's own failure.

    ``executor`` runs the notebook (a worker's own; without one, a fresh kernel for this unit).
    """
    from evalkit.report.render import notebook_to_html

    if executor is None:
        with ExecutorSpec("fresh", task.kernel_name).create() as own:
            return run_unit(task, own)
    started = time.perf_counter()
    stats = (executor.stats.start_retries, executor.stats.reruns)
    executed = task.staging / f"{task.unit_id}.ipynb"
    result_json = task.staging / f"{task.unit_id}.json"
    html_path = task.out_dir / f"{task.unit_id}.html"
    failed_nb = task.out_dir / FAILED_DIR / f"{task.unit_id}.ipynb"

    def retries() -> dict[str, int]:
        return {
            "start_retries": executor.stats.start_retries - stats[0],
            "reruns": executor.stats.reruns - stats[1],
        }

    try:
        nb = executor.execute(task.notebook, executed, unit_parameters(task, result_json), task.cwd)
        doc = _read_json(result_json)
        if doc is None:
            raise RuntimeError("笔记本没有写出结果 JSON（result_json）")
        html = notebook_to_html(nb, f"{doc.get('unit') or task.unit_id} · 预算绩效自评复核报告")
        del nb  # a worker holds one unit at a time
        atomic_write_text(html_path, html)
        seconds = time.perf_counter() - started
        doc["run"].update(
            unit_id=task.unit_id,
            year=task.year,
            status="ok",
            report=html_path.name,
            filing=task.filing.name,
            decisions=task.decisions.name if task.decisions else "",
            inputs_hash=task.inputs_hash,
            seconds=round(seconds, 2),
            generated=datetime.now().astimezone().isoformat(timespec="seconds"),
            evalkit_version=__version__,
        )
        # Written last: its hash marks the unit done, so an interruption before it means a re-run.
        atomic_write_text(
            task.out_dir / f"{task.unit_id}.json", json.dumps(doc, ensure_ascii=False, indent=1)
        )
        failed_nb.unlink(missing_ok=True)
        # Staged files of a finished unit: a large year must not pile them up until the end.
        executed.unlink(missing_ok=True)
        result_json.unlink(missing_ok=True)
        return UnitOutcome(task.unit_id, "ok", seconds, report=html_path.name, **retries())
    except Exception as exc:  # a unit's failure must not stop the others
        # The index travels (a share, a zip): name the filing, not this machine's folders.
        error = _error_text(exc).replace(str(task.filing), task.filing.name)
        if executed.is_file():
            failed_nb.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(executed), failed_nb)
        result_json.unlink(missing_ok=True)
        # The old report would show scores the current inputs no longer give.
        html_path.unlink(missing_ok=True)
        doc = {
            "unit": task.unit_id,
            "year": int(task.year) if task.year.isdigit() else None,
            "run": {
                "unit_id": task.unit_id,
                "year": task.year,
                "status": "failed",
                "error": error,
                "report": f"{FAILED_DIR}/{failed_nb.name}" if failed_nb.is_file() else "",
                "filing": task.filing.name,
                "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
                "evalkit_version": __version__,
            },
        }
        atomic_write_text(
            task.out_dir / f"{task.unit_id}.json", json.dumps(doc, ensure_ascii=False, indent=1)
        )
        return UnitOutcome(task.unit_id, "failed", time.perf_counter() - started, error=error, **retries())


# Each worker process builds one executor (and so keeps one warm kernel) for all its units.
_WORKER_EXECUTOR: Executor | None = None


def _init_worker(spec: ExecutorSpec, cwd: Path) -> None:
    global _WORKER_EXECUTOR
    _WORKER_EXECUTOR = spec.create()
    # The pool ends its workers with a normal interpreter exit: atexit stops the kernel.
    atexit.register(_WORKER_EXECUTOR.close)
    _WORKER_EXECUTOR.start(cwd)


def _worker_unit(task: UnitTask) -> UnitOutcome:
    return run_unit(task, _WORKER_EXECUTOR)


def _worker_summary(out_dir: Path, year: str, notebooks: Path, staging: Path, key: str) -> Path:
    assert _WORKER_EXECUTOR is not None
    return render_summary(out_dir, year, notebooks, staging, _WORKER_EXECUTOR, key)


# --------------------------------------------------------------------------------------- run
def latest_year(parameters: Path) -> str:
    """The latest year folder of ``parameters/``."""
    years = sorted((d.name for d in parameters.iterdir() if d.is_dir() and d.name.isdigit()), reverse=True)
    if not years:
        raise FileNotFoundError(f"{parameters} 下没有年度文件夹（如 parameters/2024/）")
    return years[0]


def plan(
    parameters: Path,
    out_dir: Path,
    year: str,
    profile: str | None,
    notebook: Path,
    staging: Path,
    kernel_name: str,
    cwd: Path,
    only: Iterable[str] = (),
) -> list[UnitTask]:
    """The tasks of a year: one per ``parameters/<year>/<unit-id>.yaml`` (filtered by ``only``)."""
    wanted = {u.removesuffix(".yaml") for u in only}
    files = _unit_files(parameters / year)
    if wanted:
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise FileNotFoundError(f"{parameters / year} 中没有这些单位：{'、'.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]
    profile = _resolve_profile(profile, parameters)
    code_fp = code_fingerprint()
    profile_fp = profile_fingerprint(profile)
    # One Path object each, shared by every task: a province's tasks stay small in memory.
    nb_path, out_path, staging_path, cwd_path = (p.resolve() for p in (notebook, out_dir, staging, cwd))
    tasks = []
    for f in files:
        decisions = f.with_suffix(".review.yaml")
        decisions_or_none = decisions.resolve() if decisions.is_file() else None
        tasks.append(
            UnitTask(
                unit_id=f.stem,
                filing=f.resolve(),
                decisions=decisions_or_none,
                profile=profile,
                notebook=nb_path,
                out_dir=out_path,
                staging=staging_path,
                inputs_hash=inputs_hash(f, decisions_or_none, profile_fp, notebook, code_fp),
                cwd=cwd_path,
                kernel_name=kernel_name,
                year=year,
            )
        )
    return tasks


def _resolve_profile(profile: str | None, parameters: Path) -> str:
    # The kernel runs in notebooks/ (as in JupyterLab), where a bare profile name would not find
    # this project's parameters/profiles/: hand it the file the runner itself would use.
    from evalkit.scoring.profiles import DEFAULT_PROFILE

    name = profile or DEFAULT_PROFILE
    for suffix in (".yaml", ".yml"):
        candidate = parameters / "profiles" / f"{name}{suffix}"
        if "/" not in name and candidate.is_file():
            return str(candidate.resolve())
    return str(Path(name).resolve()) if Path(name).is_file() else name


def _result_names(out_dir: Path) -> list[str]:
    # File names, not Path objects: a year of thousands of results stays small.
    with os.scandir(out_dir) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".json") and e.is_file())


def _prune(out_dir: Path, keep: set[str]) -> None:
    # Results of units no longer in parameters/ would haunt the index: remove them (full runs only).
    for name in _result_names(out_dir):
        stem = name.removesuffix(".json")
        if stem not in keep:
            (out_dir / name).unlink(missing_ok=True)
            (out_dir / f"{stem}.html").unlink(missing_ok=True)
            (out_dir / FAILED_DIR / f"{stem}.ipynb").unlink(missing_ok=True)


def summary_key(out_dir: Path, notebooks: Path) -> str:
    """What ``index.html`` is made from: the code, the summary notebook and every unit result."""
    h = hashlib.sha256(code_fingerprint().encode())
    h.update((notebooks / "summary.ipynb").read_bytes())
    for name in _result_names(out_dir):  # one file at a time: memory does not grow with units
        h.update(name.encode())
        h.update((out_dir / name).read_bytes())
    return h.hexdigest()


def summary_up_to_date(out_dir: Path, key: str) -> bool:
    """True when ``index.html`` and ``summary.xlsx`` were made from exactly these inputs."""
    state = out_dir / _STATE_FILE
    return (
        (out_dir / "index.html").is_file()
        and (out_dir / "summary.xlsx").is_file()
        and state.is_file()
        and state.read_text() == key
    )


def render_summary(
    out_dir: Path, year: str, notebooks: Path, staging: Path, executor: Executor, key: str
) -> Path:
    """Write ``summary.xlsx`` and render ``index.html`` with ``executor``; records ``key``."""
    from evalkit.report import index as summary
    from evalkit.report.render import notebook_to_html

    index = out_dir / "index.html"
    summary.write_excel(summary.load_results(out_dir), out_dir / "summary.xlsx")
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
    atomic_write_text(out_dir / _STATE_FILE, key)
    failed_nb.unlink(missing_ok=True)
    return index


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
) -> RunResult:
    """Run the review notebook for every unit of a year and write the index; see the module doc.

    ``executor`` is ``warm`` (kept kernels, restarted every ``restart_every`` units) or ``fresh``
    (a new kernel per unit); ``timeout`` bounds each notebook cell in seconds (None: no bound).
    """
    from tqdm import tqdm

    say = echo or (lambda _msg: None)
    params = Path(parameters)
    year = str(year) if year else latest_year(params)
    if not (params / year).is_dir():
        raise FileNotFoundError(f"找不到年度文件夹 {params / year}")
    # Absolute from here on: kernels run with their own working folder (notebooks/, the unit's
    # outputs), where a relative path like the default "outputs/2024" would point elsewhere.
    out_dir = (Path(outputs) / year).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    root = params.resolve().parent
    notebooks = find_notebooks(root)
    kernel_name = ensure_kernel()
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; one of {', '.join(EXECUTORS)}")
    spec = ExecutorSpec(executor, kernel_name, max(1, restart_every), timeout)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    result = RunResult(year=year, out_dir=out_dir, executor=executor)
    order: dict[str, int] = {}
    try:
        # The kernel runs in notebooks/, as in JupyterLab (and no project folder shadows evalkit).
        tasks = plan(
            params, out_dir, year, profile, notebooks / "review.ipynb", staging, kernel_name, notebooks, only
        )
        order = {t.unit_id: i for i, t in enumerate(tasks)}
        if not only:
            _prune(out_dir, set(order))
        todo = deque(t for t in tasks if force or not _unchanged(t))
        running = {t.unit_id for t in todo}
        result.outcomes += [UnitOutcome(t.unit_id, "skipped") for t in tasks if t.unit_id not in running]
        del tasks, running  # from here on a task lives until it is handed to a worker
        skipped = len(result.outcomes)
        if skipped:
            say(f"跳过{skipped}个输入未变的单位（--force 可强制重跑）")
        workers = max(1, min(jobs or default_jobs(), len(todo) or 1))
        result.jobs = workers
        bar = tqdm(total=len(todo), desc=f"{year}年度复核", unit="个单位", disable=not progress or not todo)
        started = time.perf_counter()
        try:
            if workers == 1 or not todo:
                _run_here(todo, spec, result, bar, out_dir, year, notebooks, staging, force, started)
            else:
                _run_pool(todo, spec, workers, result, bar, out_dir, year, notebooks, staging, force, started)
        finally:
            bar.close()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.outcomes.sort(key=lambda o: order.get(o.unit_id, 0))
    return result


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
        result.summary_error = _error_text(exc)
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
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(spec, notebooks.resolve())
    ) as pool:
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
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _stream(pool: ProcessPoolExecutor, tasks: Iterator[UnitTask], window: int) -> Iterator[UnitOutcome]:
    """Outcomes as units finish, with at most ``window`` submitted and not yet reported."""
    pending: set[Future[UnitOutcome]] = {pool.submit(_worker_unit, t) for t in islice(tasks, window)}
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            yield fut.result()
            task = next(tasks, None)
            if task is not None:
                pending.add(pool.submit(_worker_unit, task))


def _tick(bar: Any, outcome: UnitOutcome) -> UnitOutcome:
    bar.update(1)
    if outcome.status == "failed":
        bar.write(f"✗ {outcome.unit_id}：{outcome.error}")
    return outcome

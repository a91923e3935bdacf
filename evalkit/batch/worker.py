"""Running one unit: its notebook in an executor, its report and result written atomically.

:func:`run_unit` executes ``review.ipynb`` for one :class:`~evalkit.batch.plan.UnitTask`, renders
the executed notebook to ``outputs/<year>/<unit-id>.html`` and writes ``<unit-id>.json`` last (its
inputs hash marks the unit done, so an interruption before it means a re-run). A unit's failure is
an outcome, never an exception: the failed notebook is kept in ``failed/<unit-id>.ipynb`` and the
result says why. A worker process of the pool builds one executor (and so keeps one warm kernel)
for all its units: :func:`init_worker`, :func:`worker_unit`, :func:`worker_executor`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit import __version__
from evalkit.batch.executors import ExecutorSpec
from evalkit.batch.guard import worker_signals
from evalkit.batch.plan import FAILED_DIR, UnitTask, read_json
from evalkit.fileio import atomic_write_text, write_error

if TYPE_CHECKING:
    from evalkit.batch.executors import Executor

__all__ = [
    "UnitOutcome",
    "error_text",
    "init_worker",
    "run_unit",
    "unit_parameters",
    "worker_executor",
    "worker_unit",
]


@dataclass(slots=True)
class UnitOutcome:
    """What happened to one unit (small: the orchestrator keeps one per unit)."""

    unit_id: str
    status: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    error: str = ""
    report: str = ""  # the report's file name, in RunResult.out_dir
    start_retries: int = 0  # kernel starts that failed (a port race, …) and were retried
    reruns: int = 0  # runs repeated because the kernel died


def unit_parameters(task: UnitTask, result_json: Path) -> dict[str, Any]:
    """The parameters injected into ``review.ipynb`` (names and types of its ``parameters`` cell)."""
    params: dict[str, Any] = {
        "unit": str(task.filing),
        "profile": task.profile,
        "decisions": str(task.decisions) if task.decisions else "",
        "result_json": str(result_json),
        "interactive": False,
    }
    # The kernel writes the Word report from the review it made (a unit is reviewed once); a
    # workspace's older notebook has no such parameter (papermill would warn on every unit).
    if "word_report" in declared_parameters(task.notebook):
        params.update(word_report=str(word_path(task)), history=str(task.out_dir.parent))
    return params


def declared_parameters(notebook: Path) -> frozenset[str]:
    """The names a notebook's ``parameters`` cell assigns (read once per version of the file)."""
    try:
        stamp = notebook.stat().st_mtime_ns
    except OSError:
        return frozenset()
    return _declared(str(notebook), stamp)


@lru_cache(maxsize=8)
def _declared(path: str, _stamp: int) -> frozenset[str]:
    import papermill

    try:
        return frozenset(papermill.inspect_notebook(path))
    except Exception:  # an unreadable notebook fails when it runs, with its own message
        return frozenset()


def word_path(task: UnitTask) -> Path:
    """Where a unit's Word 复核报告 goes: ``outputs/<year>/word/<unit-id>.docx``."""
    return task.out_dir / "word" / f"{task.unit_id}.docx"


def error_text(exc: BaseException) -> str:
    """A failure as the index shows it: the cell and the error for a notebook's, else the exception."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return write_error(exc.filename or "输出文件", exc)
    ename = getattr(exc, "ename", None)
    if ename:
        evalue = str(getattr(exc, "evalue", "")).strip()
        if "No space left on device" in evalue or "Errno 28" in evalue:
            return f"磁盘空间不足：内核无法写入文件（{evalue[:200]}）；请清理磁盘后重新运行"
        cell = getattr(exc, "exec_count", None)
        where = f"（第{cell}个执行单元）" if cell else ""
        return f"运行失败{where}：{ename}：{evalue}"
    return f"运行失败：{type(exc).__name__}：{str(exc).strip()}"


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
        doc = read_json(result_json)
        if doc is None:
            raise RuntimeError("笔记本没有写出结果 JSON（result_json）")
        html = notebook_to_html(nb, f"{doc.get('unit') or task.unit_id} · 预算绩效自评复核报告")
        del nb  # a worker holds one unit at a time
        atomic_write_text(html_path, html)
        # The Word 复核报告: the notebook wrote it and put last year's review in the result.
        docx = word_path(task)
        if "last_year" in doc["run"] and docx.is_file():
            last_year = doc["run"]["last_year"]
        else:  # a notebook older than its word_report parameter (a workspace's own copy)
            from evalkit.report.word import write_unit_deliverable

            last = write_unit_deliverable(
                task.filing, docx, task.profile, task.decisions, outputs=task.out_dir.parent
            )
            last_year = last.to_json() if last is not None else None
        seconds = time.perf_counter() - started
        doc["run"].update(
            unit_id=task.unit_id,
            year=task.year,
            status="ok",
            report=html_path.name,
            word=f"word/{docx.name}",
            last_year=last_year,
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
        error = error_text(exc).replace(str(task.filing), task.filing.name)
        error = error.replace(str(task.out_dir), task.out_dir.name)
        with contextlib.suppress(OSError):  # a full disk or a name too long: keep going
            if executed.is_file():
                failed_nb.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(executed), failed_nb)
        with contextlib.suppress(OSError):
            result_json.unlink(missing_ok=True)
        if _is_write_failure(exc):
            # Nothing new could be written: the last good report and its result stay as they
            # were (the result's inputs hash is the old one, so the next run redoes the unit).
            return UnitOutcome(
                task.unit_id, "failed", time.perf_counter() - started, error=error, **retries()
            )
        # The old report would show scores the current inputs no longer give.
        with contextlib.suppress(OSError):
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
        try:
            atomic_write_text(
                task.out_dir / f"{task.unit_id}.json", json.dumps(doc, ensure_ascii=False, indent=1)
            )
        except OSError as write_exc:
            error = f"{error}；{write_error(f'{task.unit_id}.json', write_exc)}"
        return UnitOutcome(task.unit_id, "failed", time.perf_counter() - started, error=error, **retries())


def _is_write_failure(exc: BaseException) -> bool:
    """True for an error of writing a file (full disk, quota, name too long, read-only folder)."""
    import errno

    codes = {errno.ENOSPC, errno.EDQUOT, errno.ENAMETOOLONG, errno.EROFS, errno.EACCES, errno.EIO}
    if isinstance(exc, OSError):
        return exc.errno in codes
    evalue = str(getattr(exc, "evalue", ""))
    return "No space left on device" in evalue or "Errno 28" in evalue


# Each worker process builds one executor (and so keeps one warm kernel) for all its units.
_WORKER_EXECUTOR: Executor | None = None


def init_worker(spec: ExecutorSpec, cwd: Path) -> None:
    """Pool initializer: build this process's executor and start its kernel in ``cwd``."""
    global _WORKER_EXECUTOR
    worker_signals()  # Ctrl-C is the orchestrator's; SIGTERM (or its death) ends this worker cleanly
    _WORKER_EXECUTOR = spec.create()
    # The pool ends its workers with a normal interpreter exit: atexit stops the kernel.
    atexit.register(_WORKER_EXECUTOR.close)
    _WORKER_EXECUTOR.start(cwd)


def worker_executor() -> Executor:
    """This worker process's executor (built by :func:`init_worker`)."""
    if _WORKER_EXECUTOR is None:
        raise RuntimeError("init_worker has not run in this process")
    return _WORKER_EXECUTOR


def worker_unit(task: UnitTask) -> UnitOutcome:
    """Pool task: run one unit with this worker's executor."""
    return run_unit(task, worker_executor())

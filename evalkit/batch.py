"""``evalkit run``: execute ``notebooks/review.ipynb`` per unit with papermill, render offline HTML.

For each unit of ``parameters/<year>/`` the review notebook runs in a fresh kernel (in parallel
worker processes), writes the unit's result JSON, and is rendered by :mod:`evalkit.render` to
``outputs/<year>/<unit-id>.html``. Then ``notebooks/summary.ipynb`` renders ``index.html`` from the
results, and ``summary.xlsx`` is written.

- Skip: a unit whose inputs (filing, decisions, profile, notebook, template, evalkit version and
  code) hash as in its last successful result is not run again (``force`` runs it anyway).
- Failure isolation: a failing unit keeps its executed notebook in ``failed/<unit-id>.ipynb``,
  is listed in the index with its error, and the run reports failure after finishing the rest.
- Atomic outputs: reports and results are written to a temporary file and renamed; the result
  (which carries the input hash) is written last, so an interrupted run is simply re-run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.fileio import atomic_write_text

PACKAGE_DIR = Path(__file__).resolve().parent
KERNEL_NAME = "evalkit-python3"
FAILED_DIR = "failed"
SUMMARY_ID = "summary"
_STATE_FILE = ".summary-inputs"


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
    """What happened to one unit."""

    unit_id: str
    status: str  # "ok", "failed", "skipped"
    seconds: float = 0.0
    error: str = ""
    report: Path | None = None


@dataclass
class RunResult:
    """The outcome of a whole run."""

    year: str
    out_dir: Path
    outcomes: list[UnitOutcome] = field(default_factory=list)
    index: Path | None = None
    summary_error: str = ""

    @property
    def failed(self) -> list[UnitOutcome]:
        """Units whose run failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every unit and the summary succeeded, else 1."""
        return 1 if self.failed or self.summary_error else 0


# --------------------------------------------------------------------------------------- kernel
def ensure_kernel(kernel_dir: Path | None = None) -> str:
    """A kernel spec that runs *this* interpreter (where evalkit is installed); returns its name.

    A fresh clone may have no ``python3`` spec, or one pointing at another Python without
    evalkit. The spec is written to a private folder put first on ``JUPYTER_PATH`` (inherited by
    the worker processes), so no user-wide Jupyter setting is touched.
    """
    base = (
        kernel_dir
        or Path(tempfile.gettempdir()) / f"evalkit-jupyter-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    spec_dir = base / "kernels" / KERNEL_NAME
    spec = {
        "argv": [
            sys.executable,
            "-Xfrozen_modules=off",  # silences the debugger's frozen-modules warning on stderr
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",  # no log chatter (shutdown interrupts, TCP) over the bar
        ],
        "display_name": "Python 3 (evalkit)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    text = json.dumps(spec, indent=1)
    target = spec_dir / "kernel.json"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(base) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(base), paths) if p)
    return KERNEL_NAME


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
    from evalkit.profiles import load_profile

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


# --------------------------------------------------------------------------------------- worker
def _error_text(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    if ename:
        evalue = str(getattr(exc, "evalue", "")).strip()
        cell = getattr(exc, "exec_count", None)
        where = f"（第{cell}个执行单元）" if cell else ""
        return f"运行失败{where}：{ename}：{evalue}"
    return f"运行失败：{type(exc).__name__}：{exc}"


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


def run_unit(task: UnitTask) -> UnitOutcome:
    """Execute and render one unit (in a worker process); never raises for a unit's own failure."""
    from evalkit.render import notebook_to_html

    started = time.perf_counter()
    executed = task.staging / f"{task.unit_id}.ipynb"
    result_json = task.staging / f"{task.unit_id}.json"
    html_path = task.out_dir / f"{task.unit_id}.html"
    failed_nb = task.out_dir / FAILED_DIR / f"{task.unit_id}.ipynb"
    try:
        nb = execute_notebook(
            task.notebook, executed, unit_parameters(task, result_json), task.kernel_name, task.cwd
        )
        doc = _read_json(result_json)
        if doc is None:
            raise RuntimeError("笔记本没有写出结果 JSON（result_json）")
        html = notebook_to_html(nb, f"{doc.get('unit') or task.unit_id} · 预算绩效自评复核报告")
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
        return UnitOutcome(task.unit_id, "ok", seconds, report=html_path)
    except Exception as exc:  # a unit's failure must not stop the others
        # The index travels (a share, a zip): name the filing, not this machine's folders.
        error = _error_text(exc).replace(str(task.filing), task.filing.name)
        if executed.is_file():
            failed_nb.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(executed), failed_nb)
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
        return UnitOutcome(task.unit_id, "failed", time.perf_counter() - started, error=error)


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
    from evalkit.workbench import units_in

    wanted = {u.removesuffix(".yaml") for u in only}
    files = units_in(parameters / year)
    if wanted:
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise FileNotFoundError(f"{parameters / year} 中没有这些单位：{'、'.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]
    profile = _resolve_profile(profile, parameters)
    code_fp = code_fingerprint()
    profile_fp = profile_fingerprint(profile)
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
                notebook=notebook.resolve(),
                out_dir=out_dir.resolve(),
                staging=staging.resolve(),
                inputs_hash=inputs_hash(f, decisions_or_none, profile_fp, notebook, code_fp),
                cwd=cwd.resolve(),
                kernel_name=kernel_name,
                year=year,
            )
        )
    return tasks


def _resolve_profile(profile: str | None, parameters: Path) -> str:
    # The kernel runs in notebooks/ (as in JupyterLab), where a bare profile name would not find
    # this project's parameters/profiles/: hand it the file the runner itself would use.
    from evalkit.profiles import DEFAULT_PROFILE

    name = profile or DEFAULT_PROFILE
    for suffix in (".yaml", ".yml"):
        candidate = parameters / "profiles" / f"{name}{suffix}"
        if "/" not in name and candidate.is_file():
            return str(candidate.resolve())
    return str(Path(name).resolve()) if Path(name).is_file() else name


def _prune(out_dir: Path, keep: set[str]) -> None:
    # Results of units no longer in parameters/ would haunt the index: remove them (full runs only).
    for f in out_dir.glob("*.json"):
        if f.stem not in keep:
            f.unlink(missing_ok=True)
            (out_dir / f"{f.stem}.html").unlink(missing_ok=True)
            (out_dir / FAILED_DIR / f"{f.stem}.ipynb").unlink(missing_ok=True)


def run_summary(
    out_dir: Path, year: str, notebooks: Path, staging: Path, kernel_name: str, force: bool
) -> Path:
    """Render ``index.html`` from the unit results (skipped when nothing changed) and ``summary.xlsx``."""
    from evalkit import summary
    from evalkit.render import notebook_to_html

    notebook = notebooks / "summary.ipynb"
    h = hashlib.sha256(code_fingerprint().encode())
    h.update(notebook.read_bytes())
    for f in sorted(out_dir.glob("*.json")):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    key = h.hexdigest()
    index = out_dir / "index.html"
    state = out_dir / _STATE_FILE
    xlsx = out_dir / "summary.xlsx"
    if not force and index.is_file() and xlsx.is_file() and state.is_file() and state.read_text() == key:
        return index
    summary.write_excel(summary.load_results(out_dir), xlsx)
    executed = staging / "summary.ipynb"
    failed_nb = out_dir / FAILED_DIR / "summary.ipynb"
    try:
        nb = execute_notebook(
            notebook, executed, summary_parameters(out_dir.resolve(), year), kernel_name, out_dir
        )
    except Exception:
        if executed.is_file():
            failed_nb.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(executed), failed_nb)
        raise
    atomic_write_text(index, notebook_to_html(nb, f"{year}年度预算绩效自评复核汇总"))
    atomic_write_text(state, key)
    failed_nb.unlink(missing_ok=True)
    return index


def run(
    year: str | int | None = None,
    jobs: int | None = None,
    only: Iterable[str] = (),
    force: bool = False,
    profile: str | None = None,
    parameters: str | os.PathLike[str] = "parameters",
    outputs: str | os.PathLike[str] = "outputs",
    progress: bool = True,
    echo: Callable[[str], None] | None = None,
) -> RunResult:
    """Run the review notebook for every unit of a year and write the index; see the module doc."""
    from tqdm import tqdm

    say = echo or (lambda _msg: None)
    params = Path(parameters)
    year = str(year) if year else latest_year(params)
    if not (params / year).is_dir():
        raise FileNotFoundError(f"找不到年度文件夹 {params / year}")
    out_dir = Path(outputs) / year
    out_dir.mkdir(parents=True, exist_ok=True)
    root = params.resolve().parent
    notebooks = find_notebooks(root)
    kernel_name = ensure_kernel()
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out_dir))
    result = RunResult(year=year, out_dir=out_dir)
    try:
        # The kernel runs in notebooks/, as in JupyterLab (and no project folder shadows evalkit).
        tasks = plan(
            params, out_dir, year, profile, notebooks / "review.ipynb", staging, kernel_name, notebooks, only
        )
        if not only:
            _prune(out_dir, {t.unit_id for t in tasks})
        todo = [t for t in tasks if force or not _unchanged(t)]
        result.outcomes += [UnitOutcome(t.unit_id, "skipped") for t in tasks if t not in todo]
        if len(todo) < len(tasks):
            say(f"跳过{len(tasks) - len(todo)}个输入未变的单位（--force 可强制重跑）")
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
        bar = tqdm(total=len(todo), desc=f"{year}年度复核", unit="个单位", disable=not progress or not todo)
        try:
            if workers == 1:
                for task in todo:
                    result.outcomes.append(_tick(bar, run_unit(task)))
            else:
                import multiprocessing

                # spawn: the parent holds threads (tqdm's monitor), which fork would copy unsafely.
                ctx = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                    futures = [pool.submit(run_unit, t) for t in todo]
                    try:
                        for fut in as_completed(futures):
                            result.outcomes.append(_tick(bar, fut.result()))
                    except BaseException:
                        pool.shutdown(wait=True, cancel_futures=True)
                        raise
        finally:
            bar.close()
        try:
            result.index = run_summary(out_dir, year, notebooks, staging, kernel_name, force)
        except Exception as exc:
            result.summary_error = _error_text(exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    order = {t.unit_id: i for i, t in enumerate(tasks)}
    result.outcomes.sort(key=lambda o: order.get(o.unit_id, 0))
    return result


def _tick(bar: Any, outcome: UnitOutcome) -> UnitOutcome:
    bar.update(1)
    if outcome.status == "failed":
        bar.write(f"✗ {outcome.unit_id}：{outcome.error}")
    return outcome

"""What a batch has to do: the units of a year, the hash of each unit's inputs, what is up to date.

A unit is ``parameters/<year>/<unit-id>.yaml`` (with its ``.review.yaml`` beside it, if any). Its
inputs hash covers what changes its report and nothing else: the filing, the decisions, the profile
as scoring sees it, the review notebook's cells (their sources and tags — not outputs, execution
counts or metadata, which JupyterLab rewrites on every save) and evalkit's code and templates. A
unit whose last successful result carries the same hash, with its report beside it, is skipped.
The year's summary has a key of its own over the code, the summary notebook and every result.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit import __version__
from evalkit.errors import EvalkitError

__all__ = [
    "FAILED_DIR",
    "UnitTask",
    "code_fingerprint",
    "find_notebooks",
    "inputs_hash",
    "is_unchanged",
    "latest_year",
    "notebook_fingerprint",
    "plan_units",
    "profile_fingerprint",
    "prune",
    "read_json",
    "result_names",
    "summary_key",
    "summary_up_to_date",
    "unit_files",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
FAILED_DIR = "failed"
STATE_FILE = ".summary-inputs"


@dataclass(frozen=True, slots=True)
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


def find_notebooks(root: Path) -> Path:
    """The notebooks folder: ``<root>/notebooks`` if it has the review notebook, else evalkit's own."""
    from evalkit.resources import notebooks_dir

    for folder in (root / "notebooks", notebooks_dir()):
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


def notebook_fingerprint(notebook: Path) -> str:
    """A hash of what in a notebook makes a report: each cell's type, source and tags.

    Outputs, execution counts, widget state and other metadata are left out: opening and saving the
    notebook in JupyterLab rewrites them, and they change nothing a batch run shows. Tags are kept
    (``parameters`` says where papermill injects, ``report-hide`` what the report leaves out).
    Read as plain JSON (nbformat's import costs ~2 CPU-s, in a process that needs nothing else of
    it); a source stored as a list of lines is joined, as nbformat joins it.
    """
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    cells = [
        [
            cell.get("cell_type"),
            "".join(src) if isinstance(src := cell.get("source", ""), list) else src,
            sorted(cell.get("metadata", {}).get("tags", [])),
        ]
        for cell in nb.get("cells", [])
    ]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def inputs_hash(filing: Path, decisions: Path | None, profile_fp: str, notebook_fp: str, code_fp: str) -> str:
    """The skip key of a unit: its filing, decisions, profile, notebook and the evalkit code."""
    h = hashlib.sha256()
    for part in (
        filing.read_bytes(),
        decisions.read_bytes() if decisions and decisions.is_file() else b"",
        profile_fp.encode(),
        notebook_fp.encode(),
        code_fp.encode(),
    ):
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or None when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_unchanged(task: UnitTask) -> bool:
    """True when the unit's last run succeeded with the same inputs and its report is there."""
    doc = read_json(task.out_dir / f"{task.unit_id}.json")
    if not doc or doc.get("run", {}).get("status") != "ok":
        return False
    return (
        doc["run"].get("inputs_hash") == task.inputs_hash
        and (task.out_dir / f"{task.unit_id}.html").is_file()
    )


def unit_files(folder: Path) -> list[Path]:
    """The filings of a year folder (``*.yaml`` without the ``.review.yaml`` decisions)."""
    # As evalkit.workbench.editor.units_in, without importing the widget stack into the orchestrator.
    if not folder.is_dir():
        return []
    return sorted(f for f in folder.glob("*.yaml") if not f.name.endswith(".review.yaml"))


def latest_year(parameters: Path) -> str:
    """The latest year folder of ``parameters/``."""
    years = sorted((d.name for d in parameters.iterdir() if d.is_dir() and d.name.isdigit()), reverse=True)
    if not years:
        raise FileNotFoundError(f"{parameters} 下没有年度文件夹（如 parameters/2024/）")
    return years[0]


def plan_units(
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
    """The tasks of a year: one per ``parameters/<year>/<unit-id>.yaml`` (filtered by ``only``).

    Without ``profile``, a unit is scored with the profile saved in its ``.review.yaml`` (the one
    its reviewer chose in the workbench), else the default."""
    wanted = {u.removesuffix(".yaml") for u in only}
    # Listed from the resolved folder, so each task keeps the listing's own Path (a province's
    # tasks stay small in memory); a filing that is a link is resolved to what it points at.
    files = unit_files(parameters.resolve() / year)
    if wanted:
        unknown = wanted - {f.stem for f in files}
        if unknown:
            raise FileNotFoundError(f"{parameters / year} 中没有这些单位：{'、'.join(sorted(unknown))}")
        files = [f for f in files if f.stem in wanted]
    given = profile
    profile = resolve_profile(profile, parameters)
    code_fp = code_fingerprint()
    profile_fp = profile_fingerprint(profile)
    fingerprints = {profile: profile_fp}
    notebook_fp = notebook_fingerprint(notebook)
    # One Path object each, shared by every task: a province's tasks stay small in memory.
    nb_path, out_path, staging_path, cwd_path = (p.resolve() for p in (notebook, out_dir, staging, cwd))
    tasks = []
    for f in files:
        decisions = f.with_suffix(".review.yaml")
        decisions_or_none = decisions.resolve() if decisions.is_file() else None
        unit_profile, unit_fp = profile, profile_fp
        if given is None and decisions_or_none is not None:
            from evalkit.scoring.decisions import saved_profile

            saved = saved_profile(decisions_or_none)
            if saved:
                unit_profile = resolve_profile(saved, parameters)
                if unit_profile not in fingerprints:
                    try:
                        fingerprints[unit_profile] = profile_fingerprint(unit_profile)
                    except EvalkitError:  # an unknown saved profile: the unit's run reports it
                        fingerprints[unit_profile] = f"missing:{unit_profile}"
                unit_fp = fingerprints[unit_profile]
        tasks.append(
            UnitTask(
                unit_id=f.stem,
                filing=f.resolve() if f.is_symlink() else f,
                decisions=decisions_or_none,
                profile=unit_profile,
                notebook=nb_path,
                out_dir=out_path,
                staging=staging_path,
                inputs_hash=inputs_hash(f, decisions_or_none, unit_fp, notebook_fp, code_fp),
                cwd=cwd_path,
                kernel_name=kernel_name,
                year=year,
            )
        )
    return tasks


def resolve_profile(profile: str | None, parameters: Path) -> str:
    """The profile as the kernels get it: the project's file when ``parameters/profiles/`` has it."""
    # The kernel runs in notebooks/ (as in JupyterLab), where a bare profile name would not find
    # this project's parameters/profiles/: hand it the file the runner itself would use.
    from evalkit.scoring.profiles import DEFAULT_PROFILE

    name = profile or DEFAULT_PROFILE
    for suffix in (".yaml", ".yml"):
        candidate = parameters / "profiles" / f"{name}{suffix}"
        if "/" not in name and candidate.is_file():
            return str(candidate.resolve())
    return str(Path(name).resolve()) if Path(name).is_file() else name


def result_names(out_dir: Path) -> list[str]:
    """The file names of the unit results (``*.json``) in ``out_dir``, sorted."""
    # File names, not Path objects: a year of thousands of results stays small.
    with os.scandir(out_dir) as entries:
        return sorted(e.name for e in entries if e.name.endswith(".json") and e.is_file())


def prune(out_dir: Path, keep: set[str]) -> None:
    """Remove the results, reports and failed notebooks of units not in ``keep``."""
    # Results of units no longer in parameters/ would haunt the index (full runs only).
    for name in result_names(out_dir):
        stem = name.removesuffix(".json")
        if stem not in keep:
            (out_dir / name).unlink(missing_ok=True)
            (out_dir / f"{stem}.html").unlink(missing_ok=True)
            (out_dir / FAILED_DIR / f"{stem}.ipynb").unlink(missing_ok=True)


def summary_key(out_dir: Path, notebooks: Path) -> str:
    """What ``index.html`` is made from: the code, the summary notebook and every unit result."""
    h = hashlib.sha256(code_fingerprint().encode())
    h.update(notebook_fingerprint(notebooks / "summary.ipynb").encode())
    for name in result_names(out_dir):  # one file at a time: memory does not grow with units
        h.update(name.encode())
        h.update((out_dir / name).read_bytes())
    return h.hexdigest()


def summary_up_to_date(out_dir: Path, key: str) -> bool:
    """True when ``index.html`` and ``summary.xlsx`` were made from exactly these inputs."""
    state = out_dir / STATE_FILE
    return (
        (out_dir / "index.html").is_file()
        and (out_dir / "summary.xlsx").is_file()
        and (out_dir / "复核底稿.xlsx").is_file()
        and state.is_file()
        and state.read_text() == key
    )

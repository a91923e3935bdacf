"""The files evalkit ships besides its code: scoring profiles, notebooks, sample units.

In the checkout they live where a user edits them (``parameters/profiles/``, ``notebooks/``,
``parameters/<year>/``); a wheel carries the same files as package data under
``evalkit/resources/`` (``pyproject.toml`` maps those folders into the package). These functions
return the installed copy when there is one and the checkout's folder otherwise, so a command run
from any folder, with an editable install or a wheel, finds them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Workspace", "init_workspace", "notebooks_dir", "profiles_dir", "sample_years", "samples_dir"]


_HERE = Path(__file__).resolve().parent
_CHECKOUT = _HERE.parents[1]


def _bundled(installed: str, checkout: str) -> Path:
    # A wheel has the files beside this module; the checkout (editable install) has them in place.
    inside = _HERE / installed
    return inside if inside.is_dir() else _CHECKOUT / checkout


def profiles_dir() -> Path:
    """The folder of the bundled scoring profiles (``mof-2020.yaml``, …)."""
    return _bundled("profiles", "parameters/profiles")


def notebooks_dir() -> Path:
    """The folder of the bundled notebooks (``review.ipynb``, ``summary.ipynb``)."""
    return _bundled("notebooks", "notebooks")


def samples_dir() -> Path:
    """The folder of the bundled sample years: ``<year>/`` folders of units (``2024/``: the seed and
    the 示例 units; ``2023/``: last year's filings of some of them)."""
    return _bundled("samples", "parameters")


def sample_years() -> list[str]:
    """The bundled sample years, e.g. ``["2023", "2024"]``."""
    return sorted(d.name for d in samples_dir().iterdir() if d.is_dir() and d.name.isdigit())


@dataclass
class Workspace:
    """What :func:`init_workspace` did: the files it wrote and those it found and left alone."""

    root: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def init_workspace(dest: str | os.PathLike[str]) -> Workspace:
    """Lay out a workspace in ``dest`` for ``evalkit run`` and the notebooks.

    ``parameters/profiles/`` (the bundled profiles), ``parameters/<year>/`` for each sample year
    (2024: the seed filing and the 示例 units, one with decisions; 2023: last year's filings of some
    of them), ``notebooks/`` (``review.ipynb``,
    ``summary.ipynb``) and an empty ``outputs/``. A file that already exists is never overwritten
    (a reviewer's edits survive a second ``init``); it is listed in ``kept``.
    """
    root = Path(dest)
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} 已存在且不是文件夹")
    ws = Workspace(root)
    plan = [
        (profiles_dir(), "*.yaml", root / "parameters" / "profiles"),
        *((samples_dir() / year, "*.yaml", root / "parameters" / year) for year in sample_years()),
        (notebooks_dir(), "*.ipynb", root / "notebooks"),
    ]
    for source, pattern, target in plan:
        files = sorted(source.glob(pattern))
        if not files:  # a broken install: say so rather than lay out a workspace that cannot run
            raise FileNotFoundError(f"evalkit 自带的文件缺失：{source / pattern}（请重新安装 evalkit）")
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            out = target / f.name
            if out.exists():
                ws.kept.append(out)
            else:
                shutil.copyfile(f, out)
                ws.created.append(out)
    (root / "outputs").mkdir(parents=True, exist_ok=True)
    return ws

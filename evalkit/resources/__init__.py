"""The files evalkit ships besides its code: scoring profiles, notebooks, sample units.

In the checkout they live where a user edits them (``parameters/profiles/``, ``notebooks/``,
``parameters/<year>/``); a wheel carries the same files as package data under
``evalkit/resources/`` (``pyproject.toml`` maps those folders into the package). These functions
return the installed copy when there is one and the checkout's folder otherwise, so a command run
from any folder, with an editable install or a wheel, finds them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["notebooks_dir", "profiles_dir", "samples_dir"]

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
    """The folder of the bundled sample year (``parameters/2024/``: the seed and the 示例 units)."""
    return _bundled("samples", "parameters/2024")

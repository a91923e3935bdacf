"""Lazy public names for a package: ``import evalkit`` and ``evalkit --help`` stay fast."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def exports(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[attr]`` (a module path) on first use."""

    def __getattr__(attr: str) -> Any:
        if attr in names:
            return getattr(import_module(names[attr]), attr)
        raise AttributeError(f"module {package!r} has no attribute {attr!r}")

    return __getattr__

"""evalkit: review workbench for Chinese budget performance self-evaluations (预算绩效自评复核).

The public API is imported lazily so that ``import evalkit`` (and ``evalkit --help``) stays fast:

- :func:`read_filing` — read a .txt dump, .docx, .xlsx or evalkit YAML into a :class:`Filing`
- :func:`load_profile` — a scoring profile by name or path
- :func:`review` — score and check a filing: a :class:`Review` with ``card`` and ``findings``
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_filing": "evalkit.readers",
    "load_profile": "evalkit.profiles",
    "Profile": "evalkit.profiles",
    "review": "evalkit.review",
    "Review": "evalkit.review",
    "Filing": "evalkit.model",
    "load_decisions": "evalkit.decisions",
    "Decisions": "evalkit.decisions",
    "Decision": "evalkit.decisions",
    "parse_value": "evalkit.notation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")

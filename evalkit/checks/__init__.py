"""The review checks (RULES §5): the catalogue in :mod:`evalkit.checks.registry`, one module per
family beside it.

Adding a check touches one module of this package plus its test: decorate a function with
:func:`check` and it is listed by ``evalkit checks``, documented in ``docs/checks.md`` and run by
:func:`run_checks`. Findings are :class:`evalkit.model.Finding`, the one model importer problems
share.
"""

from __future__ import annotations

from evalkit.checks.registry import (
    CATALOGUE,
    CHECK_FAILED,
    FAMILIES,
    FAMILY_LABELS,
    KIND_CHECK,
    KIND_IMPORTER,
    LIFECYCLE_LABELS,
    LIFECYCLES,
    PLACE_BUDGET,
    PLACE_NARRATIVE,
    PLACE_UNIT,
    Check,
    Context,
    Selection,
    at_budget,
    at_paragraph,
    at_row,
    at_unit,
    catalogue,
    catalogue_markdown,
    check,
    explain,
    fmt,
    lookup,
    place_paragraph,
    place_row,
    resolve,
    run_checks,
    selection,
    where_paragraph,
    where_row,
)
from evalkit.model import SEVERITIES, SEVERITY_LABELS, At, Finding

__all__ = [
    "CATALOGUE",
    "CHECK_FAILED",
    "FAMILIES",
    "FAMILY_LABELS",
    "KIND_CHECK",
    "KIND_IMPORTER",
    "LIFECYCLES",
    "LIFECYCLE_LABELS",
    "PLACE_BUDGET",
    "PLACE_NARRATIVE",
    "PLACE_UNIT",
    "SEVERITIES",
    "SEVERITY_LABELS",
    "At",
    "Check",
    "Context",
    "Finding",
    "Selection",
    "at_budget",
    "at_paragraph",
    "at_row",
    "at_unit",
    "catalogue",
    "catalogue_markdown",
    "check",
    "explain",
    "fmt",
    "lookup",
    "place_paragraph",
    "place_row",
    "resolve",
    "run_checks",
    "selection",
    "where_paragraph",
    "where_row",
]

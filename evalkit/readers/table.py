"""The meaning of a self-evaluation table, in three parts (this module gathers their public names).

- :mod:`evalkit.readers.grid` — cells, rows, merged cells and headers written over two rows;
- :mod:`evalkit.readers.form` — the form builder: rows → :class:`~evalkit.model.Filing`, with the
  column roles taken from the layout vocabulary (:mod:`evalkit.readers.layouts`, ``layouts.yaml``),
  its budget block in :mod:`evalkit.readers.budget` and the unit's fields in
  :mod:`evalkit.readers.unitfields`;
- :mod:`evalkit.readers.inference` — what text says: year, grade, declared total, budget basis,
  points written into labels.
"""

from __future__ import annotations

from evalkit.readers.codes import (
    IMPORT_GOAL_EMPTY,
    IMPORT_HEADER_COLUMN,
    IMPORT_NAME_MISSING,
    IMPORT_NO_INDICATORS,
    IMPORT_NUMBER,
    IMPORT_ROW_LONG,
    IMPORT_ROW_SHORT,
    IMPORT_ROW_UNKNOWN,
)
from evalkit.readers.form import (
    EXPECTED_TABLE,
    NOT_TABLE,
    ROLE_BLANK,
    ROLE_BUDGET_HEADER,
    ROLE_CLOSING,
    ROLE_GOAL,
    ROLE_INDICATOR_HEADER,
    ROLE_NOTES,
    ROLE_OTHER,
    ROLE_OVERALL,
    ROLE_TITLE,
    ROLE_TOTAL,
    build_filing,
    row_role,
)
from evalkit.readers.grid import Cell, cell_key, read_number

__all__ = [
    "EXPECTED_TABLE",
    "IMPORT_GOAL_EMPTY",
    "IMPORT_HEADER_COLUMN",
    "IMPORT_NAME_MISSING",
    "IMPORT_NO_INDICATORS",
    "IMPORT_NUMBER",
    "IMPORT_ROW_LONG",
    "IMPORT_ROW_SHORT",
    "IMPORT_ROW_UNKNOWN",
    "NOT_TABLE",
    "ROLE_BLANK",
    "ROLE_BUDGET_HEADER",
    "ROLE_CLOSING",
    "ROLE_GOAL",
    "ROLE_INDICATOR_HEADER",
    "ROLE_NOTES",
    "ROLE_OTHER",
    "ROLE_OVERALL",
    "ROLE_TITLE",
    "ROLE_TOTAL",
    "Cell",
    "build_filing",
    "cell_key",
    "read_number",
    "row_role",
]

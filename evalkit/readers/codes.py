"""The codes of the problems the readers report (declared, with their docs, in
:mod:`evalkit.checks.importer`)."""

from __future__ import annotations

# Problem codes emitted while importing (family, severity).
IMPORT_ROW_SHORT = "IMPORT_ROW_SHORT"  # structure / warning: a row with fewer cells than its header
IMPORT_ROW_LONG = "IMPORT_ROW_LONG"  # structure / warning: a row with more cells than its header
IMPORT_ROW_UNKNOWN = "IMPORT_ROW_UNKNOWN"  # structure / info: a row with text that fits no block
IMPORT_NUMBER = "IMPORT_NUMBER"  # value / error: a number cell that cannot be read
IMPORT_HEADER_COLUMN = "IMPORT_HEADER_COLUMN"  # structure / warning: no target or actual column
IMPORT_NAME_MISSING = "IMPORT_NAME_MISSING"  # structure / warning: an indicator row without 三级指标
IMPORT_GOAL_EMPTY = "IMPORT_GOAL_EMPTY"  # structure / warning: a goal without indicator rows
IMPORT_NO_INDICATORS = "IMPORT_NO_INDICATORS"  # structure / error: a header but no indicator rows
IMPORT_MONEY_UNIT = "IMPORT_MONEY_UNIT"  # value / info: amounts in 元, converted to 万元
IMPORT_TARGET_ADJUSTED = "IMPORT_TARGET_ADJUSTED"  # value / info: 调整指标值 differs from 年初指标值
IMPORT_COMPARATOR = "IMPORT_COMPARATOR"  # value / warning: 指标性质 contradicts the target cell
IMPORT_ENCODING = "IMPORT_ENCODING"  # structure / info: a text dump's encoding and line endings
IMPORT_QUANTITATIVE_TEXT = "IMPORT_QUANTITATIVE_TEXT"  # value / warning: 定量 row, target not a number

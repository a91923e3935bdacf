"""Codes the importers emit (:mod:`evalkit.readers.table`, :mod:`evalkit.readers.xlsx`), listed so
the catalogue names every code a user can meet.

The importer reports what it read around as :class:`~evalkit.model.Problem` s, and
:func:`~evalkit.checks.run_checks` turns each into a finding; these entries only register the codes
(their functions find nothing themselves), so ``evalkit checks`` lists every code a user can meet.
"""

from __future__ import annotations

from evalkit.checks import check

_IMPORTER_CODES = (
    (
        "IMPORT_ROW_SHORT",
        "structure",
        "warning",
        "表格行单元格少于表头",
        "Emitted by the importer: a table row has fewer cells than its header; the missing cells read as blank and the row may be shifted.",
    ),
    (
        "IMPORT_ROW_LONG",
        "structure",
        "warning",
        "表格行单元格多于表头",
        "Emitted by the importer: a table row has more cells than its header; the extra cells are skipped and the row may be shifted.",
    ),
    (
        "IMPORT_ROW_UNKNOWN",
        "structure",
        "info",
        "无法归入自评表任何部分的行",
        "Emitted by the importer: a table row fits none of the parts of the form (unit, budget, indicators, closing texts) and is skipped.",
    ),
    (
        "IMPORT_NUMBER",
        "value",
        "error",
        "数字单元格无法识别",
        "Emitted by the importer: a cell that must hold a number (预算数, 执行数, 分值, 得分…) cannot be read as one and counts as blank.",
    ),
    (
        "IMPORT_HEADER_COLUMN",
        "structure",
        "warning",
        "指标表头缺少目标值或完成值列",
        "Emitted by the importer: the indicator header has no target (年初目标值) or actual (实际完成值) column; those values count as blank.",
    ),
    (
        "IMPORT_NAME_MISSING",
        "structure",
        "warning",
        "指标行缺少三级指标名称",
        "Emitted by the importer: an indicator row has a target or an actual but no name (三级指标).",
    ),
    (
        "IMPORT_GOAL_EMPTY",
        "structure",
        "warning",
        "年度目标下没有指标",
        "Emitted by the importer: an annual goal (年度目标n) has no indicator rows.",
    ),
    (
        "IMPORT_FORMULA_NO_VALUE",
        "value",
        "warning",
        "Excel公式单元格没有计算结果",
        "Emitted by the .xlsx importer: a cell holds a formula whose result was not saved in the file; "
        "it reads as blank (open and save the workbook in Excel, then import again).",
    ),
    (
        "IMPORT_HIDDEN",
        "structure",
        "info",
        "隐藏的行或列有内容",
        "Emitted by the .xlsx importer: hidden rows or columns hold text and were left out.",
    ),
    (
        "IMPORT_SHEETS",
        "structure",
        "info",
        "多个工作表含自评表",
        "Emitted by the .xlsx importer: more than one sheet holds a self-evaluation table; only one was read.",
    ),
    (
        "IMPORT_NO_INDICATORS",
        "structure",
        "error",
        "自评表没有指标行",
        "Emitted by the importer: the table has an indicator header but no indicator rows, so nothing can be scored.",
    ),
)


def _emitted_by_importer(chk: object, ctx: object) -> tuple[()]:
    # The importer's problems become findings in run_checks; nothing to find here.
    return ()


for _code, _family, _severity, _title, _description in _IMPORTER_CODES:
    check(_code, _family, _severity, _title, _description)(_emitted_by_importer)

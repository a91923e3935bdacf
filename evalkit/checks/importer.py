"""The codes the importers emit (:mod:`evalkit.readers`), declared once, here, in the catalogue.

A reader reports what it read around as a :class:`~evalkit.model.Finding` (``Problem`` is the same
type) with its code, message, location and the cell's text; it may leave ``family`` and
``severity`` empty: :func:`~evalkit.checks.run_checks` completes them from these entries, and a
profile may ignore or re-grade them like any check. The entries' functions find nothing
themselves — the reader already did.
"""

from __future__ import annotations

from collections.abc import Iterable

from evalkit.checks.registry import KIND_IMPORTER, Check, Context, check
from evalkit.model import Finding


def _importer(code: str, family: str, severity: str, title: str, what: str, why: str, example: str) -> Check:
    def emitted_by_importer(chk: Check, ctx: Context) -> Iterable[Finding]:
        # The importer's problems become findings in run_checks; nothing to find here.
        return ()

    return check(code, family, severity, title, what, why=why, example=example, kind=KIND_IMPORTER)(
        emitted_by_importer
    )


ROW_SHORT = _importer(
    "IMPORT_ROW_SHORT",
    "structure",
    "warning",
    "表格行单元格少于表头",
    "Emitted by the importer: a table row has fewer cells than its header; the missing cells read "
    "as blank and the row may be shifted.",
    "A shifted row puts a target in the actual's column or drops the score, so the row's result "
    "cannot be trusted until the table is checked.",
    "The header has 8 columns and the row `产出指标 数量指标 培训人次 ≥2500人次` only 4.",
)
ROW_LONG = _importer(
    "IMPORT_ROW_LONG",
    "structure",
    "warning",
    "表格行单元格多于表头",
    "Emitted by the importer: a table row has more cells than its header; the extra cells are "
    "skipped and the row may be shifted.",
    "Extra cells usually mean a split cell or a stray tab, and the values may sit one column off.",
    "A row of 10 cells under an 8-column indicator header.",
)
ROW_UNKNOWN = _importer(
    "IMPORT_ROW_UNKNOWN",
    "structure",
    "info",
    "无法归入自评表任何部分的行",
    "Emitted by the importer: a table row fits none of the parts of the form (unit, budget, "
    "indicators, closing texts) and is skipped.",
    "Whatever it says is not reviewed; a reviewer should see that something was left out.",
    "A row `附件：佐证材料清单` between the budget block and the indicator header.",
)
NUMBER = _importer(
    "IMPORT_NUMBER",
    "value",
    "error",
    "数字单元格无法识别",
    "Emitted by the importer: a cell that must hold a number (预算数, 执行数, 分值, 得分…) cannot "
    "be read as one and counts as blank.",
    "The budget rate or a score is then computed without it, so the review's figure differs from "
    "what the unit meant to file.",
    "预算数 written `二百零三` instead of `202.98`.",
)
HEADER_COLUMN = _importer(
    "IMPORT_HEADER_COLUMN",
    "structure",
    "warning",
    "指标表头缺少目标值或完成值列",
    "Emitted by the importer: the indicator header has no target (年初目标值) or actual "
    "(实际完成值) column; those values count as blank.",
    "Without targets or actuals no indicator can be scored by the rules.",
    "An indicator header `一级指标 | 二级指标 | 三级指标 | 分值 | 得分` with no 目标值 column.",
)
NAME_MISSING = _importer(
    "IMPORT_NAME_MISSING",
    "structure",
    "warning",
    "指标行缺少三级指标名称",
    "Emitted by the importer: an indicator row has a target or an actual but no name (三级指标).",
    "An unnamed row cannot be tied to the report text or to a reviewer's decision.",
    "A row `产出指标 | 数量指标 | （空） | ≥12期 | 24期`.",
)
GOAL_EMPTY = _importer(
    "IMPORT_GOAL_EMPTY",
    "structure",
    "warning",
    "年度目标下没有指标",
    "Emitted by the importer: an annual goal (年度目标n) has no indicator rows.",
    "A goal with no indicator cannot be measured; often its rows were filed under another goal.",
    "`年度目标2：开展志愿服务` followed directly by `年度目标3`.",
)
FORMULA_NO_VALUE = _importer(
    "IMPORT_FORMULA_NO_VALUE",
    "value",
    "warning",
    "Excel公式单元格没有计算结果",
    "Emitted by the .xlsx importer: a cell holds a formula whose result was not saved in the file; "
    "it reads as blank (open and save the workbook in Excel, then import again).",
    "evalkit never evaluates a filing's formulas (they are untrusted), so the value is unknown.",
    "执行率 cell `=C5/B5` in a workbook written by a script that saved no cached values.",
)
HIDDEN = _importer(
    "IMPORT_HIDDEN",
    "structure",
    "info",
    "隐藏的行或列有内容",
    "Emitted by the .xlsx importer: hidden rows or columns hold text and were left out.",
    "What a reader of the sheet cannot see is not reviewed; hidden rows may hold the real figures.",
    "Row 12 (an earlier version of an indicator) hidden but filled.",
)
SHEETS = _importer(
    "IMPORT_SHEETS",
    "structure",
    "info",
    "多个工作表含自评表",
    "Emitted by the .xlsx importer: more than one sheet holds a self-evaluation table; only one was read.",
    "The other table may be the one meant for review (a newer version, another project).",
    "Sheets `自评表` and `自评表（修改）` both with an indicator header.",
)
MONEY_UNIT = _importer(
    "IMPORT_MONEY_UNIT",
    "value",
    "info",
    "预算金额单位不是万元",
    "Emitted by the importer: the budget block states its amounts in another unit (（元）, 单位：元); "
    "they are converted to 万元, the unit the review shows.",
    "An amount read in the wrong unit is off by 10 000; the reviewer should see which unit was taken.",
    "A Yunnan table headed `项目资金（元）` with `387664.62` in 全年预算数: read as 38.77 万元.",
)
TARGET_ADJUSTED = _importer(
    "IMPORT_TARGET_ADJUSTED",
    "value",
    "info",
    "指标值经过调整",
    "Emitted by the importer: a table with 年初指标值 and 调整指标值 (Chongqing department tables) "
    "gives an adjusted target different from the initial one; the adjusted target is scored.",
    "A target lowered during the year makes the result look better; the change should be visible.",
    "`公益演出场次 | 年初指标值 40场 | 调整指标值 30场 | 全年完成值 30场`.",
)
COMPARATOR = _importer(
    "IMPORT_COMPARATOR",
    "value",
    "warning",
    "指标性质与指标值写法矛盾",
    "Emitted by the importer: the 指标性质 / 计算符号 column states one comparator and the target "
    "cell another; the target cell's own comparator is scored.",
    "Whether the row is scored as positive or reverse depends on which of the two is meant.",
    "指标性质 `≤` beside the target `≥90%`.",
)
QUANTITATIVE_TEXT = _importer(
    "IMPORT_QUANTITATIVE_TEXT",
    "value",
    "warning",
    "定量指标的指标值不是数值",
    "Emitted by the importer: the 指标性质 / 计算符号 column marks the row quantitative (定量, ≥, ≤…) "
    "but its target is words that hold no readable number.",
    "The row is then scored by its words (as a qualitative row) although the table says it is "
    "measured; the target must be checked against the source.",
    "`组织宣传活动次数 | 次 | 定量指标 | 到0次 | … | 43次` (an OCR'd or mistyped target).",
)
ENCODING = _importer(
    "IMPORT_ENCODING",
    "structure",
    "info",
    "文本文件的编码或换行符",
    "Emitted by the text-dump importer: the file is not UTF-8 with LF line endings; its encoding "
    "(GB18030/GBK, UTF-16 or UTF-8 with a BOM) and line endings (CRLF, CR) were detected from its "
    "bytes and it was read in them.",
    "A dump read in the wrong encoding garbles every name; saying which one was used lets a "
    "reviewer check it.",
    "A dump saved by Windows Notepad as ANSI (GBK) with CRLF line endings.",
)
NO_INDICATORS = _importer(
    "IMPORT_NO_INDICATORS",
    "structure",
    "error",
    "自评表没有指标行",
    "Emitted by the importer: the table has an indicator header but no indicator rows, or only its "
    "budget block, so no indicator can be scored (the budget part is still reviewed).",
    "Only the budget block counts, and the total says nothing about performance.",
    "A table published with its indicator header and no rows under it.",
)

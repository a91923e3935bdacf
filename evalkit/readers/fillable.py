"""The fillable .xlsx template units can file their self-evaluation in (``evalkit template``).

Two sheets: 填报说明 (how to fill the form, the value notation, the qualitative tiers) and 自评表,
laid out like the Ministry of Finance forms — the department-wide table (预算数/执行数/执行率 and
年度目标 blocks) or the project table (项目资金 rows with 年初预算数/全年预算数/全年执行数/分值/
执行率/得分, 年度总体目标, indicators with 分值/得分/偏差原因分析及改进措施). Headers are locked by
sheet protection without a password (审阅 → 撤销工作表保护 to add rows); input cells are unlocked
and shaded. Level names, qualitative tiers, 是/否 and the grade come from drop-down lists; target
and actual cells explain the comparator notation (≥ ≤ > < =) in their input message and still take
free text. A filled template reads back through :func:`evalkit.readers.xlsx.read_xlsx` to exactly
what was entered: the template writes no formula, so nothing depends on Excel having calculated.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from evalkit.fileio import atomic_write_bytes, set_text
from evalkit.levels import STANDARD_LEVEL1, STANDARD_LEVEL2
from evalkit.model import KIND_DEPARTMENT, KIND_PROJECT

KINDS = (KIND_DEPARTMENT, KIND_PROJECT)
SHEET_FORM = "自评表"
SHEET_HELP = "填报说明"
QUALITATIVE = ("达成预期指标", "部分达成预期指标并具有一定效果", "未达成预期指标且效果较差")
YES_NO = ("是", "否")
GRADES = ("优", "良", "中", "差")
LEVEL2_NAMES = tuple(name for names in STANDARD_LEVEL2.values() for name in names)
DEPARTMENT_GOALS = 3  # 年度目标 blocks in the department form
DEPARTMENT_ROWS = 10  # indicator rows per goal
PROJECT_ROWS = 20  # indicator rows of the project form

NOTATION_PROMPT = (
    "数值：比较符+数值+单位，如 ≥1500人、≤90万元、>90%、=100%；不写比较符视为“不低于”。"
    "是否类填“是/否”；定性指标选三档之一；时限如“12月底前完成”。"
)
_TEXT = "@"  # Excel's text format: what is typed stays as typed ("1/2" is no date, "100%" no 1)
_AMOUNT = "0.00"


def default_template_name(kind: str = KIND_DEPARTMENT) -> str:
    """The file name ``evalkit template`` writes by default: ``自评表模板_部门整体.xlsx``."""
    return f"自评表模板_{kind}.xlsx"


def write_template(path: str | os.PathLike[str] | None = None, kind: str = KIND_DEPARTMENT) -> Path:
    """Write the fillable template of ``kind`` (部门整体 or 项目) to ``path`` (atomically)."""
    target = Path(path) if path else Path(default_template_name(kind))
    buffer = io.BytesIO()
    build_template(kind).save(buffer)
    return atomic_write_bytes(target, buffer.getvalue())


def build_template(kind: str = KIND_DEPARTMENT):
    """The template workbook (openpyxl) of ``kind``: instructions sheet, then the form."""
    from openpyxl import Workbook

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {KINDS}")
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = SHEET_HELP
    form = _Form(wb.create_sheet(SHEET_FORM))
    if kind == KIND_DEPARTMENT:
        _department(form)
    else:
        _project(form)
    form.finish()
    _instructions(help_ws, kind)
    wb.properties.title = f"{kind}绩效自评表填报模板"
    wb.properties.creator = "evalkit"
    wb.active = 1  # open on the form; the instructions are one tab to the left
    return wb


# --- the form ---------------------------------------------------------------------------------


class _Form:
    """A worksheet being laid out: labels (locked), inputs (unlocked, shaded), lists, borders."""

    def __init__(self, ws) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.ws = ws
        self.width = 0
        self.row = 0
        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.label_fill = PatternFill("solid", fgColor="E7E6E6")
        self.input_fill = PatternFill("solid", fgColor="FFF9DB")
        self.bold = Font(bold=True)
        self.wrap = Alignment(wrap_text=True, vertical="center")
        self.center = Alignment(wrap_text=True, vertical="center", horizontal="center")
        self.validations: dict[str, object] = {}

    def cell(self, col: int, text: object = None, *, row: int | None = None, span: int = 1, down: int = 1):
        """Place a locked label at ``col`` of the current row (or ``row``), merged over ``span``
        columns and ``down`` rows."""
        r = row or self.row
        c = set_text(self.ws.cell(row=r, column=col), text)
        c.alignment = self.center
        c.fill = self.label_fill
        c.font = self.bold
        self._merge(r, col, span, down)
        return c

    def input(
        self,
        col: int,
        *,
        span: int = 1,
        fmt: str = _TEXT,
        lists: str | None = None,
        value: object = None,
        left: bool = False,
    ):
        """Place an unlocked input cell (shaded) at ``col`` of the current row."""
        from openpyxl.styles import Alignment, Protection

        c = set_text(self.ws.cell(row=self.row, column=col), value)
        c.protection = Protection(locked=False)
        c.fill = self.input_fill
        c.number_format = fmt
        c.alignment = (
            Alignment(wrap_text=True, vertical="top")
            if left
            else Alignment(wrap_text=True, vertical="center")
        )
        self._merge(self.row, col, span, 1)
        if lists:
            self.validations[lists].add(c.coordinate)
        return c

    def fixed(self, col: int, text: str, *, span: int = 1) -> None:
        """A locked cell that is part of the form's content (the notes), not a header."""
        c = set_text(self.ws.cell(row=self.row, column=col), text)
        c.alignment = self.wrap
        self._merge(self.row, col, span, 1)

    def _merge(self, r: int, col: int, span: int, down: int) -> None:
        for rr in range(r, r + down):
            for cc in range(col, col + span):
                self.ws.cell(row=rr, column=cc).border = self.border
        if span > 1 or down > 1:
            self.ws.merge_cells(
                start_row=r, start_column=col, end_row=r + down - 1, end_column=col + span - 1
            )

    def next(self, height: float | None = None) -> int:
        self.row += 1
        if height:
            self.ws.row_dimensions[self.row].height = height
        return self.row

    def lists(self) -> None:
        from openpyxl.worksheet.datavalidation import DataValidation

        def choice(items, title, prompt, strict=True, style="stop"):
            return DataValidation(
                type="list",
                formula1='"' + ",".join(items) + '"',
                allow_blank=True,
                showErrorMessage=strict,
                errorStyle=style,
                errorTitle="请从列表中选择",
                error="请从下拉列表中选择；如确需其他写法，可在弹出提示中选择“是”保留。",
                promptTitle=title,
                prompt=prompt,
                showInputMessage=True,
            )

        def hint(title, prompt):
            # no rule ("any value"), only the input message shown when the cell is selected
            return DataValidation(allow_blank=True, promptTitle=title, prompt=prompt, showInputMessage=True)

        def number(kind, lo, hi, title, prompt):
            return DataValidation(
                type=kind,
                operator="between",
                formula1=str(lo),
                formula2=str(hi),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="请填数字",
                error=f"{prompt}（{lo}～{hi}）",
                promptTitle=title,
                prompt=prompt,
                showInputMessage=True,
            )

        self.validations = {
            "level1": choice(STANDARD_LEVEL1, "一级指标", "从列表选择：产出指标、效益指标、满意度指标。"),
            "level2": choice(
                LEVEL2_NAMES, "二级指标", "从列表选择与一级指标对应的二级指标。", style="warning"
            ),
            "value": choice((*YES_NO, *QUALITATIVE), "目标值/完成值写法", NOTATION_PROMPT, strict=False),
            "grade": choice(GRADES, "自评等级", "优（≥90分）、良（80～90分）、中（60～80分）、差（<60分）。"),
            "amount": number("decimal", 0, 10**9, "金额（万元）", "填数字，单位万元，如 202.98"),
            "rate": hint("执行率", "执行率=执行数/预算数，填百分数，如 92.84% 或 92.84"),
            "points": number("decimal", 0, 100, "分值/得分", "填数字，如 10 或 9.5"),
            "year": number("whole", 2000, 2100, "评价年度", "填四位年份，如 2024"),
            "date": hint("填报日期", "如 2025.1.15 或 2025-01-15"),
        }
        for dv in self.validations.values():
            self.ws.add_data_validation(dv)

    def finish(self) -> None:
        from openpyxl.worksheet.properties import PageSetupProperties

        ws = self.ws
        for dv in self.validations.values():
            if not dv.sqref:
                ws.data_validations.dataValidation.remove(dv)
        # Locked headers: protection without a password; formatting and adding rows stay allowed.
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.formatRows = False
        ws.protection.insertRows = False
        ws.protection.deleteRows = False
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0


def _title(form: _Form, text: str) -> None:
    from openpyxl.styles import Font

    form.next(30)
    c = set_text(form.ws.cell(row=form.row, column=1), text)
    c.font = Font(bold=True, size=16)
    c.alignment = form.center
    form.ws.merge_cells(start_row=form.row, start_column=1, end_row=form.row, end_column=form.width)


def _widths(form: _Form, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    form.width = len(widths)
    for i, w in enumerate(widths, start=1):
        form.ws.column_dimensions[get_column_letter(i)].width = w


def _indicator_rows(form: _Form, n: int, with_scores: bool) -> None:
    for _ in range(n):
        form.next(30)
        form.input(2, lists="level1")
        form.input(3, lists="level2")
        form.input(4)
        form.input(5, lists="value")
        form.input(6, lists="value")
        if with_scores:
            form.input(7, fmt="General", lists="points")
            form.input(8, fmt="General", lists="points")
            form.input(9, left=True)


def _closing(form: _Form, span: int, notes: str) -> None:
    form.next(60)
    form.cell(1, "偏差大或目标未完成原因分析")
    form.input(2, span=span, left=True)
    form.next(60)
    form.cell(1, "改进措施及结果应用方案")
    form.input(2, span=span, left=True)
    form.next(75)
    form.cell(1, "备注")
    form.fixed(2, notes, span=span)


DEPARTMENT_NOTES = (
    "1.预算执行情况口径：预算数为年初预算数（包括上年结转），执行数为单位实际支出数，执行率=执行数/预算数。\n"
    "2.定性指标分档原则：分为达成预期指标、部分达成预期指标并具有一定效果、未达成预期指标且效果较差三档。"
    "选择部分达成或未达成的，必须说明原因和改进措施。\n"
    "3.目标值、实际完成值的写法见“填报说明”。"
)
PROJECT_NOTES = (
    "1.预算执行率=全年执行数/全年预算数×100%。\n"
    "2.定性指标分档原则：分为达成预期指标、部分达成预期指标并具有一定效果、未达成预期指标且效果较差三档。"
    "选择部分达成或未达成的，必须说明原因和改进措施。\n"
    "3.目标值、实际完成值的写法见“填报说明”。"
)


def _department(form: _Form) -> None:
    _widths(form, [16, 13, 17, 30, 18, 18])
    form.lists()
    _title(form, "部门整体支出绩效自评表")
    form.next(22)
    form.cell(1, "单位名称")
    form.input(2, span=3)
    form.cell(5, "评价年度")
    form.input(6, fmt="0", lists="year")
    form.next(22)
    form.cell(1, "主管部门")
    form.input(2, span=3)
    form.cell(5, "填报日期")
    form.input(6, lists="date")
    form.next(30)
    form.cell(1, "基本支出总额（万元）")
    form.input(2, fmt=_AMOUNT, lists="amount")
    form.cell(3, "项目支出总额（万元）")
    form.input(4, fmt=_AMOUNT, lists="amount")
    form.cell(5, None, span=2)
    form.next(30)
    form.cell(1, "预算执行情况（万元）", down=2)
    form.cell(2, None, span=2)
    form.cell(4, "预算数（A）")
    form.cell(5, "执行数（B）")
    form.cell(6, "执行率（B/A）")
    form.next(22)
    form.cell(2, "部门整体支出总额", span=2)
    form.input(4, fmt=_AMOUNT, lists="amount")
    form.input(5, fmt=_AMOUNT, lists="amount")
    form.input(6, fmt="General", lists="rate")
    for g in range(1, DEPARTMENT_GOALS + 1):
        form.next(30)
        form.cell(1, f"年度目标{g}：")
        form.input(2, span=5, left=True)
        form.next(22)
        form.cell(1, "年度绩效目标完成情况", down=DEPARTMENT_ROWS + 1)
        for col, text in enumerate(("一级指标", "二级指标", "三级指标", "年初目标值", "实际完成值"), start=2):
            form.cell(col, text)
        _indicator_rows(form, DEPARTMENT_ROWS, with_scores=False)
    form.next(22)
    form.cell(1, "自评得分")
    form.input(2, span=2, fmt="General", lists="points")
    form.cell(4, "自评等级")
    form.input(5, span=2, lists="grade")
    _closing(form, 5, DEPARTMENT_NOTES)


def _project(form: _Form) -> None:
    _widths(form, [14, 12, 16, 26, 16, 16, 9, 9, 28])
    form.lists()
    _title(form, "项目支出绩效自评表")
    form.next(22)
    form.cell(1, "评价年度")
    form.input(2, fmt="0", lists="year")
    form.cell(3, "填报日期")
    form.input(4, lists="date")
    form.cell(5, None, span=5)
    form.next(22)
    form.cell(1, "项目名称")
    form.input(2, span=8)
    form.next(22)
    form.cell(1, "主管部门")
    form.input(2, span=3)
    form.cell(5, "实施单位")
    form.input(6, span=4)
    form.next(22)
    form.cell(1, "项目资金（万元）", down=5)
    form.cell(2, None, span=2)
    for col, text in enumerate(("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), start=4):
        form.cell(col, text)
    form.next(22)
    form.cell(2, "年度资金总额", span=2)
    for col in (4, 5, 6):
        form.input(col, fmt=_AMOUNT, lists="amount")
    form.input(7, fmt="General", lists="points", value=10)
    form.input(8, fmt="General", lists="rate")
    form.input(9, fmt="General", lists="points")
    for label in ("其中：当年财政拨款", "上年结转资金", "其他资金"):
        form.next(22)
        form.cell(2, label, span=2)
        for col in (4, 5, 6):
            form.input(col, fmt=_AMOUNT, lists="amount")
        for col in (7, 8, 9):
            form.fixed(col, "—")
    form.next(22)
    form.cell(1, "年度总体目标", down=2)
    form.cell(2, "预期目标", span=4)
    form.cell(6, "实际完成情况", span=4)
    form.next(60)
    form.input(2, span=4, left=True)
    form.input(6, span=4, left=True)
    form.next(30)
    form.cell(1, "绩效指标", down=PROJECT_ROWS + 1)
    headers = (
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值",
        "实际完成值",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    )
    for col, text in enumerate(headers, start=2):
        form.cell(col, text)
    _indicator_rows(form, PROJECT_ROWS, with_scores=True)
    form.next(22)
    form.cell(1, "总分", span=6)
    form.input(7, fmt="General", lists="points")
    form.input(8, fmt="General", lists="points")
    form.cell(9, None)
    form.next(22)
    form.cell(1, "自评等级")
    form.input(2, span=2, lists="grade")
    form.cell(4, None, span=6)
    _closing(form, 8, PROJECT_NOTES)


# --- the instructions -------------------------------------------------------------------------

_NOTATION = (
    ("1500人、26次、150万元", "数值加单位；目标值不写比较符，视为“不低于”", "≥（成本、上限类指标除外）"),
    ("≥12篇、>90%、≤90万元、<5%、=100%", "比较符+数值+单位；全角＞＜＝％也可", "按比较符"),
    ("不低于95%、不少于7所、2种以上", "文字写法的“不低于”", "≥"),
    ("不超过90万元、不高于5%、以内", "文字写法的“不超过”", "≤"),
    ("12月底前完成、2024年12月31日前", "时限：在期限内完成即达标", "完成时间"),
    ("是 / 否", "是否类指标", "布尔"),
    ("达成预期指标 / 部分达成预期指标并具有一定效果 / 未达成预期指标且效果较差", "定性指标三档", "定性"),
)


def _instructions(ws, kind: str) -> None:
    from openpyxl.styles import Alignment, Font

    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 26
    wrap = Alignment(wrap_text=True, vertical="top")
    lines: list[tuple[str, ...]] = [
        (f"{kind}支出绩效自评表 填报说明",),
        ("",),
        ("一、怎么填",),
        ("1. 在“自评表”工作表中只填写浅黄色的单元格；灰色表头已锁定，不要改动表头文字。",),
        ("2. 工作表保护没有密码：如需增加指标行，点“审阅”→“撤销工作表保护”，在指标行中间插入整行后再填写。",),
        ("3. 一级指标、二级指标、自评等级请从下拉列表选择；同一一级指标下的连续行可只在第一行填写。",),
        ("4. 金额单位为万元，填数字（如 202.98），不要带“万元”；执行率填百分数（如 92.84%）。",),
        ("5. 不要使用公式：导入时只读取单元格中显示的值，公式不会被执行。",),
        (
            "6. 未完成目标（实际完成值低于目标值）的指标，必须在“偏差原因分析及改进措施”或“偏差大或目标未完成原因分析”中说明原因。",
        ),
        (
            "7. 年度目标"
            + ("最多 3 个，每个目标 10 行；" if kind == KIND_DEPARTMENT else "填在“年度总体目标”；")
            + "用不完的行留空即可。",
        ),
        ("",),
        ("二、目标值和实际完成值的写法", "含义", "视为"),
        *_NOTATION,
        ("",),
        ("三、定性指标分档",),
        ("达成预期指标：得该指标分值的 80%～100%",),
        ("部分达成预期指标并具有一定效果：得分值的 60%～80%",),
        ("未达成预期指标且效果较差：得分值的 0～60%",),
        ("",),
        ("四、交回与导入",),
        ("填好后保存为 .xlsx（不要另存为 .xls，不要设置打开密码），交给财政局绩效科或评价机构。",),
        ("复核方用 evalkit import 导入：evalkit import 文件夹 --year 年度。",),
    ]
    heading = Font(bold=True, size=12)
    for r, values in enumerate(lines, start=1):
        for c, value in enumerate(values, start=1):
            cell = set_text(ws.cell(row=r, column=c), value or None)
            cell.alignment = wrap
            if c == 1 and (r == 1 or value[:2] in ("一、", "二、", "三、", "四、")):
                cell.font = Font(bold=True, size=16) if r == 1 else heading
            elif values[0].startswith("二、") and c > 1:
                cell.font = heading

"""The form builder: the rows of a self-evaluation table (自评表) in, a :class:`~evalkit.model.Filing` out.

Each format's reader (text dump, .docx, .xlsx) turns its table into a grid
(:mod:`evalkit.readers.grid`) and calls :func:`build_filing` with the narrative paragraphs and the
lines that stand between the narrative and the table (title, 单位名称, 填报日期).

The interpretation is header-driven (RULES §2), not tied to one province's form: rows are
recognised by what their label cells say (一级指标 … 实际完成值, 预算数 … 执行率, 年度目标n：…,
总分 / 合计, 偏差大或目标未完成原因分析, 备注), and values are taken by the role of their column in
the latest header row. Which header text names which role is data: the vocabulary in
``layouts.yaml`` (:mod:`evalkit.readers.layouts`). What the text around says (year, grade, basis,
points in labels) is :mod:`evalkit.readers.inference`'s. What can be read around (a short row, an
unreadable number) becomes a :class:`~evalkit.model.Problem` in ``filing.problems``; only a grid
without an indicator header at all raises :class:`~evalkit.errors.FilingError`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalkit.errors import FilingError
from evalkit.levels import normalize_levels
from evalkit.model import (
    LEVEL1_BENEFIT,
    LEVEL1_OUTPUT,
    LEVEL1_SATISFACTION,
    Filing,
    Goal,
    Indicator,
    Loc,
    Paragraph,
    Problem,
)
from evalkit.readers import inference
from evalkit.readers.budget import BudgetBlock, is_budget_header
from evalkit.readers.codes import (
    IMPORT_COMPARATOR,
    IMPORT_GOAL_EMPTY,
    IMPORT_HEADER_COLUMN,
    IMPORT_NAME_MISSING,
    IMPORT_NO_INDICATORS,
    IMPORT_NUMBER,
    IMPORT_QUANTITATIVE_TEXT,
    IMPORT_ROW_LONG,
    IMPORT_ROW_SHORT,
    IMPORT_ROW_UNKNOWN,
    IMPORT_TARGET_ADJUSTED,
)
from evalkit.readers.grid import (
    Cell,
    cell_key,
    distinct,
    indicator_roles,
    is_indicator_header,
    is_notes_label,
    is_number_text,
    merge_header_rows,
    one_line,
    read_number,
    short,
)
from evalkit.readers.layouts import vocabulary
from evalkit.readers.unitfields import UnitFields
from evalkit.values import quantity
from evalkit.values.notation import NUMBER, QUALITATIVE, parse_value

_YES_NO = {"是": True, "否": False, "√": True, "×": False, "Y": True, "N": False}

# Roles of a row, as :func:`row_role` sees it from its text alone.
ROLE_BLANK = "blank"
ROLE_INDICATOR_HEADER = "indicator_header"
ROLE_BUDGET_HEADER = "budget_header"
ROLE_GOAL = "goal"
ROLE_OVERALL = "overall"  # 年度总体目标
ROLE_TOTAL = "total"  # 总分 / 合计
ROLE_CLOSING = "closing"  # 偏差大或目标未完成原因分析 / 改进措施及结果应用方案
ROLE_NOTES = "notes"  # 备注
ROLE_TITLE = "title"  # …绩效自评表 / （2024年度）
ROLE_OTHER = "other"

NOT_TABLE = "未找到绩效自评表"
EXPECTED_TABLE = (
    "含指标表头行（如“一级指标、二级指标、三级指标、年初目标值、实际完成值”，"
    "或“指标名称、指标值、实际完成值”）的绩效自评表"
)

_SPACE = re.compile(r"\s+")
_GOAL = re.compile(
    r"^\s*(?:年度)?\s*(?:绩效)?\s*目标\s*([0-9０-９一二三四五六七八九十]+)\s*[:：]\s*(.*)$", re.S
)
_GOAL_LABEL = re.compile(r"^(?:年度)?(?:绩效)?目标[0-9一二三四五六七八九十]+:?$")


def _closing_key(key: str) -> str | None:
    """closing[...] key for a closing label cell, or None."""
    if len(key) > 20:
        return None
    if "原因" in key and ("偏差" in key or "未完成" in key or "分析" in key or "问题" in key):
        return "deviation_analysis"
    if "改进措施" in key or "结果应用" in key or "整改措施" in key:
        return "improvement"
    return None


def _goal_title(texts: Sequence[str]) -> str | None:
    """The goal title when the row starts a goal (年度目标1：…), else None."""
    cells = distinct(texts)
    if len(cells) == 1:
        text = texts[cells[0][0]]
        m = _GOAL.match(text.strip())
        return m.group(2).strip() if m else None
    if len(cells) == 2 and _GOAL_LABEL.match(inference.without_points(cells[0][1])):
        return texts[cells[1][0]].strip()
    return None


def row_role(texts: Sequence[str]) -> str:
    """What a row is, from its text alone: one of the ``ROLE_*`` constants.

    Readers use it to reassemble rows their format split (the text dump); :func:`build_filing`
    refines it with the block the row stands in (a 合计 row of the budget block is budget data).
    """
    cells = distinct(texts)
    if not cells:
        return ROLE_BLANK
    if is_indicator_header(texts):
        return ROLE_INDICATOR_HEADER
    if _goal_title(texts) is not None:
        return ROLE_GOAL
    if is_budget_header(texts):
        return ROLE_BUDGET_HEADER
    first_index, first = cells[0]
    if is_notes_label(first):
        return ROLE_NOTES
    if first_index <= 1 and _closing_key(first):
        return ROLE_CLOSING
    if first_index <= 1 and vocabulary().is_total_label(first):
        return ROLE_TOTAL
    if first_index <= 1 and (first.startswith("年度总体目标") or first in ("总体目标", "整体目标")):
        return ROLE_OVERALL
    if len(cells) == 1 and ("自评表" in first or inference.YEAR_PAREN.fullmatch(first)):
        return ROLE_TITLE
    return ROLE_OTHER


def _total_label_index(row: list[Cell]) -> int | None:
    """The index of a 总分 / 合计 label among a row's first cells (not its last), or None."""
    vocab = vocabulary()
    cells = distinct([c.text for c in row])
    for i, key in cells[:-1][:4]:
        if vocab.is_total_label(key):
            return i
    return None


# --- the interpreter --------------------------------------------------------------------------


class _Builder(UnitFields, BudgetBlock):
    def __init__(self, source: str, source_format: str) -> None:
        self.filing = Filing(source=source, source_format=source_format)
        self.source = source
        self.vocab = vocabulary()
        self.found: dict[str, tuple[str, Loc]] = {}  # unit field → (text, where)
        self.titles: list[tuple[str, Loc]] = []
        self.found_indicator_header = False
        self.explicit_goals = False
        # indicator block
        self.cols: dict[str, int] = {}
        self.width = 0
        self.prev_l1 = ""
        self.prev_l2 = ""
        self.prev_nature = ""
        # budget block
        self.bcols: dict[str, int] = {}
        self.bwidth = 0
        self.bheaders: list[str] = []
        self.blabel_col = 0
        self.block_label = "预算执行情况"
        self.total_seen = False
        self.is_project_block = False
        self.money_unit = "万元"  # the budget block's money unit, from its header or the preamble
        self.header_points: float | None = None
        # overall goal block
        self.ocols: dict[str, int] = {}
        self.owidth = 0
        self.state: str | None = None
        self.last_closing: str | None = None

    # problems --------------------------------------------------------------------------------

    def problem(self, code: str, family: str, severity: str, message: str, where: str, loc):
        self.filing.problems.append(Problem(code, family, severity, message, where, loc))

    def number(self, cell: Cell | None, where: str, expected: str) -> float | None:
        if cell is None:
            return None
        value, ok = read_number(cell.text)
        if not ok:
            text = cell.text.strip()
            self.problem(
                IMPORT_NUMBER,
                "value",
                "error",
                f"{where}：“{text}”不是可读的数字，应为{expected}；此项按未填写处理",
                where,
                cell.loc,
            )
        return value

    # rows ------------------------------------------------------------------------------------

    def row(self, r: int, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        role = row_role(texts)
        if role == ROLE_BLANK:
            return
        if role == ROLE_TOTAL and self.state == "budget":
            role = ROLE_OTHER  # the budget block's 合计 row is budget data
        if role == ROLE_INDICATOR_HEADER:
            self.indicator_header(row)
        elif role == ROLE_GOAL:
            self.goal(row, _goal_title(texts) or "")
        elif role == ROLE_BUDGET_HEADER:
            self.budget_header(row)
        elif role == ROLE_NOTES:
            self.closing(row, "notes")
        elif role == ROLE_CLOSING:
            self.closing(row, _closing_key(distinct(texts)[0][1]) or "notes")
        elif role == ROLE_TOTAL:
            self.total(row)
        elif role == ROLE_OVERALL:
            self.overall(row)
        elif role == ROLE_TITLE:
            self.titles.append((" ".join(t.strip() for t in texts if t.strip()), row[0].loc))
            self.inline_labels(texts, row)
        else:
            self.other(r, row)

    def other(self, r: int, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        if self.state == "indicators" and _total_label_index(row) is not None:
            self.total(row)
            return
        if self.key_values(row):
            return
        if self.state == "budget":
            self.budget_row(row)
        elif self.state == "overall":
            self.overall_row(row)
        elif self.state == "indicators":
            self.indicator_row(row)
        elif self.state == "closing" and self.last_closing and len(distinct(texts)) == 1:
            extra = next(t.strip() for t in texts if t.strip())
            key = self.last_closing
            closing = self.filing.closing
            closing[key] = f"{closing[key]}\n{extra}" if closing.get(key) else extra
        else:
            text = " | ".join(t.strip() for t in texts if t.strip())
            where = f"表格第{r + 1}行"
            self.problem(
                IMPORT_ROW_UNKNOWN,
                "structure",
                "info",
                f"{where}不属于自评表的任何部分，已略过：“{short(text)}”",
                where,
                row[0].loc,
            )

    # 年度总体目标 -----------------------------------------------------------------------------

    def overall(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        cells = distinct(texts)[1:]
        goal_col = next((i for i, k in cells if "预期目标" in k or k == "年度目标" or "设定目标" in k), None)
        result_col = next((i for i, k in cells if "实际完成" in k or "完成情况" in k), None)
        self.state = "overall"
        if goal_col is not None and result_col is not None:
            self.ocols = {"goal": goal_col, "result": result_col}
            self.owidth = len(row)
            return
        values = [texts[i].strip() for i, _ in cells]
        self.add_overall(values)

    def overall_row(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        if self.ocols and len(row) == self.owidth:
            values = [texts[self.ocols["goal"]].strip(), texts[self.ocols["result"]].strip()]
        else:
            values = [texts[i].strip() for i, _ in distinct(texts)]
        self.add_overall(values)

    def add_overall(self, values: list[str]) -> None:
        closing = self.filing.closing
        for key, text in zip(("overall_goal", "overall_result"), values, strict=False):
            if text:
                closing[key] = f"{closing[key]}\n{text}" if closing.get(key) else text

    # goals and indicators --------------------------------------------------------------------

    def goal(self, row: list[Cell], title: str) -> None:
        goals = self.filing.goals
        self.explicit_goals = True
        loc = next((c.loc for c in row if c.text.strip()), row[0].loc)
        label = next((c.text for c in row if c.text.strip()), "")
        points = inference.points_in(title) if title else inference.points_in(label)
        title = inference.without_points(title)
        if goals and not goals[-1].indicators and not goals[-1].title:
            goals[-1].title, goals[-1].loc = title, loc
            goals[-1].points = goals[-1].points if points is None else points
        else:
            goals.append(Goal(index=len(goals) + 1, title=title, loc=loc, points=points))
        self.prev_l1 = self.prev_l2 = self.prev_nature = ""
        self.state = "indicators" if self.cols else "goal"

    def indicator_header(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        self.cols = indicator_roles(texts)
        self.cols.pop("ignore", None)
        self.width = len(row)
        self.found_indicator_header = True
        # A header repeated inside a goal (the table going on after a page break) keeps the levels
        # of the rows above it; a goal row or the first header starts them afresh.
        if not (self.filing.goals and self.filing.goals[-1].indicators):
            self.prev_l1 = self.prev_l2 = self.prev_nature = ""
        self.state = "indicators"
        if not self.filing.goals:
            self.filing.goals.append(Goal(index=1, loc=row[0].loc))
        missing = [
            name
            for key, name in (("target", "年初目标值"), ("actual", "实际完成值"))
            if key not in self.cols and not (key == "target" and "adjusted_target" in self.cols)
        ]
        if missing:
            where = f"目标{self.filing.goals[-1].index} 表头"
            self.problem(
                IMPORT_HEADER_COLUMN,
                "structure",
                "warning",
                f"{where}缺少“{'、'.join(missing)}”列，相应内容按未填写处理",
                where,
                row[0].loc,
            )

    def aligned(self, row: list[Cell], where: str, first_loc: Loc) -> list[Cell | None]:
        """A row's cells by header column: a short row shifted right by its blank leading
        columns (merged level cells), a long row trimmed; both reported."""
        n, width = len(row), self.width
        lead = min(self.cols.values())
        if n == width:
            return list(row)
        if n < width:
            shift = min(width - n, lead)
            cells: list[Cell | None] = [None] * shift + list(row) + [None] * (width - n - shift)
            if width - n > shift:
                self.problem(
                    IMPORT_ROW_SHORT,
                    "structure",
                    "warning",
                    f"{where}只有{n}个单元格，表头有{width}列；缺少的单元格按空白处理，请核对该行",
                    where,
                    first_loc,
                )
            return cells
        extra = n - width
        leading_blank = all(not c.text.strip() for c in row[:extra])
        self.problem(
            IMPORT_ROW_LONG,
            "structure",
            "warning",
            f"{where}有{n}个单元格，表头只有{width}列；多出的单元格已略过，请核对该行",
            where,
            first_loc,
        )
        return list(row[extra:]) if leading_blank else list(row[:width])

    def indicator_row(self, row: list[Cell]) -> None:
        goal = self.filing.goals[-1]
        r = len(goal.indicators) + 1
        where = f"目标{goal.index} 第{r}行"
        first_loc = next((c.loc for c in row if c.text.strip()), row[0].loc)
        cells = self.aligned(row, where, first_loc)

        def cell(role: str) -> Cell | None:
            j = self.cols.get(role)
            return cells[j] if j is not None else None

        def text(role: str) -> str:
            c = cell(role)
            return c.text.strip() if c is not None else ""

        l1, l2, name = text("level1"), text("level2"), text("level3")
        target, actual = text("target"), text("actual")
        adjusted = text("adjusted_target")
        nature, unit = text("comparator"), text("unit")
        if not l1:
            l1 = self.prev_l1
            l2 = l2 or self.prev_l2
        elif not l2 and cell_key(l1) == cell_key(self.prev_l1):
            l2 = self.prev_l2
        self.prev_l1, self.prev_l2 = l1, l2
        # 指标性质 merged down over a block of rows (定量指标 / 定性指标) passes to the rows below
        if nature and self.vocab.comparator(nature) is None and self.vocab.is_nature_word(nature):
            self.prev_nature = nature
        elif not nature:
            nature = self.prev_nature
        weight_text, score_text = text("weight"), text("score")
        if not (name or target or actual or adjusted):
            return  # a row carrying only level names (or nothing): they pass to the next rows
        if "level1" not in self.cols and self.section(row, name):
            return
        if (
            self.vocab.is_component(name)
            and "weight" in self.cols
            and not (weight_text or score_text)
            and self.filing.goals[-1].indicators
        ):
            return  # a 其中 breakdown of the indicator above, with no points of its own
        if self.vocab.is_placeholder(name) and not (
            cell_key(target) or cell_key(actual) or cell_key(adjusted) or weight_text or score_text
        ):
            return  # the form's own blank row (……, 指标2)
        if not name:
            self.problem(
                IMPORT_NAME_MISSING,
                "structure",
                "warning",
                f"{where}没有三级指标名称（目标值“{target}”，实际值“{actual}”）",
                where,
                first_loc,
            )
        level1, level2 = normalize_levels(l1, l2, name)
        name_cell = cell("level3")
        loc = name_cell.loc if name_cell is not None and name else first_loc
        scored = adjusted if cell_key(adjusted) and parse_value(adjusted).kind != "missing" else target
        initial = target if scored is adjusted else ""
        if initial and cell_key(initial) != cell_key(adjusted):
            self.problem(
                IMPORT_TARGET_ADJUSTED,
                "value",
                "info",
                f"{where}（{one_line(name)}）指标值由年初“{initial}”调整为“{adjusted}”，按调整后指标值计分",
                where,
                loc,
            )
        named = f"{where}（{one_line(name)}）" if name else where
        target_text = self.compose_target(scored, nature, unit, named, loc)
        coefficient = None
        if cell("coefficient") is not None:
            coefficient = self.number(cell("coefficient"), f"{where} 得分系数", "百分数，如 100%")
        core = _YES_NO.get(cell_key(text("core"))) if cell("core") is not None else None
        goal.indicators.append(
            Indicator(
                goal=goal.index,
                row=r,
                name=one_line(name),
                level1=level1,
                level2=level2,
                level1_raw=l1,
                level2_raw=l2,
                target_text=target_text,
                actual_text=actual,
                weight=self.number(cell("weight"), f"{where} 分值", "分值数字，如 10"),
                self_score=self.number(cell("score"), f"{where} 得分", "得分数字，如 9.5"),
                reason=text("reason"),
                loc=loc,
                comparator_text=nature,
                unit_text=unit,
                target_cell=scored if target_text != scored else "",
                initial_target_text=initial,
                coefficient=coefficient,
                core=core,
            )
        )

    def section(self, row: list[Cell], name: str) -> bool:
        """A section row of a table without level columns (一、产出指标 / 效益指标（30分）), which
        gives the level 1 of the rows below it; True when the row is one."""
        if len(distinct([c.text for c in row])) != 1:
            return False
        label = inference.without_points(re.sub(r"^[一二三四五六七八九十\d]+\s*[、.．]\s*", "", name))
        level1, _ = normalize_levels(label, "")
        if level1 not in (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION):
            return False
        self.prev_l1, self.prev_l2 = label, ""
        return True

    def compose_target(self, target: str, nature: str, unit: str, where: str, loc: Loc) -> str:
        """The target as scored, from a layout that splits it over columns: 指标性质 ``≥`` +
        指标值 ``95`` + 度量单位 ``%`` → ``≥95%``. A target cell that states its own comparator
        or unit keeps them; a 指标性质 that contradicts the cell's comparator is reported."""
        if not cell_key(target):
            return target
        value = parse_value(target)
        if value.kind != NUMBER:
            if nature and self.vocab.is_quantitative(nature) and value.kind == QUALITATIVE:
                self.problem(
                    IMPORT_QUANTITATIVE_TEXT,
                    "value",
                    "warning",
                    f"指标性质为“{nature}”，指标值“{target}”却不是可读的数值，"
                    "无法按定量指标计分，请核实指标值",
                    where,
                    loc,
                )
            return target
        comparator = self.vocab.comparator(nature) if nature else None
        out = target
        if comparator is not None and value.comparator is None:
            out = {">=": "≥", "<=": "≤"}.get(comparator, comparator) + out
        elif comparator is not None and value.comparator not in (None, comparator):
            self.problem(
                IMPORT_COMPARATOR,
                "value",
                "warning",
                f"指标性质为“{nature}”，指标值却写作“{target}”；按指标值的写法计分",
                where,
                loc,
            )
        if unit and not value.unit and not self.vocab.is_nature_word(unit):
            out = out + unit
        return out

    def total(self, row: list[Cell]) -> None:
        """A 总分 / 合计 row: the declared total from its 得分 column, never from its 分值 /
        权重 column (the weights' total); a grade beside it is the declared grade."""
        cells: list[Cell | None]
        if self.width and len(row) < self.width:
            cells = [None] * (self.width - len(row)) + list(row)  # merged label cells: right-aligned
        elif self.width and len(row) > self.width:
            cells = list(row[: self.width])
        else:
            cells = list(row)
        score_col = self.cols.get("score")
        weight_col = self.cols.get("weight")

        def at(col: int | None) -> Cell | None:
            if col is None or col >= len(cells):
                return None
            return cells[col]

        weight_cell, score_cell = at(weight_col), at(score_col)
        value_cell: Cell | None = None
        if score_cell is not None and is_number_text(score_cell.text) and score_cell is not weight_cell:
            value_cell = score_cell
            weight, _ = read_number(weight_cell.text) if weight_cell is not None else (None, True)
            budget_points = self.filing.budget.max_points
            if weight is not None and abs(weight - 100) > 0.01 and budget_points:
                value_cell = None  # a 合计 of the indicator rows alone (分值 90): a subtotal
        elif score_col is None and weight_col is None:
            numbers = [c for c in row[1:] if is_number_text(c.text)]
            if numbers:
                value_cell = numbers[-1]
        if value_cell is not None:
            num = self.number(value_cell, "总分", "总分数字，如 95")
            if num is not None:
                self.remember("declared_total", str(num), value_cell.loc)
        for c in row:
            grade = inference.grade_word(c.text)
            if grade:
                self.remember("declared_grade", grade, c.loc)
        self.key_values(row)
        self.state = "end"

    # closing rows ----------------------------------------------------------------------------

    def closing(self, row: list[Cell], key: str) -> None:
        texts = [c.text for c in row]
        cells = distinct(texts)
        first_index = cells[0][0]
        label = texts[first_index].strip()
        parts: list[str] = []
        m = re.match(r"^\s*(?:备注|注|说明|填表说明)\s*[:：]\s*(.*)$", label, re.S)
        if key == "notes" and m:
            parts.append(m.group(1).strip())
        parts += [texts[i].strip() for i, _ in cells[1:]]
        text = "\n".join(p for p in parts if p)
        closing = self.filing.closing
        closing[key] = (
            f"{closing[key]}\n{text}" if closing.get(key) and text else (text or closing.get(key, ""))
        )
        self.last_closing = key
        self.state = "closing"

    # the whole filing ------------------------------------------------------------------------

    def finish(
        self, paragraphs: list[Paragraph], preamble: Sequence[str | Paragraph], rows: list[list[Cell]]
    ) -> Filing:
        filing = self.filing
        filing.narrative = list(paragraphs)
        pre = [
            (p.text, p.loc or Loc(self.source)) if isinstance(p, Paragraph) else (str(p), Loc(self.source))
            for p in preamble
        ]
        titles = [(t.strip(), loc) for t, loc in pre if not self.inline_text(t, loc) and t.strip()]
        self.titles[:0] = titles
        self.finish_goals()
        self.finish_unit(paragraphs)
        self.finish_budget(paragraphs, pre, rows)
        return filing

    def finish_goals(self) -> None:
        filing = self.filing
        goals = filing.goals
        if not filing.indicators:
            self.problem(
                IMPORT_NO_INDICATORS,
                "structure",
                "error",
                "自评表有指标表头，但没有读到任何指标行"
                if self.found_indicator_header
                else "自评表只有预算执行情况，没有绩效指标表；只复核预算部分",
                "绩效指标",
                goals[0].loc if goals else None,
            )
        else:
            for goal in goals:
                if not goal.indicators:
                    where = f"目标{goal.index}"
                    self.problem(
                        IMPORT_GOAL_EMPTY,
                        "structure",
                        "warning",
                        f"{where}（{goal.title or '无标题'}）下没有指标行",
                        where,
                        goal.loc,
                    )
        overall = filing.closing.get("overall_goal")
        if overall and not self.explicit_goals and len(goals) == 1 and not goals[0].title:
            goals[0].title = overall


def build_filing(
    rows: list[list[Cell]],
    paragraphs: list[Paragraph],
    source: str,
    source_format: str,
    preamble: Sequence[str | Paragraph] = (),
) -> Filing:
    """Interpret a self-evaluation table and its narrative as a :class:`~evalkit.model.Filing`.

    ``rows`` is the table as a grid of :class:`~evalkit.readers.grid.Cell` (merged cells blank or
    repeated); ``paragraphs`` the narrative report; ``preamble`` the lines between the narrative and
    the table (title, "单位名称：…  填报日期：…"), as text or as paragraphs that carry their place.
    Raises :class:`~evalkit.errors.FilingError` when the grid has neither an indicator header row
    nor a budget header (a table with only its budget block is read, with a problem); anything
    else that cannot be read becomes a :class:`~evalkit.model.Problem` in ``filing.problems``.
    """
    builder = _Builder(str(source), source_format)
    for line in preamble:  # "单位：元" above the table
        unit = quantity.money_unit_of(line.text if isinstance(line, Paragraph) else str(line))
        if unit:
            builder.money_unit = unit
            break
    for r, row in enumerate(merge_header_rows(rows)):
        if row:
            builder.row(r, row)
    if not builder.found_indicator_header and not builder.bcols:
        raise FilingError(str(source), NOT_TABLE, expected=EXPECTED_TABLE)
    return builder.finish(paragraphs, preamble, rows)

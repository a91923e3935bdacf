"""The budget block of a self-evaluation table (预算执行情况 / 项目资金): its header, its rows,
and the basis of the execution rate.

A mixin of the form builder (:mod:`evalkit.readers.form`): the header's cells name the columns by
the vocabulary's budget roles (``layouts.yaml``), the money unit comes from the header or the lines
above the table (（元）, 单位：元), amounts are read by :func:`evalkit.values.quantity.read_amount`
(150万, 元 tables) and points written in a label are the block's points (预算执行情况(10分),
得分（20分*执行率）).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evalkit.model import FundRow, Loc, Paragraph
from evalkit.readers import inference
from evalkit.readers.codes import IMPORT_MONEY_UNIT, IMPORT_NUMBER
from evalkit.readers.grid import Cell, cell_key, distinct, is_notes_label, is_number_text, read_number
from evalkit.readers.layouts import NO_VALUE_ROLES, vocabulary
from evalkit.values import quantity

_SPACE = re.compile(r"\s+")
# Budget columns a horizontal key-value row may carry ("预算数 | 202.98 | 执行数 | 188.44").
_KV_BUDGET = {
    "预算数": "planned",
    "年初预算数": "planned",
    "年初预算": "planned",
    "调整数": "adjustment",
    "全年预算数": "adjusted",
    "调整后预算数": "adjusted",
    "执行数": "executed",
    "全年执行数": "executed",
    "执行率": "rate",
    "预算执行率": "rate",
}
_MONEY_FIELDS = ("planned", "adjustment", "adjusted", "executed")
# "其中:基本支出:900.47", "项目支出:1025.20", "纳入专户管理的非税收入拨款:" (label, amount or blank).
_INLINE_AMOUNT = re.compile(r"^(?:其中:)?([^:0-9]{2,20}):([0-9][0-9,.]*(?:万元|元|万)?)?$")


def is_budget_header(texts: Sequence[str]) -> bool:
    """True when a row is the budget block's header (an executed column and a budget column)."""
    if any(is_number_text(t) for t in texts):
        return False
    cols = budget_columns(texts)
    return "executed" in cols and ("planned" in cols or "adjusted" in cols)


def budget_columns(texts: Sequence[str]) -> dict[str, int]:
    """The budget roles a header row names, each with its first column."""
    vocab = vocabulary()
    cols: dict[str, int] = {}
    for i, text in enumerate(texts):
        role = vocab.budget_role(text)
        if role and role not in cols:
            cols[role] = i
    return cols


class BudgetBlock:
    """The budget-block half of the form builder (state lives on the builder)."""

    def amount(self, cell: Cell | None, where: str) -> float | None:
        """An amount cell in 万元, whatever the table's money unit ("150万", 元 tables)."""
        if cell is None:
            return None
        value, why = quantity.read_amount(cell.text, unit=self.money_unit)
        if why:
            example = "387664.62" if self.money_unit == "元" else "202.98"
            self.problem(
                IMPORT_NUMBER,
                "value",
                "error",
                f"{where}：{why}（本表金额单位为{self.money_unit}，如 {example}）；此项按未填写处理",
                where,
                cell.loc,
            )
        return value

    def set_budget(self, field: str, value: float | None, loc: Loc) -> None:
        budget = self.filing.budget
        if value is None or getattr(budget, field) is not None:
            return
        setattr(budget, field, value)
        budget.locs[field] = loc

    def budget_header(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        self.bcols = budget_columns(texts)
        self.bwidth = len(row)
        self.bheaders = [_SPACE.sub("", t) for t in texts]
        value_cols = [j for role, j in self.bcols.items() if role not in NO_VALUE_ROLES]
        first_value = min(value_cols) if value_cols else 0
        self.blabel_col = self.bcols.get("label", max(0, first_value - 1))
        label_index = next(
            (i for i, k in distinct(texts) if self.vocab.budget_role(k) in (None, "label")), None
        )
        if label_index is not None:
            label = inference.without_points(_SPACE.sub("", texts[label_index]))
            label = re.sub(r"[（(]万?元[)）]?$", "", label)
            self.block_label = label or self.block_label
            self.is_project_block = "项目资金" in label
        unit = next((u for t in texts if (u := quantity.money_unit_of(t))), None) or self.money_unit
        self.money_unit = unit
        if unit != "万元":
            self.filing.budget.money_unit = unit
            self.problem(
                IMPORT_MONEY_UNIT,
                "value",
                "info",
                f"{self.block_label}的金额单位为{unit}，已换算为万元",
                self.block_label,
                row[0].loc,
            )
        # points written in the block label or a header: 预算执行情况(10分), 得分（20分*执行率）
        for text in texts:
            points = inference.points_in(text)
            if points is not None:
                self.header_points = points
                break
        self.state = "budget"

    def budget_row(self, row: list[Cell]) -> None:
        block_key = cell_key(self.block_label)
        label_index = next(
            (
                i
                for i, c in enumerate(row)
                if cell_key(c.text)
                and not read_number(c.text)[1]  # neither a number nor a blank mark (—, /)
                and not cell_key(c.text).startswith(block_key)  # the block label, merged down
            ),
            None,
        )
        # Align the row with its header: its label under the label column (a row whose trailing
        # cells were merged is short at the right), else by the right edge. A label merged across
        # columns (repeated) ends in the label column.
        if label_index is not None:
            while label_index + 1 < len(row) and row[label_index + 1].text == row[label_index].text:
                label_index += 1
            offset = self.blabel_col - label_index
        else:
            offset = self.bwidth - len(row)
        label_cell = row[label_index] if label_index is not None else None

        def cell(role: str) -> Cell | None:
            j = self.bcols.get(role)
            if j is None or not 0 <= j - offset < len(row):
                return None
            return row[j - offset]

        if self.inline_amounts(row):
            return
        if label_cell is None:
            label_key, name, part_of = "", "", False
        else:
            raw = _SPACE.sub("", label_cell.text)
            name = re.sub(r"^其中\s*[:：]?\s*", "", raw)
            label_key = cell_key(name).rstrip(":")
            part_of = name != raw
        kind = _budget_row_kind(label_key, self.total_seen, part_of)
        expected = {
            "rate": "百分数，如 92.84 或 92.84%",
            "max_points": "分值，如 10",
            "score": "得分，如 9.28",
        }

        def value(role: str) -> tuple[float | None, Cell | None]:
            c = cell(role)
            if c is label_cell:
                return None, None
            header = self.bheaders[self.bcols[role]] if role in self.bcols else role
            row_name = "" if kind == "total" else f" {name}"
            where = f"{self.block_label}{row_name} {header}"
            if role in _MONEY_FIELDS:
                return self.amount(c, where), c
            return self.number(c, where, expected[role]), c

        if kind == "total":
            self.total_seen = True
            for role, field in (
                ("planned", "planned"),
                ("adjustment", "adjustment"),
                ("adjusted", "adjusted"),
                ("executed", "executed"),
                ("rate", "stated_rate"),
                ("max_points", "max_points"),
                ("score", "stated_score"),
            ):
                num, c = value(role)
                if c is not None:
                    self.set_budget(field, num, c.loc)
            budget = self.filing.budget
            if budget.max_points is None and self.header_points is not None:
                budget.max_points = self.header_points
                budget.locs["max_points"] = row[0].loc
        elif kind in ("basic", "project"):
            num, c = value("executed")
            if num is None:
                for role in ("planned", "adjusted"):
                    num, c = value(role)
                    if num is not None:
                        break
            if c is not None:
                self.set_budget(kind, num, c.loc)
        else:
            fund = FundRow(
                name=name,
                planned=value("planned")[0],
                adjusted=value("adjusted")[0],
                executed=value("executed")[0],
                loc=label_cell.loc if label_cell else row[0].loc,
            )
            self.filing.budget.funds.append(fund)

    def inline_amounts(self, row: list[Cell]) -> bool:
        """A budget row written as "label：amount" cells ("其中:基本支出:900.47 | 项目支出:1025.20"):
        the 基本支出 / 项目支出 amounts are read; True when the row is of that kind."""
        pairs = [(c, _INLINE_AMOUNT.match(cell_key(c.text))) for c in row if cell_key(c.text)]
        if not pairs or not all(m for _, m in pairs):
            return False
        for c, m in pairs:
            assert m is not None
            field = self.vocab.unit_field(m.group(1))
            if field in ("basic", "project") and m.group(2):
                self.set_budget(field, self.amount(Cell(m.group(2), c.loc), m.group(1)), c.loc)
        return True

    def finish_budget(
        self,
        paragraphs: list[Paragraph],
        pre: list[tuple[str, Loc]],
        rows: list[list[Cell]],
    ) -> None:
        budget = self.filing.budget
        cells = [(c.text, c.loc) for row in rows for c in row]
        narrative = [(p.text, p.loc or Loc(self.source)) for p in paragraphs]
        for text, loc in narrative + pre + cells:
            formula = inference.formula_in(text)
            if formula:
                budget.formula_text = formula
                budget.locs["formula_text"] = loc
                break
        for text, loc in narrative:
            adjustment, adjusted = inference.narrative_adjustment(text)
            if budget.adjustment is None and adjustment is not None:
                budget.adjustment = adjustment
                budget.locs["adjustment"] = loc
            if budget.adjusted is None and adjusted is not None:
                budget.adjusted = adjusted
                budget.locs["adjusted"] = loc
        closing_first = [(c.text, c.loc) for row in rows for c in row if is_notes_label(cell_key(c.text))]
        for text, loc in closing_first + cells + pre + narrative:
            basis = inference.basis_in(text)
            if basis:
                budget.rate_basis = basis
                budget.locs["rate_basis"] = loc
                return
        basis = inference.basis_of_headers(self.bheaders, self.bcols.get("rate")) if self.bheaders else None
        if basis:
            budget.rate_basis = basis


def _budget_row_kind(label: str, total_seen: bool, part_of: bool = False) -> str:
    """basic / project / fund / total for a budget row's label; ``part_of`` for a 其中 row."""
    if label.startswith("基本支出"):
        return "basic"
    if label.startswith("项目支出"):
        return "project"
    if part_of:
        return "fund"
    if any(w in label for w in ("总额", "合计", "总计", "小计", "总支出")):
        return "total"
    if any(w in label for w in ("财政拨款", "结转", "结余", "其他资金", "其他", "财政资金", "单位资金")):
        return "fund"
    if any(w in label for w in ("拨款", "资金", "专户")):
        return "fund"
    return "fund" if total_seen else "total"

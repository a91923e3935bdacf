"""The meaning of a self-evaluation table (自评表), whatever format it came in.

Each format's reader (text dump, .docx, .xlsx) turns its table into a grid, ``list[list[Cell]]``:
one list per table row, one :class:`Cell` per cell as the format shows it, merged cells as blank
(or repeated) cells, and calls :func:`build_filing` with the narrative paragraphs and the lines that
stand between the narrative and the table (title, 单位名称, 填报日期).

The interpretation is header-driven and keyword-based (RULES §2), not tied to one province's form:
rows are recognised by what their label cells say (一级指标 … 实际完成值, 预算数 … 执行率,
年度目标n：…, 总分, 偏差大或目标未完成原因分析, 备注), and values are taken by the position of
their column in the latest header row. Both the department-wide layout (部门整体支出绩效自评表) and
the project layout of 财预〔2020〕10号 (项目支出绩效自评表, 项目资金 block, 年度总体目标, 分值 and
得分 columns, 总分 row) are read. What can be read around (a short row, an unreadable number) becomes
a :class:`~evalkit.model.Problem` in ``filing.problems``; only a grid without an indicator table at
all raises :class:`~evalkit.errors.FilingError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from evalkit.errors import FilingError
from evalkit.levels import normalize_levels
from evalkit.model import (
    KIND_DEPARTMENT,
    KIND_PROJECT,
    Filing,
    FundRow,
    Goal,
    Indicator,
    Loc,
    Paragraph,
    Problem,
)


@dataclass
class Cell:
    """One table cell as the format shows it: its text (line breaks kept) and where it was read."""

    text: str
    loc: Loc


# Problem codes emitted while importing (family, severity).
IMPORT_ROW_SHORT = "IMPORT_ROW_SHORT"  # structure / warning: a row with fewer cells than its header
IMPORT_ROW_LONG = "IMPORT_ROW_LONG"  # structure / warning: a row with more cells than its header
IMPORT_ROW_UNKNOWN = "IMPORT_ROW_UNKNOWN"  # structure / info: a row with text that fits no block
IMPORT_NUMBER = "IMPORT_NUMBER"  # value / error: a number cell that cannot be read
IMPORT_HEADER_COLUMN = "IMPORT_HEADER_COLUMN"  # structure / warning: no target or actual column
IMPORT_NAME_MISSING = "IMPORT_NAME_MISSING"  # structure / warning: an indicator row without 三级指标
IMPORT_GOAL_EMPTY = "IMPORT_GOAL_EMPTY"  # structure / warning: a goal without indicator rows
IMPORT_NO_INDICATORS = "IMPORT_NO_INDICATORS"  # structure / error: a header but no indicator rows

# Roles of a row, as :func:`row_role` sees it from its text alone.
ROLE_BLANK = "blank"
ROLE_INDICATOR_HEADER = "indicator_header"
ROLE_BUDGET_HEADER = "budget_header"
ROLE_GOAL = "goal"
ROLE_OVERALL = "overall"  # 年度总体目标
ROLE_TOTAL = "total"  # 总分
ROLE_CLOSING = "closing"  # 偏差大或目标未完成原因分析 / 改进措施及结果应用方案
ROLE_NOTES = "notes"  # 备注
ROLE_TITLE = "title"  # …绩效自评表 / （2024年度）
ROLE_OTHER = "other"

NOT_TABLE = "未找到绩效自评表"
EXPECTED_TABLE = "含“一级指标、二级指标、三级指标、年初目标值（或年度指标值）、实际完成值”表头行的绩效自评表"

_SPACE = re.compile(r"\s+")
_MISSING = {"", "-", "--", "—", "——", "－", "/", "*", "无", "不适用", "n/a", "na"}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_UNIT_SUFFIX = re.compile(r"(?:万元|元|%|分)$")
_GOAL = re.compile(
    r"^\s*(?:年度)?\s*(?:绩效)?\s*目标\s*([0-9０-９一二三四五六七八九十]+)\s*[:：]\s*(.*)$", re.S
)
_GOAL_LABEL = re.compile(r"^(?:年度)?(?:绩效)?目标[0-9一二三四五六七八九十]+:?$")
_YEAR_DU = re.compile(r"((?:19|20)\d{2})\s*年度")
_YEAR_PAREN = re.compile(r"[（(]\s*((?:19|20)\d{2})\s*年?度?\s*[)）]")
_NARRATIVE_ADJUSTMENT = re.compile(r"预算(调减|调增)(?:数|金额|资金)?(?:为|是|[:：])?([0-9][0-9,.]*)万元")
_NARRATIVE_ADJUSTED = re.compile(
    r"(?:调减|调增|调整)后(?:的)?(?:全年)?预算(?:数|总额|金额)?(?:为|是|[:：])?([0-9][0-9,.]*)万元"
)
_FORMULA = re.compile(r"(?:预算)?执行率\s*[=＝]\s*[^=＝，,。；;：:\s/／÷]+\s*[/／÷]\s*[^=＝，,。；;\s]+")
_BASIS_STATED = re.compile(r"预算数\s*(?:为|是|指|即|:|：)\s*(?:单位|部门)?\s*(年初|全年|调整后|调整)")
_BASIS_FORMULA = re.compile(r"执行率\s*[=＝][^/／÷=＝]*[/／÷]\s*[（(]?\s*(年初预算|全年预算|调整后)")
_GRADE_WORDS = {"优秀": "优", "优": "优", "良好": "良", "良": "良", "中等": "中", "中": "中"}
_GRADE_WORDS.update({"较差": "差", "差": "差", "合格": "合格", "不合格": "不合格"})
_NARRATIVE_GRADE = re.compile(
    r"(?:自评|评价|绩效)(?:结果|等级|结论|级别)?\s*(?:为|是|:|：|评定为|等级为|等次为)\s*[“\"「]?"
    r"(优秀|良好|中等|较差|优|良|中|差)(?=$|[^\u4e00-\u9fff]|[等级档次])"
)
_NARRATIVE_TOTAL = re.compile(
    r"(?:自评|评价|综合)(?:总)?(?:得)?分(?:数)?\s*(?:为|是|:|：)?\s*(\d+(?:\.\d+)?)\s*分"
    r"(?!\s*(?:[（(]含[)）])?\s*(?:以上|以下|及以上|及以下|至|-|～|~))"  # not a grading rule
)
_INLINE_LABELS = (
    "单位名称",
    "部门名称",
    "项目名称",
    "主管部门",
    "实施单位",
    "填报日期",
    "填表日期",
    "填报时间",
    "自评等级",
    "评价等级",
    "自评得分",
    "自评总分",
)
_INLINE = re.compile(
    r"(" + "|".join(_INLINE_LABELS) + r")\s*[:：]\s*(.*?)"
    r"(?=\s{2,}|\s*(?:" + "|".join(_INLINE_LABELS) + r")\s*[:：]|$)"
)

# Key-value labels (exact, after whitespace and （万元） are dropped) → field.
_KV_LABELS: dict[str, str] = {
    "单位名称": "name",
    "部门名称": "name",
    "预算单位": "name",
    "预算单位名称": "name",
    "部门(单位)名称": "name",
    "项目名称": "project_name",
    "主管部门": "department",
    "主管单位": "department",
    "主管部门及代码": "department",
    "实施单位": "implementer",
    "项目实施单位": "implementer",
    "填报日期": "filing_date",
    "填表日期": "filing_date",
    "填报时间": "filing_date",
    "基本支出": "basic",
    "基本支出总额": "basic",
    "项目支出": "project",
    "项目支出总额": "project",
    "自评得分": "declared_total",
    "自评总分": "declared_total",
    "自评分数": "declared_total",
    "自评等级": "declared_grade",
    "评价等级": "declared_grade",
    "自评结果": "declared_grade",
    "绩效等级": "declared_grade",
    "评价年度": "year",
    "所属年度": "year",
    "年度": "year",
}
# Fields a key-value cell may still set among indicator rows (a grade beside the 总分 row…).
_KV_ANYWHERE = {"declared_total", "declared_grade", "filing_date"}
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
_TOTAL_LABELS = {"总分", "自评总分", "总得分", "得分合计", "合计得分", "综合得分", "总计得分"}
_TOTAL_LABELS_IN_TABLE = {"合计", "总计"}


def cell_key(text: str | None) -> str:
    """Text as compared against keywords: NFKC (full-width → half-width) with whitespace dropped."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def _distinct(texts: Sequence[str]) -> list[tuple[int, str]]:
    """Non-empty cell keys with their first index, repeats (merged cells) dropped."""
    out: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, text in enumerate(texts):
        key = cell_key(text)
        if key and key not in seen:
            seen.add(key)
            out.append((i, key))
    return out


# --- what a header cell names -----------------------------------------------------------------


def _indicator_column(key: str) -> str | None:
    if "一级指标" in key:
        return "level1"
    if "二级指标" in key:
        return "level2"
    if "三级指标" in key or key in ("指标名称", "指标内容", "具体指标"):
        return "level3"
    if "偏差" in key or "原因" in key or "改进措施" in key:
        return "reason"
    if "得分" in key:
        return "score"
    if key.startswith(("分值", "权重")) or key == "指标分值":
        return "weight"
    if "实际" in key or "完成值" in key:
        return "actual"
    if re.search(r"目标值|指标值|计划值|预期值|预期目标", key):
        return "target"
    return None


def _budget_column(key: str) -> str | None:
    if "执行率" in key:
        return "rate"
    if key.startswith(("分值", "权重")):
        return "max_points"
    if "得分" in key:
        return "score"
    if "执行数" in key or "实际支出" in key or "决算数" in key:
        return "executed"
    if "调整后" in key or "全年预算" in key:
        return "adjusted"
    if "调整数" in key or "调减" in key or "调增" in key or "调整金额" in key:
        return "adjustment"
    if "年初预算" in key or "预算数" in key:
        return "planned"
    return None


def _columns(texts: Sequence[str], name_of) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, text in enumerate(texts):
        role = name_of(cell_key(text))
        if role and role not in cols:
            cols[role] = i
    return cols


def _is_indicator_header(texts: Sequence[str]) -> bool:
    cols = _columns(texts, _indicator_column)
    levels = sum(1 for k in ("level1", "level2", "level3") if k in cols)
    return levels == 3 or (levels >= 2 and ("target" in cols or "actual" in cols))


def _is_budget_header(texts: Sequence[str]) -> bool:
    if any(_is_number_text(t) for t in texts):
        return False
    cols = _columns(texts, _budget_column)
    return "executed" in cols and ("planned" in cols or "adjusted" in cols)


def _is_number_text(text: str) -> bool:
    key = cell_key(text).replace(",", "")
    key = _UNIT_SUFFIX.sub("", key)
    return bool(key) and _NUMBER.fullmatch(key) is not None


def _closing_key(key: str) -> str | None:
    """closing[...] key for a closing label cell, or None."""
    if len(key) > 20:
        return None
    if "原因" in key and ("偏差" in key or "未完成" in key or "分析" in key or "问题" in key):
        return "deviation_analysis"
    if "改进措施" in key or "结果应用" in key or "整改措施" in key:
        return "improvement"
    return None


def _is_notes_label(key: str) -> bool:
    return key.startswith(("备注", "注:", "说明:", "填表说明")) or key == "注"


def _goal_title(texts: Sequence[str]) -> str | None:
    """The goal title when the row starts a goal (年度目标1：…), else None."""
    distinct = _distinct(texts)
    if len(distinct) == 1:
        text = texts[distinct[0][0]]
        m = _GOAL.match(text.strip())
        return m.group(2).strip() if m else None
    if len(distinct) == 2 and _GOAL_LABEL.match(distinct[0][1]):
        return texts[distinct[1][0]].strip()
    return None


def row_role(texts: Sequence[str]) -> str:
    """What a row is, from its text alone: one of the ``ROLE_*`` constants.

    Readers use it to reassemble rows their format split (the text dump); :func:`build_filing`
    refines it with the block the row stands in (a 合计 row of the budget block is budget data).
    """
    distinct = _distinct(texts)
    if not distinct:
        return ROLE_BLANK
    if _is_indicator_header(texts):
        return ROLE_INDICATOR_HEADER
    if _goal_title(texts) is not None:
        return ROLE_GOAL
    if _is_budget_header(texts):
        return ROLE_BUDGET_HEADER
    first_index, first = distinct[0]
    if _is_notes_label(first):
        return ROLE_NOTES
    if first_index <= 1 and _closing_key(first):
        return ROLE_CLOSING
    if first_index <= 1 and first.rstrip(":") in _TOTAL_LABELS:
        return ROLE_TOTAL
    if first_index <= 1 and (first.startswith("年度总体目标") or first in ("总体目标", "整体目标")):
        return ROLE_OVERALL
    if len(distinct) == 1 and ("自评表" in first or _YEAR_PAREN.fullmatch(first)):
        return ROLE_TITLE
    return ROLE_OTHER


# --- numbers ----------------------------------------------------------------------------------


def read_number(text: str | None) -> tuple[float | None, bool]:
    """A number cell as ``(value, readable)``: "1,202.98万元" → 1202.98, "92.84%" → 92.84.

    Blank and missing markers (—, /, *) give ``(None, True)``; text that is no number gives
    ``(None, False)``.
    """
    key = cell_key(text).replace(",", "")
    if key.lower() in _MISSING or set(key) <= {"-", "—", "－"}:
        return None, True
    key = _UNIT_SUFFIX.sub("", key)
    if _NUMBER.fullmatch(key):
        return float(key), True
    return None, False


# --- the interpreter --------------------------------------------------------------------------


class _Builder:
    def __init__(self, source: str, source_format: str) -> None:
        self.filing = Filing(source=source, source_format=source_format)
        self.source = source
        self.found: dict[str, tuple[str, Loc]] = {}  # unit field → (text, where)
        self.titles: list[tuple[str, Loc]] = []
        self.found_indicator_header = False
        self.explicit_goals = False
        # indicator block
        self.cols: dict[str, int] = {}
        self.width = 0
        self.prev_l1 = ""
        self.prev_l2 = ""
        # budget block
        self.bcols: dict[str, int] = {}
        self.bwidth = 0
        self.bheaders: list[str] = []
        self.block_label = "预算执行情况"
        self.total_seen = False
        self.is_project_block = False
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

    # unit fields -----------------------------------------------------------------------------

    def remember(self, field: str, text: str, loc: Loc | None) -> None:
        text = text.strip()
        if text and field not in self.found:
            self.found[field] = (text, loc or Loc(self.source))

    def set_budget(self, field: str, value: float | None, loc: Loc) -> None:
        budget = self.filing.budget
        if value is None or getattr(budget, field) is not None:
            return
        setattr(budget, field, value)
        budget.locs[field] = loc

    # rows ------------------------------------------------------------------------------------

    def row(self, r: int, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        role = row_role(texts)
        if role == ROLE_BLANK:
            return
        if role == ROLE_INDICATOR_HEADER:
            self.indicator_header(row)
        elif role == ROLE_GOAL:
            self.goal(row, _goal_title(texts) or "")
        elif role == ROLE_BUDGET_HEADER:
            self.budget_header(row)
        elif role == ROLE_NOTES:
            self.closing(row, "notes")
        elif role == ROLE_CLOSING:
            self.closing(row, _closing_key(_distinct(texts)[0][1]) or "notes")
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
        first = _distinct(texts)[0][1]
        if self.state == "indicators" and first in _TOTAL_LABELS_IN_TABLE:
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
        elif self.state == "closing" and self.last_closing and len(_distinct(texts)) == 1:
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
                f"{where}不属于自评表的任何部分，已略过：“{_short(text)}”",
                where,
                row[0].loc,
            )

    # key-value rows (单位名称 | …) -----------------------------------------------------------

    def key_values(self, row: list[Cell]) -> bool:
        found = False
        in_table = self.state == "indicators"
        for i, cell in enumerate(row):
            key = re.sub(r"\(万元\)$", "", cell_key(cell.text)).rstrip(":")
            field = _KV_LABELS.get(key)
            bfield = None if in_table else _KV_BUDGET.get(key)
            if field is None and bfield is None:
                continue
            if in_table and field not in _KV_ANYWHERE:
                continue
            if self.state == "budget" and field in ("basic", "project"):
                continue  # a 基本支出 row of the budget block: read by its columns
            value = _value_after(row, i)
            if bfield is not None:
                if value is None or not _is_number_text(value.text):
                    continue
                label = _SPACE.sub("", cell.text)
                value_num = self.number(value, label, "数字（万元或百分数）")
                self.set_budget("stated_rate" if bfield == "rate" else bfield, value_num, value.loc)
                found = True
                continue
            found = True
            if value is None:
                continue
            if field in ("basic", "project"):
                label = _SPACE.sub("", cell.text)
                self.set_budget(field, self.number(value, label, "金额（万元），如 179.96"), value.loc)
            elif field == "declared_total":
                num = self.number(value, "自评得分", "分数，如 95")
                if num is not None:
                    self.remember(field, str(num), value.loc)
            else:
                self.remember(field, value.text, value.loc)
        if not found and not in_table:
            found = self.inline_labels([c.text for c in row], row)
        elif not found:
            # among indicator rows only a cell that starts with 自评等级：… / 自评得分：…
            first_index = _distinct([c.text for c in row])[0][0]
            text = row[first_index].text.strip()
            m = _INLINE.match(text)
            if m and _KV_LABELS.get(m.group(1)) in _KV_ANYWHERE:
                found = self.inline_text(text, row[first_index].loc)
        return found

    def inline_labels(self, texts: Sequence[str], row: list[Cell] | None = None) -> bool:
        found = False
        for i, text in enumerate(texts):
            loc = row[i].loc if row else Loc(self.source)
            found |= self.inline_text(text, loc)
        return found

    def inline_text(self, text: str, loc: Loc | None) -> bool:
        found = False
        for m in _INLINE.finditer(text):
            label, value = m.group(1), m.group(2).strip()
            field = _KV_LABELS.get(label)
            if field is None or not value:
                continue
            found = True
            if field == "declared_total":
                num, ok = read_number(value)
                if ok and num is not None:
                    self.remember(field, str(num), loc)
            else:
                self.remember(field, value, loc)
        return found

    # budget block ----------------------------------------------------------------------------

    def budget_header(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        self.bcols = _columns(texts, _budget_column)
        self.bwidth = len(row)
        self.bheaders = [_SPACE.sub("", t) for t in texts]
        label_index = next((i for i, k in _distinct(texts) if _budget_column(k) is None), None)
        if label_index is not None:
            label = re.sub(r"[（(]万元[)）]$", "", _SPACE.sub("", texts[label_index]))
            self.block_label = label or self.block_label
            self.is_project_block = "项目资金" in label
        self.state = "budget"

    def budget_row(self, row: list[Cell]) -> None:
        offset = self.bwidth - len(row)  # right-align: labels are at the left

        def cell(role: str) -> Cell | None:
            j = self.bcols.get(role)
            if j is None or not 0 <= j - offset < len(row):
                return None
            return row[j - offset]

        block_key = cell_key(self.block_label)
        label_cell = next(
            (
                c
                for c in row
                if cell_key(c.text)
                and not _is_number_text(c.text)
                and not cell_key(c.text).startswith(block_key)  # the block label, merged down
            ),
            None,
        )
        if label_cell is None:
            label_key, name = "", ""
        else:
            name = re.sub(r"^其中\s*[:：]?\s*", "", _SPACE.sub("", label_cell.text))
            label_key = cell_key(name)
        kind = _budget_row_kind(label_key, self.total_seen)
        expected = {
            "planned": "金额（万元），如 202.98",
            "adjustment": "金额（万元），如 -14.54",
            "adjusted": "金额（万元），如 202.98",
            "executed": "金额（万元），如 188.44",
            "rate": "百分数，如 92.84 或 92.84%",
            "max_points": "分值，如 10",
            "score": "得分，如 9.28",
        }

        def value(role: str) -> tuple[float | None, Cell | None]:
            c = cell(role)
            header = self.bheaders[self.bcols[role]] if role in self.bcols else role
            row_name = "" if kind == "total" else f" {name}"
            where = f"{self.block_label}{row_name} {header}"
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

    # 年度总体目标 -----------------------------------------------------------------------------

    def overall(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        distinct = _distinct(texts)[1:]
        goal_col = next((i for i, k in distinct if "预期目标" in k or k == "年度目标"), None)
        result_col = next((i for i, k in distinct if "实际完成" in k or "完成情况" in k), None)
        self.state = "overall"
        if goal_col is not None and result_col is not None:
            self.ocols = {"goal": goal_col, "result": result_col}
            self.owidth = len(row)
            return
        values = [texts[i].strip() for i, _ in distinct]
        self.add_overall(values)

    def overall_row(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        if self.ocols and len(row) == self.owidth:
            values = [texts[self.ocols["goal"]].strip(), texts[self.ocols["result"]].strip()]
        else:
            values = [texts[i].strip() for i, _ in _distinct(texts)]
        self.add_overall(values)

    def add_overall(self, values: list[str]) -> None:
        closing = self.filing.closing
        for key, text in zip(("overall_goal", "overall_result"), values):
            if text:
                closing[key] = f"{closing[key]}\n{text}" if closing.get(key) else text

    # goals and indicators --------------------------------------------------------------------

    def goal(self, row: list[Cell], title: str) -> None:
        goals = self.filing.goals
        self.explicit_goals = True
        loc = next((c.loc for c in row if c.text.strip()), row[0].loc)
        if goals and not goals[-1].indicators and not goals[-1].title:
            goals[-1].title, goals[-1].loc = title, loc
        else:
            goals.append(Goal(index=len(goals) + 1, title=title, loc=loc))
        self.prev_l1 = self.prev_l2 = ""
        self.state = "indicators" if self.cols else "goal"

    def indicator_header(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        self.cols = _columns(texts, _indicator_column)
        self.width = len(row)
        self.found_indicator_header = True
        # A header repeated inside a goal (the table going on after a page break) keeps the levels
        # of the rows above it; a goal row or the first header starts them afresh.
        if not (self.filing.goals and self.filing.goals[-1].indicators):
            self.prev_l1 = self.prev_l2 = ""
        self.state = "indicators"
        if not self.filing.goals:
            self.filing.goals.append(Goal(index=1, loc=row[0].loc))
        missing = [
            name for key, name in (("target", "年初目标值"), ("actual", "实际完成值")) if key not in self.cols
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

    def indicator_row(self, row: list[Cell]) -> None:
        goal = self.filing.goals[-1]
        r = len(goal.indicators) + 1
        where = f"目标{goal.index} 第{r}行"
        first_loc = next((c.loc for c in row if c.text.strip()), row[0].loc)
        n, width = len(row), self.width
        lead = min(self.cols.values())
        cells: list[Cell | None]
        if n == width:
            cells = list(row)
        elif n < width:
            shift = min(width - n, lead)
            cells = [None] * shift + list(row) + [None] * (width - n - shift)
            if width - n > shift:
                self.problem(
                    IMPORT_ROW_SHORT,
                    "structure",
                    "warning",
                    f"{where}只有{n}个单元格，表头有{width}列；缺少的单元格按空白处理，请核对该行",
                    where,
                    first_loc,
                )
        else:
            extra = n - width
            leading_blank = all(not c.text.strip() for c in row[:extra])
            cells = list(row[extra:]) if leading_blank else list(row[:width])
            self.problem(
                IMPORT_ROW_LONG,
                "structure",
                "warning",
                f"{where}有{n}个单元格，表头只有{width}列；多出的单元格已略过，请核对该行",
                where,
                first_loc,
            )

        def cell(role: str) -> Cell | None:
            j = self.cols.get(role)
            return cells[j] if j is not None else None

        def text(role: str) -> str:
            c = cell(role)
            return c.text.strip() if c is not None else ""

        l1, l2, name = text("level1"), text("level2"), text("level3")
        target, actual = text("target"), text("actual")
        if not l1:
            l1 = self.prev_l1
            l2 = l2 or self.prev_l2
        elif not l2 and cell_key(l1) == cell_key(self.prev_l1):
            l2 = self.prev_l2
        self.prev_l1, self.prev_l2 = l1, l2
        if not (name or target or actual):
            return  # a row carrying only level names (or nothing): they pass to the next rows
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
        goal.indicators.append(
            Indicator(
                goal=goal.index,
                row=r,
                name=_one_line(name),
                level1=level1,
                level2=level2,
                level1_raw=l1,
                level2_raw=l2,
                target_text=target,
                actual_text=actual,
                weight=self.number(cell("weight"), f"{where} 分值", "分值数字，如 10"),
                self_score=self.number(cell("score"), f"{where} 得分", "得分数字，如 9.5"),
                reason=text("reason"),
                loc=name_cell.loc if name_cell is not None and name else first_loc,
            )
        )

    def total(self, row: list[Cell]) -> None:
        texts = [c.text for c in row]
        score_col = self.cols.get("score")
        weight_col = self.cols.get("weight")
        if weight_col is not None and len(row) == self.width:
            # a 合计 of the indicator rows alone (分值 90) is a subtotal, not the declared total
            weight, _ = read_number(texts[weight_col])
            if weight is not None and abs(weight - 100) > 0.01:
                self.state = "end"
                return
        value_cell: Cell | None = None
        if score_col is not None and len(row) == self.width and cell_key(texts[score_col]):
            value_cell = row[score_col]
        else:
            numbers = [c for c in row[1:] if _is_number_text(c.text)]
            if numbers:
                value_cell = numbers[-1]
        if value_cell is not None:
            num = self.number(value_cell, "总分", "总分数字，如 95")
            if num is not None:
                self.remember("declared_total", str(num), value_cell.loc)
        for c in row:
            grade = _GRADE_WORDS.get(cell_key(c.text))
            if grade:
                self.remember("declared_grade", grade, c.loc)
        self.key_values(row)
        self.state = "end"

    # closing rows ----------------------------------------------------------------------------

    def closing(self, row: list[Cell], key: str) -> None:
        texts = [c.text for c in row]
        distinct = _distinct(texts)
        first_index = distinct[0][0]
        label = texts[first_index].strip()
        parts: list[str] = []
        m = re.match(r"^\s*(?:备注|注|说明|填表说明)\s*[:：]\s*(.*)$", label, re.S)
        if key == "notes" and m:
            parts.append(m.group(1).strip())
        parts += [texts[i].strip() for i, _ in distinct[1:]]
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
                "自评表有指标表头，但没有读到任何指标行",
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

    def finish_unit(self, paragraphs: list[Paragraph]) -> None:
        unit = self.filing.unit
        found = self.found
        # the title: kind and year
        kind_loc: Loc | None = None
        title_text = "".join(cell_key(t) for t, _ in self.titles)
        for text, loc in self.titles:
            key = cell_key(text)
            if "项目支出" in key and "自评表" in title_text:
                unit.kind, kind_loc = KIND_PROJECT, loc
                break
            if "部门整体" in key or ("部门" in key and "自评表" in key):
                unit.kind, kind_loc = KIND_DEPARTMENT, loc
                break
        else:
            if "project_name" in found:
                unit.kind, kind_loc = KIND_PROJECT, found["project_name"][1]
            elif self.is_project_block:
                unit.kind = KIND_PROJECT
        if kind_loc is not None:
            unit.locs["kind"] = kind_loc
        # name
        if unit.kind == KIND_PROJECT and "project_name" in found:
            name = found["project_name"]
            if "name" in found and "implementer" not in found:
                found["implementer"] = found["name"]
        else:
            name = found.get("name") or found.get("project_name")
        if name:
            unit.name, unit.locs["name"] = _one_line(name[0]), name[1]
        for field in ("department", "implementer", "filing_date"):
            if field in found:
                text, loc = found[field]
                setattr(unit, field, _one_line(text))
                unit.locs[field] = loc
        if "filing_date" not in found:
            for p in paragraphs:
                m = re.search(r"(?:填报|填表)(?:日期|时间)\s*[:：]\s*(\S+)", p.text)
                if m:
                    unit.filing_date, unit.locs["filing_date"] = m.group(1), p.loc or Loc()
                    break
        # year
        year = self.find_year(paragraphs)
        if year:
            unit.year, unit.locs["year"] = year
        # declared total and grade: the table first, then the narrative
        if "declared_total" in found:
            text, loc = found["declared_total"]
            unit.declared_total, unit.locs["declared_total"] = float(text), loc
        if "declared_grade" in found:
            text, loc = found["declared_grade"]
            unit.declared_grade = _GRADE_WORDS.get(cell_key(text), text.strip())
            unit.locs["declared_grade"] = loc
        for p in paragraphs:
            if unit.declared_grade is None and (m := _NARRATIVE_GRADE.search(p.text)):
                unit.declared_grade = _GRADE_WORDS[m.group(1)]
                unit.locs["declared_grade"] = p.loc or Loc(self.source)
            if unit.declared_total is None and (m := _NARRATIVE_TOTAL.search(p.text)):
                unit.declared_total = float(m.group(1))
                unit.locs["declared_total"] = p.loc or Loc(self.source)

    def find_year(self, paragraphs: list[Paragraph]) -> tuple[int, Loc] | None:
        joined = "".join(cell_key(t) for t, _ in self.titles)
        for pattern in (_YEAR_DU, _YEAR_PAREN):
            for text, loc in self.titles:
                m = pattern.search(cell_key(text))
                if m:
                    return int(m.group(1)), loc
            m = pattern.search(joined)
            if m and self.titles:
                return int(m.group(1)), self.titles[0][1]
        if "year" in self.found:
            text, loc = self.found["year"]
            m = re.search(r"(?:19|20)\d{2}", cell_key(text))
            if m:
                return int(m.group(0)), loc
        for p in paragraphs[:5]:
            m = _YEAR_DU.search(p.text)
            if m:
                return int(m.group(1)), p.loc or Loc(self.source)
        return None

    def budget_from_narrative(self, narrative: list[tuple[str, Loc]]) -> None:
        """Fill the adjustment and adjusted budget from the report text where the table lacks them.

        Department tables often carry only 预算数 and 执行数 while the report states the cut
        ("预算调减数为14.54万元，调减后预算数188.44万元"); the review shows the rate on both bases.
        """
        budget = self.filing.budget
        for text, loc in narrative:
            key = _SPACE.sub("", text)
            if budget.adjustment is None:
                m = _NARRATIVE_ADJUSTMENT.search(key)
                if m:
                    amount = _narrative_amount(m.group(2))
                    if amount is not None:
                        budget.adjustment = -amount if m.group(1) == "调减" else amount
                        budget.locs["adjustment"] = loc
            if budget.adjusted is None:
                m = _NARRATIVE_ADJUSTED.search(key)
                if m:
                    amount = _narrative_amount(m.group(1))
                    if amount is not None:
                        budget.adjusted = amount
                        budget.locs["adjusted"] = loc

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
            m = _FORMULA.search(text)
            if m:
                budget.formula_text = _SPACE.sub("", m.group(0))
                budget.locs["formula_text"] = loc
                break
        self.budget_from_narrative(narrative)
        closing_first = [(c.text, c.loc) for row in rows for c in row if _is_notes_label(cell_key(c.text))]
        for text, loc in closing_first + cells + pre + narrative:
            m = _BASIS_STATED.search(text)
            if m:
                budget.rate_basis = "planned" if m.group(1) == "年初" else "adjusted"
                budget.locs["rate_basis"] = loc
                return
            m = _BASIS_FORMULA.search(text)
            if m:
                budget.rate_basis = "planned" if m.group(1) == "年初预算" else "adjusted"
                budget.locs["rate_basis"] = loc
                return
        # the budget header may say which column A is: 全年预算数（A） … 执行率（B/A）
        rate_col = self.bcols.get("rate")
        if rate_col is not None and "B/A" in cell_key(self.bheaders[rate_col]).upper():
            for header in self.bheaders:
                key = cell_key(header).upper()
                if "(A)" in key:
                    if "全年" in key or "调整后" in key:
                        budget.rate_basis = "adjusted"
                    elif "年初" in key:
                        budget.rate_basis = "planned"


def _narrative_amount(text: str) -> float | None:
    value, _ = read_number(text)
    return value


def _value_after(row: list[Cell], i: int) -> Cell | None:
    """The value cell of a label cell: the next non-blank cell that repeats no label."""
    label = cell_key(row[i].text)
    for c in row[i + 1 :]:
        key = cell_key(c.text)
        if not key or key == label:
            continue
        plain = re.sub(r"\(万元\)$", "", key).rstrip(":")
        return None if plain in _KV_LABELS or plain in _KV_BUDGET else c
    return None


def _budget_row_kind(label: str, total_seen: bool) -> str:
    if label.startswith("基本支出"):
        return "basic"
    if label.startswith("项目支出"):
        return "project"
    if any(w in label for w in ("财政拨款", "结转", "结余", "其他资金", "其他")):
        return "fund"
    if any(w in label for w in ("总额", "合计", "总计", "小计", "总支出")):
        return "total"
    return "fund" if total_seen else "total"


def _one_line(text: str) -> str:
    """A name broken over lines joined again ("武汉市蔡甸区\n红十字会"), runs of spaces made one."""
    return re.sub(r"[ \t\u3000]+", " ", re.sub(r"\s*\n\s*", "", text)).strip()


def _short(text: str, limit: int = 40) -> str:
    text = _SPACE.sub(" ", text)
    return text if len(text) <= limit else text[:limit] + "…"


def build_filing(
    rows: list[list[Cell]],
    paragraphs: list[Paragraph],
    source: str,
    source_format: str,
    preamble: Sequence[str | Paragraph] = (),
) -> Filing:
    """Interpret a self-evaluation table and its narrative as a :class:`~evalkit.model.Filing`.

    ``rows`` is the table as a grid of :class:`Cell` (merged cells blank or repeated);
    ``paragraphs`` the narrative report; ``preamble`` the lines between the narrative and the table
    (title, "单位名称：…  填报日期：…"), as text or as paragraphs that carry their place.
    Raises :class:`~evalkit.errors.FilingError` when the grid has no indicator header row
    (一级指标 / 二级指标 / 三级指标 with a target or actual column); anything else that cannot be
    read becomes a :class:`~evalkit.model.Problem` in ``filing.problems``.
    """
    builder = _Builder(str(source), source_format)
    for r, row in enumerate(rows):
        if row:
            builder.row(r, row)
    if not builder.found_indicator_header:
        raise FilingError(str(source), NOT_TABLE, expected=EXPECTED_TABLE)
    return builder.finish(paragraphs, preamble, rows)

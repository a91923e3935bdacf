"""Typed filing model: what a unit's self-evaluation says, as written and located.

A :class:`Filing` is read from a text dump, .docx, .xlsx or our YAML form and carries no computed
score: scoring and checks work on it without changing it. Every value keeps the text it was read
from and where it was read (:class:`Loc`), so a finding can point the evaluator at the cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalkit.values.notation import Value

KIND_DEPARTMENT = "部门整体"
KIND_PROJECT = "项目"

# Normalized level-1 names (RULES §2) and the keys profiles use for their weights.
LEVEL1_OUTPUT = "产出指标"
LEVEL1_BENEFIT = "效益指标"
LEVEL1_SATISFACTION = "满意度指标"
LEVEL1_KEYS = {LEVEL1_OUTPUT: "output", LEVEL1_BENEFIT: "benefit", LEVEL1_SATISFACTION: "satisfaction"}


@dataclass(frozen=True)
class Loc:
    """Where a value was read in its source file. Every number is 1-based, as a person counts.

    ``line`` is the line of a text dump; ``sheet`` an .xlsx sheet's name; ``table`` the n-th table of
    a .docx; ``row`` the row of that sheet or table; ``cell`` an A1 reference (.xlsx) or the column
    number (.docx).
    """

    file: str = ""
    line: int | None = None
    sheet: str | None = None
    table: int | None = None
    row: int | None = None
    cell: str | None = None

    def describe(self) -> str:
        """A short human-readable place, e.g. ``seed.txt 第120行`` or ``a.xlsx 工作表“自评表” C7``."""
        parts = [self.file] if self.file else []
        if self.sheet is not None:
            parts.append(f"工作表“{self.sheet}”")
        if self.table is not None:
            parts.append(f"表格{self.table}")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.cell is not None:
            parts.append(f"单元格{self.cell}")
        if self.line is not None:
            parts.append(f"第{self.line}行")
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The set fields only (``file`` as its name, never a path: reports must not leak paths)."""
        data = {k: v for k, v in asdict(self).items() if v not in (None, "")}
        if "file" in data:
            data["file"] = PurePath(data["file"]).name
        return data


# The parts of a filing a finding can point at (``At.part``).
PART_UNIT = "unit"  # the table's header: unit name, year, filing date, declared score
PART_BUDGET = "budget"  # the budget block
PART_INDICATORS = "indicators"  # the indicator table as a whole (weights, levels)
PART_GOAL = "goal"  # an annual goal as a whole (年度目标n)
PART_INDICATOR = "indicator"  # one indicator row of a goal
PART_TOTAL = "total"  # the 总分 row and the declared grade
PART_NARRATIVE = "narrative"  # a paragraph of the report text
PART_CLOSING = "closing"  # the closing fields (偏差原因分析, 改进措施, 备注)
PART_FILE = "file"  # the file as a whole (a sheet, hidden cells, a header)
PARTS = (
    PART_UNIT,
    PART_BUDGET,
    PART_INDICATORS,
    PART_GOAL,
    PART_INDICATOR,
    PART_TOTAL,
    PART_NARRATIVE,
    PART_CLOSING,
    PART_FILE,
)

# The words a finding uses for a field, in its ``where`` and in its message (one vocabulary).
FIELD_LABELS = {
    # indicator row
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "target": "目标值",
    "actual": "实际完成值",
    "weight": "分值",
    "self_score": "得分",
    "reason": "偏差原因",
    # budget block
    "planned": "年初预算数",
    "adjustment": "调整数",
    "adjusted": "全年预算数",
    "executed": "执行数",
    "basic": "基本支出",
    "project": "项目支出",
    "stated_rate": "执行率",
    "max_points": "分值",
    "stated_score": "得分",
    "formula_text": "公式",
    "funds": "资金来源",
    # unit header and total
    "unit_name": "单位名称",
    "department": "主管部门",
    "implementer": "实施单位",
    "filing_date": "填报日期",
    "year": "年度",
    "declared_total": "自评总分",
    "declared_grade": "自评等级",
}
_PART_WORDS = {
    PART_UNIT: "表头",
    PART_BUDGET: "预算执行情况",
    PART_INDICATORS: "绩效指标",
    PART_TOTAL: "总分",
    PART_NARRATIVE: "报告正文",
    PART_CLOSING: "自评表",
    PART_FILE: "文件",
}
# Sort order of the parts: header, budget, goals and rows (the 总分 row after them), narrative.
_PART_ORDER = {
    PART_UNIT: 0,
    PART_BUDGET: 1,
    PART_INDICATORS: 2,
    PART_GOAL: 2,
    PART_INDICATOR: 2,
    PART_TOTAL: 2,
    PART_NARRATIVE: 3,
    PART_CLOSING: 4,
    PART_FILE: 9,
}


@dataclass(frozen=True)
class At:
    """Where in the filing a finding points: the structured half of its location.

    ``goal``, ``row`` (the row within its goal) and ``paragraph`` are 1-based and are the numbers
    the Chinese place uses (``目标1 第3行``, ``报告正文第12段``); ``field`` is a key of
    :data:`FIELD_LABELS`; ``name`` the indicator's name (三级指标) or a closing field's label.
    """

    part: str
    goal: int | None = None
    row: int | None = None
    field: str | None = None
    paragraph: int | None = None
    name: str | None = None

    def describe(self) -> str:
        """The place in the words of a reviewer: ``目标1 第3行（普及救护培训人次数） 目标值``."""
        label = FIELD_LABELS.get(self.field or "", self.field or "")
        if self.part == PART_INDICATOR:
            text = f"目标{self.goal} 第{self.row}行" + (f"（{self.name}）" if self.name else "")
        elif self.part == PART_GOAL:
            text = f"目标{self.goal}" + (f"（{self.name}）" if self.name else "")
        elif self.part == PART_NARRATIVE:
            text = f"报告正文第{self.paragraph}段" if self.paragraph else "报告正文"
        elif self.part == PART_CLOSING:
            text = f"自评表“{self.name}”" if self.name else "自评表"
        else:
            text = _PART_WORDS.get(self.part, self.part)
        return f"{text} {label}" if label else text

    def sort_key(self) -> tuple[int, ...]:
        """Header, budget, goals and their rows (the 总分 row last among them), narrative, file."""
        first = _PART_ORDER.get(self.part, 9)
        if self.part == PART_TOTAL:
            return (first, 10**6)
        if self.part == PART_INDICATORS:
            return (first, 0)
        if self.part in (PART_INDICATOR, PART_GOAL):
            return (first, self.goal or 0, self.row or 0)
        if self.part == PART_NARRATIVE:
            return (first, self.paragraph or 0)
        return (first,)

    @property
    def key(self) -> str:
        """A stable short reference: ``g1r3.target``, ``budget.executed``, ``p12``, ``unit.filing_date``."""
        if self.part == PART_INDICATOR:
            base = f"g{self.goal}r{self.row}"
        elif self.part == PART_GOAL:
            base = f"g{self.goal}"
        elif self.part == PART_NARRATIVE:
            base = f"p{self.paragraph}" if self.paragraph else "narrative"
        elif self.part == PART_CLOSING and self.name:
            base = f"closing.{self.name}"
        else:
            base = self.part
        return f"{base}.{self.field}" if self.field else base

    def to_json(self) -> dict[str, Any]:
        """The set fields only, e.g. ``{"part": "indicator", "goal": 1, "row": 3, "field": "target"}``."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_place(cls, place: tuple[int, ...]) -> At | None:
        """The structured location of an old-style sort place (``(2, goal, row)``, ``(1,)``…)."""
        if not place:
            return None
        if place[0] == 2 and len(place) == 2 and place[1] == 10**6:
            return cls(PART_TOTAL)
        if place[0] == 2 and len(place) >= 3:
            return (
                cls(PART_INDICATOR, goal=place[1], row=place[2])
                if place[2]
                else cls(PART_GOAL, goal=place[1])
            )
        if place[0] == 2 and len(place) == 2:
            return cls(PART_INDICATORS) if place[1] == 0 else cls(PART_GOAL, goal=place[1])
        if place[0] == 3:
            return cls(PART_NARRATIVE, paragraph=place[1] if len(place) > 1 else None)
        return {0: cls(PART_UNIT), 1: cls(PART_BUDGET), 4: cls(PART_CLOSING)}.get(place[0])


SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Finding:
    """One thing an importer or a check found: the one finding model of evalkit.

    ``code`` is a stable code of the catalogue (:mod:`evalkit.checks`), which also declares its
    ``family`` and ``severity``: an importer may leave those empty and the review fills them in.
    The location is structured twice over: ``at`` is the place in the filing (goal, row, field,
    paragraph, budget field) and ``loc`` the place in the source file (file, sheet, row, cell, line);
    ``where`` is ``at`` in words (the same words the message uses) and ``place`` the sort key.
    ``input`` is the text as filed that the finding is about, ``params`` the message's parameters
    as data (numbers as numbers), so a report can group or filter by them.

    The positional order ``(code, family, severity, message, where, loc, place)`` is the historical
    one and keeps working; new code passes keywords.
    """

    code: str
    family: str = ""
    severity: str = ""
    message: str = ""
    where: str = ""
    loc: Loc | None = None
    place: tuple[int, ...] = ()
    at: At | None = None
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    input: str | None = None

    def __post_init__(self) -> None:
        # Frozen: derive the missing halves of the location once, here.
        at = self.at if self.at is not None else At.from_place(self.place)
        if at is None and self.where:
            at = _at_from_where(self.where)
        object.__setattr__(self, "at", at)
        if not self.where and at is not None:
            object.__setattr__(self, "where", at.describe())
        if not self.place:
            object.__setattr__(self, "place", at.sort_key() if at is not None else (9,))

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        """Severity first (errors on top), then place, then code."""
        rank = SEVERITIES.index(self.severity) if self.severity in SEVERITIES else len(SEVERITIES)
        return (rank, self.place, self.code)

    @property
    def key(self) -> str:
        """A stable reference to this finding within a unit: ``N201@g1r3.target``.

        Two findings of one code at one place share it (a disposition applies to both).
        """
        return f"{self.code}@{self.at.key}" if self.at is not None else self.code

    def location(self) -> dict[str, Any]:
        """The structured location as data: ``at``'s fields plus ``source`` (file, sheet, cell…)."""
        data = self.at.to_json() if self.at is not None else {}
        if self.loc is not None and self.loc.to_json():
            data["source"] = self.loc.to_json()
        return data

    def to_json(self) -> dict[str, Any]:
        """The finding as ``evalkit review --json`` publishes it (the first five keys are stable)."""
        return {
            "code": self.code,
            "family": self.family,
            "severity": self.severity,
            "message": self.message,
            "where": self.where,
            "key": self.key,
            "loc": self.location(),
            "input": self.input,
            "params": {k: _plain(v) for k, v in self.params.items()},
        }


def _plain(value: Any) -> Any:
    """A JSON-safe parameter: numbers, strings, booleans, None and lists of them as they are."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


_WHERE_ROW = re.compile(r"目标(\d+)\D+?(\d+)行")
_ROW_FIELDS = ("level1", "level2", "name", "target", "actual", "weight", "self_score", "reason")
_WHERE_GOAL = re.compile(r"^目标(\d+)$")


def _at_from_where(where: str) -> At | None:
    # Importer problems written before ``at`` existed carry their place only in words.
    m = _WHERE_ROW.search(where)
    if m:
        tail = where[m.end() :].strip()
        field = next((k for k in _ROW_FIELDS if tail == FIELD_LABELS[k]), None)
        return At(PART_INDICATOR, goal=int(m.group(1)), row=int(m.group(2)), field=field)
    m = _WHERE_GOAL.match(where.strip())
    if m:
        return At(PART_GOAL, goal=int(m.group(1)))
    if "预算" in where or "资金" in where:
        return At(PART_BUDGET)
    if where.startswith("工作表"):
        return At(PART_FILE)
    return None


# An importer's problem is a finding like any other: the same type, under its historical name.
Problem = Finding


@dataclass
class FundRow:
    """One fund row of the budget block (当年财政拨款, 上年结转, 其他资金, or the total row)."""

    name: str
    planned: float | None = None
    adjusted: float | None = None
    executed: float | None = None
    loc: Loc | None = None


@dataclass
class Budget:
    """The budget block (万元). ``stated_rate`` is as written in the table, in percent (92.84)."""

    planned: float | None = None  # 预算数 A / 年初预算数 (incl. carry-over)
    adjustment: float | None = None  # 调整数 (signed: a cut is negative)
    adjusted: float | None = None  # 全年预算数 / 调整后预算数
    executed: float | None = None  # 执行数 B / 全年执行数
    basic: float | None = None  # 基本支出
    project: float | None = None  # 项目支出
    funds: list[FundRow] = field(default_factory=list)
    stated_rate: float | None = None  # percent as written
    max_points: float | None = None  # 分值 as written
    stated_score: float | None = None  # 得分 as written
    rate_basis: str | None = None  # "planned" or "adjusted" where the table says which it uses
    formula_text: str | None = None  # a stated formula, e.g. "预算执行率=预算数/执行数"
    money_unit: str = ""  # "元" where the table's amounts were in 元 (converted to 万元 here)
    locs: dict[str, Loc] = field(default_factory=dict)  # field name -> where it was read


@dataclass
class Indicator:
    """One indicator row: levels as written and normalized, target and actual as written."""

    goal: int  # 1-based goal number
    row: int  # 1-based row number within the goal
    name: str  # 三级指标
    level1: str  # normalized (产出指标 / 效益指标 / 满意度指标, or as written if unknown)
    level2: str  # normalized (数量指标, 质量指标, …)
    level1_raw: str = ""
    level2_raw: str = ""
    target_text: str = ""
    actual_text: str = ""
    weight: float | None = None  # 分值 where the table gives it
    self_score: float | None = None  # 得分 where the table gives it
    reason: str = ""  # 偏差原因分析及改进措施
    loc: Loc | None = None
    # Layouts that split a value over columns (指标性质 | 指标值 | 度量单位) or give two targets:
    # target_text is the target as scored, composed from them; these keep the cells as written.
    comparator_text: str = ""  # 指标性质 / 计算符号 as written ("≧"; 定量指标 merged down: inherited)
    unit_text: str = ""  # 度量单位 / 计量单位 as written
    target_cell: str = ""  # the target cell as written, where target_text was composed from it
    initial_target_text: str = ""  # 年初指标值 where an adjusted target (调整指标值) is scored
    coefficient: float | None = None  # 得分系数 in percent, where the table gives it
    core: bool | None = None  # 是否核心指标

    @property
    def target(self) -> Value:
        """The target parsed by :func:`evalkit.values.notation.parse_value`."""
        from evalkit.values.notation import parse_value

        return parse_value(self.target_text)

    @property
    def actual(self) -> Value:
        """The actual parsed by :func:`evalkit.values.notation.parse_value`."""
        from evalkit.values.notation import parse_value

        return parse_value(self.actual_text)

    @property
    def key(self) -> str:
        """A stable reference to this row: ``g1r3``."""
        return f"g{self.goal}r{self.row}"


@dataclass
class Goal:
    """One annual goal (年度目标n) with its indicator rows."""

    index: int
    title: str = ""
    indicators: list[Indicator] = field(default_factory=list)
    loc: Loc | None = None
    points: float | None = None  # points written on the goal row ("年度目标1：（80分）")


@dataclass
class Paragraph:
    """One paragraph of the narrative report, kept for the narrative checks."""

    index: int
    text: str
    loc: Loc | None = None


@dataclass
class Unit:
    """Who filed, for which year, and what they declared."""

    name: str = ""
    kind: str = KIND_DEPARTMENT
    year: int | None = None
    department: str = ""  # 主管部门
    implementer: str = ""  # 实施单位 (project tables)
    filing_date: str = ""  # as written, e.g. "2024.4.15"
    declared_total: float | None = None
    declared_grade: str | None = None
    locs: dict[str, Loc] = field(default_factory=dict)


@dataclass
class Filing:
    """A whole self-evaluation filing as read from one source file."""

    unit: Unit = field(default_factory=Unit)
    budget: Budget = field(default_factory=Budget)
    goals: list[Goal] = field(default_factory=list)
    narrative: list[Paragraph] = field(default_factory=list)
    closing: dict[str, str] = field(default_factory=dict)  # 偏差原因分析, 改进措施, 备注
    source: str = ""  # the file it was read from
    source_format: str = ""  # "text", "docx", "xlsx", "yaml"
    encoding: str = ""  # a text dump's encoding as detected ("utf-8", "gb18030", "utf-16")
    problems: list[Problem] = field(default_factory=list)

    @property
    def indicators(self) -> list[Indicator]:
        """All indicator rows of all goals, in table order."""
        return [ind for goal in self.goals for ind in goal.indicators]

    @property
    def has_weights(self) -> bool:
        """True when the table carries a 分值 for its indicator rows."""
        inds = self.indicators
        return bool(inds) and any(ind.weight is not None for ind in inds)

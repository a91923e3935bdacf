"""Typed filing model: what a unit's self-evaluation says, as written and located.

A :class:`Filing` is read from a text dump, .docx, .xlsx or our YAML form and carries no computed
score: scoring and checks work on it without changing it. Every value keeps the text it was read
from and where it was read (:class:`Loc`), so a finding can point the evaluator at the cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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
    """Where a value was read: the file and, as far as the format knows, line, sheet, table, row, cell."""

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


@dataclass
class Problem:
    """Something an importer could read around: becomes a finding, never an exception.

    ``code`` is a stable finding code (see :mod:`evalkit.checks`), ``family`` a RULES §5 family,
    ``where`` a short place ("目标1 第3行", "预算执行情况"), ``loc`` the source location.
    """

    code: str
    family: str
    severity: str
    message: str
    where: str = ""
    loc: Loc | None = None


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

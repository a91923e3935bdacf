"""Filings built in code for the check tests: a clean base filing and the means to spoil it.

``base()`` is a small department-wide filing with nothing to report; each test changes one thing
and asks one check (``run``) whether it fires.
"""

from __future__ import annotations

from collections.abc import Callable

from evalkit.checks import CATALOGUE, Context, Finding, catalogue
from evalkit.model import Budget, Filing, FundRow, Goal, Indicator, Paragraph, Unit
from evalkit.scoring.profiles import Profile, load_profile
from evalkit.scoring.rules import score_filing

PROFILE = load_profile("mof-2020")

Case = Callable[[], Filing]


def ind(
    name: str,
    target: str,
    actual: str,
    level1: str = "产出指标",
    level2: str = "数量指标",
    *,
    goal: int = 1,
    row: int = 0,
    level1_raw: str | None = None,
    level2_raw: str | None = None,
    weight: float | None = None,
    self_score: float | None = None,
    reason: str = "",
) -> Indicator:
    """An indicator row (``row`` 0: numbered when the filing is made)."""
    return Indicator(
        goal=goal,
        row=row,
        name=name,
        level1=level1,
        level2=level2,
        level1_raw=level1 if level1_raw is None else level1_raw,
        level2_raw=level2 if level2_raw is None else level2_raw,
        target_text=target,
        actual_text=actual,
        weight=weight,
        self_score=self_score,
        reason=reason,
    )


def base_rows() -> list[Indicator]:
    return [
        ind("阅读推广活动场次", "≥40场", "52场"),
        ind("读者培训人次", "≥1000人次", "1250人次"),
        ind("图书上架及时率", "≥95%", "98%", level2="质量指标"),
        ind("全民阅读氛围提升", "达成预期指标", "达成预期指标", "效益指标", "社会效益指标"),
        ind("读者满意度", "≥90%", "96%", "满意度指标", "服务对象满意度指标"),
    ]


def base_budget() -> Budget:
    return Budget(planned=100.0, executed=95.0, basic=80.0, project=15.0, stated_rate=95.0)


SURVEY = "读者满意度：开展读者满意度问卷调查，收回有效问卷286份，读者满意度96%。"


def make(
    rows: list[Indicator] | None = None,
    *,
    budget: Budget | None = None,
    narrative: list[str] | None = None,
    unit: Unit | None = None,
    closing: dict[str, str] | None = None,
) -> Filing:
    """A filing; anything not given is the clean base's."""
    rows = base_rows() if rows is None else rows
    goals: dict[int, Goal] = {}
    for r in rows:
        goal = goals.setdefault(r.goal, Goal(index=r.goal))
        if not r.row:
            r.row = len(goal.indicators) + 1
        goal.indicators.append(r)
    texts = [SURVEY] if narrative is None else narrative
    return Filing(
        unit=unit or Unit(name="示例图书馆", year=2024, filing_date="2025.3.10", declared_grade="优"),
        budget=base_budget() if budget is None else budget,
        goals=[goals[k] for k in sorted(goals)],
        narrative=[Paragraph(i, text) for i, text in enumerate(texts, 1)],
        closing=closing or {},
        source="test",
    )


def base() -> Filing:
    """The clean base filing."""
    return make()


def weighted(selfs: list[float] | None = None, total: float | None = 99.5, grade: str = "优") -> Filing:
    """A project-style filing with 分值 and 得分: weights 50/30/10, budget 9.5 of 10."""
    weights = [20.0, 20.0, 10.0, 30.0, 10.0]
    selfs = weights if selfs is None else selfs
    rows = base_rows()
    for r, w, s in zip(rows, weights, selfs, strict=True):
        r.weight, r.self_score = w, s
    budget = Budget(
        planned=100.0,
        adjusted=100.0,
        executed=95.0,
        stated_rate=95.0,
        max_points=10.0,
        stated_score=9.5,
        funds=[FundRow("当年财政拨款", 90.0, 90.0, 85.0), FundRow("上年结转资金", 10.0, 10.0, 10.0)],
    )
    unit = Unit(name="示例项目", year=2024, declared_total=total, declared_grade=grade)
    return make(rows, budget=budget, unit=unit)


def context(filing: Filing, profile: Profile = PROFILE) -> Context:
    return Context(filing, profile, score_filing(filing, profile))


def run(code: str, filing: Filing, profile: Profile = PROFILE) -> list[Finding]:
    """The findings of one check on a filing."""
    catalogue()  # registers every check
    return list(CATALOGUE[code].func(context(filing, profile)))


def cases(table: dict[str, list[Case]]) -> list[tuple[str, Case]]:
    """``(code, case)`` pairs for ``pytest.mark.parametrize``."""
    return [(code, case) for code, found in table.items() for case in found]


def case_id(value: object) -> str:
    return getattr(value, "__name__", str(value))

"""Arithmetic checks (RULES §5.1): the budget block's figures against each other.

Amounts compare within ``profile.checks.amount_tolerance`` (万元), rates within
``profile.checks.rate_tolerance`` percentage points beyond the rounding of the stated figure.
"""

from __future__ import annotations

from collections.abc import Iterator

from evalkit.checks import PLACE_BUDGET, Check, Context, Finding, check, fmt, place_row, where_row
from evalkit.checks.narrative import finding_at, reading_of
from evalkit.prose.reading import BudgetFigure
from evalkit.scoring.rules import is_cost_indicator
from evalkit.values import notation as nt

WHERE_BUDGET = "预算执行情况"
_BASIS_LABELS = {"planned": "年初预算数", "adjusted": "调整后（全年）预算数"}
_UNIT_COST_WORDS = ("人均", "单位", "单项", "单个", "每", "平均", "标准", "户均", "亩均", "单价")
_TOTAL_COST_WORDS = ("总成本", "成本总额", "总投入", "总投资", "资金总额", "总费用", "支出总额", "总支出")


def decimals(value: float) -> int:
    """How many decimals a stated figure was written with (92.84 → 2, 93.0 → 0)."""
    text = repr(float(value))
    if "e" in text or text.endswith(".0"):
        return 0
    return len(text.split(".")[1])


def rounding_allowance(stated: float, tolerance: float, min_decimals: int = 0) -> float:
    """How far a correctly rounded figure may be from the exact one, plus the profile's tolerance.

    A rate may be written whole ("93%" for 92.84 %); a score is taken to one decimal at least, so
    "9" is not a rounding of 9.5.
    """
    return 0.5 * 10 ** -max(decimals(stated), min_decimals) + tolerance


def _budget_finding(chk: Check, ctx: Context, message: str, field: str = "") -> Finding:
    return chk.finding(message, WHERE_BUDGET, ctx.filing.budget.locs.get(field), PLACE_BUDGET)


def _by_paragraph(figures: list[BudgetFigure]) -> dict[int, dict[str, BudgetFigure]]:
    out: dict[int, dict[str, BudgetFigure]] = {}
    for bf in figures:
        out.setdefault(bf.figure.source.index, {}).setdefault(bf.kind, bf)
    return out


@check("A101", "arithmetic", "error", "基本支出与项目支出之和不等于执行数")
def basic_plus_project(chk: Check, ctx: Context) -> Iterator[Finding]:
    """基本支出 + 项目支出 must equal the executed amount (执行数) of a department-wide budget, in
    the table and in a report paragraph that states all three.

    Why: The three figures come from the same accounts; when they disagree at least one is mistyped, and
    the execution rate may rest on the wrong one.

    Example: 执行数 188.44 with 基本支出 179.96 and 项目支出 9.48 (they add up to 189.44).
    """
    b, tol = ctx.filing.budget, ctx.profile.checks.amount_tolerance
    if None not in (b.basic, b.project, b.executed):
        total = b.basic + b.project  # type: ignore[operator]
        if abs(total - b.executed) > tol:  # type: ignore[operator]
            yield _budget_finding(
                chk,
                ctx,
                f"基本支出{fmt(b.basic)}万元 + 项目支出{fmt(b.project)}万元 = {fmt(total)}万元，"
                f"与执行数{fmt(b.executed)}万元不符",
                "executed",
            )
    for kinds in _by_paragraph(reading_of(ctx).budget).values():
        if {"basic", "project", "executed"} <= set(kinds):
            basic, project, executed = kinds["basic"], kinds["project"], kinds["executed"]
            total = basic.amount + project.amount
            if abs(total - executed.amount) > tol:
                yield finding_at(
                    chk,
                    executed.figure,
                    f"报告正文：基本支出{basic.figure.text} + 项目支出{project.figure.text} = "
                    f"{fmt(total)}万元，与所述支出{executed.figure.text}不符",
                )


@check("A102", "arithmetic", "error", "年初预算加减调整数不等于调整后预算数")
def adjustment(chk: Check, ctx: Context) -> Iterator[Finding]:
    """年初预算数 ± 调整数 must equal 调整后（全年）预算数, in the table and in a report paragraph
    that states all three ("预算总额202.98万元，调减14.54万元，调减后预算数188.44万元").

    Why: An adjusted budget that does not follow from the initial budget and the adjustment leaves the
    denominator of the execution rate uncertain.

    Example: 年初预算数 202.98, 调整数 −14.54, 全年预算数 190.00 (202.98 − 14.54 = 188.44).
    """
    b, tol = ctx.filing.budget, ctx.profile.checks.amount_tolerance
    stated: set[tuple[float, float, float]] = set()
    for kinds in _by_paragraph(reading_of(ctx).budget).values():
        if not {"planned", "adjustment", "adjusted"} <= set(kinds):
            continue
        planned, change, adjusted = kinds["planned"], kinds["adjustment"], kinds["adjusted"]
        stated.add((planned.amount, change.amount, adjusted.amount))
        # "调整数14.54" does not say which way: either way that adds up is accepted.
        signs = (1,) if change.signed else (1, -1)
        results = [planned.amount + s * change.amount for s in signs]
        if all(abs(r - adjusted.amount) > tol for r in results):
            yield finding_at(
                chk,
                adjusted.figure,
                f"报告正文：预算数{planned.figure.text}，调整{change.figure.text}，"
                f"应得{fmt(results[0])}万元，所述调整后预算数为{adjusted.figure.text}",
            )
    if None in (b.planned, b.adjustment, b.adjusted):
        return
    total = b.planned + b.adjustment  # type: ignore[operator]
    # The importer may have taken the adjustment from a paragraph reported above: once is enough.
    if abs(total - b.adjusted) > tol and (b.planned, b.adjustment, b.adjusted) not in stated:  # type: ignore[operator]
        yield _budget_finding(
            chk,
            ctx,
            f"年初预算数{fmt(b.planned)}万元 + 调整数{fmt(b.adjustment)}万元 = {fmt(total)}万元，"
            f"与调整后预算数{fmt(b.adjusted)}万元不符",
            "adjusted",
        )


def _computed_rates(ctx: Context) -> dict[str, float]:
    b = ctx.filing.budget
    if b.executed is None:
        return {}
    bases = {"planned": b.planned, "adjusted": b.adjusted}
    return {k: b.executed / v * 100 for k, v in bases.items() if v}


def _rate_agrees(stated: float, rates: dict[str, float], tolerance: float) -> bool:
    allowance = rounding_allowance(stated, tolerance)
    if any(abs(stated - r) <= allowance for r in rates.values()):
        return True
    # A rate written as a fraction (0.9284) rather than in percent.
    return stated <= 1.5 and any(abs(stated * 100 - r) <= allowance * 100 for r in rates.values())


def _rates_text(rates: dict[str, float]) -> str:
    return "，".join(f"按{_BASIS_LABELS[k]}应为{fmt(r)}%" for k, r in rates.items())


@check("A103", "arithmetic", "error", "所填执行率与执行数/预算数不符")
def stated_rate(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A stated execution rate (in the table or the report) must be 执行数/预算数 on one of the two
    bases (年初 or 调整后), to within the rate tolerance beyond its own rounding.

    Why: Budget execution is worth 10 points; a stated rate that neither basis produces is a typing
    error or was computed on figures the table does not show.

    Example: 执行数 188.44, 预算数 202.98, stated 执行率 95.00% (the rate is 92.84%).
    """
    rates = _computed_rates(ctx)
    if not rates:
        return
    tol = ctx.profile.checks.rate_tolerance
    b = ctx.filing.budget
    if b.stated_rate is not None and not _rate_agrees(b.stated_rate, rates, tol):
        yield _budget_finding(
            chk,
            ctx,
            f"表中执行率{fmt(b.stated_rate)}%，执行数{fmt(b.executed)}万元，{_rates_text(rates)}",
            "stated_rate",
        )
    for bf in reading_of(ctx).budget:
        if bf.kind == "rate" and not _rate_agrees(bf.amount, rates, tol):
            yield finding_at(
                chk,
                bf.figure,
                f"报告正文执行率为{bf.figure.text}，按表中执行数{fmt(b.executed)}万元，{_rates_text(rates)}",
            )


@check("A104", "arithmetic", "error", "预算执行得分与执行率×分值不符")
def stated_budget_score(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The table's budget score (得分) must be 分值 × min(执行率, 100%) on one of the two bases.

    Why: The budget score is part of the declared total; a score that does not follow from the rate
    inflates or deflates the self-evaluation.

    Example: 执行率 92.84%, 分值 10, 得分 10 (the rule gives 9.28).
    """
    b = ctx.filing.budget
    rates = _computed_rates(ctx)
    if b.stated_score is None or not rates:
        return
    points = b.max_points if b.max_points is not None else ctx.profile.budget.points
    expected = {k: points * min(max(r / 100, 0.0), 1.0) for k, r in rates.items()}
    allowance = rounding_allowance(b.stated_score, ctx.profile.tolerance, min_decimals=1)
    if all(abs(b.stated_score - e) > allowance for e in expected.values()):
        shown = "，".join(f"按{_BASIS_LABELS[k]}应得{fmt(e)}分" for k, e in expected.items())
        yield _budget_finding(
            chk,
            ctx,
            f"表中预算执行得分{fmt(b.stated_score)}分（分值{fmt(points)}），{shown}",
            "stated_score",
        )


@check("A105", "arithmetic", "warning", "预算执行率分值与评分方案不符")
def budget_points(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The table's 分值 for budget execution differs from the scoring profile's (normally 10).

    Why: The profile fixes the weight of budget execution; a table with another 分值 is scored on another
    scale than the rules.

    Example: 预算执行率 分值 20 under the mof-2020 profile (10 points).
    """
    b = ctx.filing.budget
    points = ctx.profile.budget.points
    if b.max_points is not None and abs(b.max_points - points) > ctx.profile.tolerance:
        yield _budget_finding(
            chk,
            ctx,
            f"表中预算执行率分值为{fmt(b.max_points)}分，评分方案（{ctx.profile.name}）为{fmt(points)}分",
            "max_points",
        )


_FUND_COLUMNS = (("planned", "年初预算数"), ("adjusted", "全年预算数"), ("executed", "执行数"))


@check("A106", "arithmetic", "error", "资金来源各行之和不等于合计")
def fund_rows(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The fund rows (当年财政拨款, 上年结转, 其他资金) must add up to the total row, column by column.

    Why: Fund rows that do not add up mean the total row or one source is wrong, so the amount the rate
    uses is uncertain.

    Example: 当年财政拨款 180.00 + 上年结转 22.98 with a 合计 row of 212.98.
    """
    b, tol = ctx.filing.budget, ctx.profile.checks.amount_tolerance
    if not b.funds:
        return
    for field, label in _FUND_COLUMNS:
        total = getattr(b, field)
        parts = [(f.name, getattr(f, field)) for f in b.funds if getattr(f, field) is not None]
        if total is None or not parts:
            continue
        added = sum(v for _, v in parts)
        if abs(added - total) > tol:
            listed = " + ".join(f"{name}{fmt(v)}" for name, v in parts)
            yield _budget_finding(
                chk,
                ctx,
                f"{label}：{listed} = {fmt(added)}万元，与合计{fmt(total)}万元不符",
                field,
            )


def _amount_wan(ind) -> float | None:
    """A cost row's actual in 万元: money as written, or a bare figure read in the target's money
    unit ("90" under "≤90万元") or as 万 ("150万" in a cost row is 150万元)."""
    wan = nt.to_wan(ind.actual)
    if wan is not None:
        return wan
    q = ind.actual.quantity
    if q is None or q.unit:
        return None
    if q.magnitude != 1.0:
        return q.number / 1e4
    target = nt.to_wan(ind.target)
    if target is not None and ind.target.number:
        return q.as_written * target / ind.target.number
    return None


@check("A107", "arithmetic", "warning", "总成本指标与执行数不符")
def total_cost(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A total-cost indicator (项目总成本, 资金总额…, or the table's only cost row with an amount)
    whose actual differs from the executed amount of the budget block: the same money is reported
    twice with two figures.

    Why: Two figures for the same money: either the cost indicator or the budget block is wrong, and the
    cost indicator's score may rest on the wrong one.

    Example: 项目总成本 actual 500万元 while the budget block's 执行数 is 415.80万元; or the only cost
    row, 运行维护费 150万, against 执行数 125.25万元.
    """
    executed = ctx.filing.budget.executed
    if executed is None:
        return
    tol = ctx.profile.checks.amount_tolerance
    costs = [
        (ind, amount)
        for ind in ctx.filing.indicators
        if is_cost_indicator(ind, ctx.profile) and (amount := _amount_wan(ind)) is not None
    ]
    for ind in ctx.filing.indicators:
        total_word = any(w in ind.name for w in _TOTAL_COST_WORDS)
        whole = total_word or ("总" in ind.name and is_cost_indicator(ind, ctx.profile))
        actual = _amount_wan(ind)
        # The only cost row with an amount, of the budget's order and not per unit, stands for the
        # project's whole cost (市民中心运行维护费 150万 against 执行数 125.25万元).
        alone = (
            len(costs) == 1
            and costs[0][0] is ind
            and not any(w in ind.name for w in _UNIT_COST_WORDS)
            and actual is not None
            and actual >= 0.5 * max(executed, ctx.filing.budget.planned or 0.0)
        )
        if not (whole or alone):
            continue
        if actual is not None and abs(actual - executed) > tol:
            yield chk.finding(
                f"实际完成值{ind.actual_text}，与预算执行数{fmt(executed)}万元不符",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("A108", "arithmetic", "error", "预算数或执行数缺失、为0")
def budget_missing(chk: Check, ctx: Context) -> Iterator[Finding]:
    """Budget execution cannot be scored: the budget (预算数) is 0 or missing, or the executed
    amount (执行数) is missing.

    Why: Without a budget and an executed amount the 10 budget points cannot be computed and the total
    is incomplete.

    Example: 预算数 written 0, or 执行数 left as `—`.
    """
    problem = ctx.card.budget.problem
    if problem:
        yield _budget_finding(chk, ctx, f"{problem}，预算执行得分按0分计", "planned")

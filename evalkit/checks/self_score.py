"""Self-score checks (RULES §5.3): the unit's own scores against the rules.

Row checks need a table with 得分 (self-score) column. Where the table gives 分值 the rule score is
on that weight; where it gives self-scores but no 分值, each self-score is compared with the rule
score on the weight the profile allocates (RULES §4.2), and a self-score above that allocated
weight is reported. The total and grade checks need a declared total
or grade (in the table's 总分 row or the report's "自评得分…分，等级为优"). Differences at or below
``profile.tolerance`` (0.01) are equal. A qualitative or late-deadline row may score anywhere in its
tier (e.g. 80–100 % of the weight when achieved): only a self-score outside the tier is reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, fmt, place_row, where_row
from evalkit.scoring.rules import DEADLINE, QUALITATIVE, RULE_LABELS, UNSCORABLE, IndicatorScore

PLACE_TOTAL = (2, 10**6)  # the 总分 row: after every indicator row
WHERE_TOTAL = "总分"


def allowed_range(s: IndicatorScore, ctx: Context) -> tuple[float, float]:
    """The scores the rules allow a row: one figure, or a qualitative tier's range."""
    profile, w = ctx.profile, s.weight
    if s.rule == DEADLINE and s.rule_score < w - profile.tolerance:
        low, high = profile.tier_range(profile.deadline_late_tier)
        return low * w, high * w
    if s.rule == QUALITATIVE and w > 0:
        for tier in profile.qualitative:
            low, high = profile.tier_range(tier)
            if abs(high * w - s.rule_score) <= 1e-9:
                return low * w, high * w
    return s.rule_score, s.rule_score


def _self_scored(ctx: Context) -> list[IndicatorScore]:
    return [s for s in ctx.card.indicators if s.indicator.self_score is not None]


@check("S101", "self_score", "error", "指标自评得分与按规则计算的得分不符")
def row_score(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A row's self-score differs from what the rules give for its target and actual by more than
    the tolerance: above it is an inflated score (error), below it an understated one (warning).

    Why: The self-score is the unit's claim; a score the rules do not give is the commonest way a
    self-evaluation is inflated.

    Example: Target `≥60场`, actual `50场`, 分值 10, 得分 10 (the rule gives 8.33).
    """
    tol = ctx.profile.tolerance
    for s in _self_scored(ctx):
        ind, own = s.indicator, s.indicator.self_score
        assert own is not None
        if s.rule == UNSCORABLE:
            continue
        if ind.weight is not None and own > s.weight + tol:  # above its own 分值: S102 says it better
            continue
        low, high = allowed_range(s, ctx)
        if low - tol <= own <= high + tol:
            continue
        expected = fmt(high) if low == high else f"{fmt(low)}～{fmt(high)}"
        higher = own > high
        weight = (
            f"分值{fmt(s.weight)}" if ind.weight is not None else f"表中未列分值，按分配分值{fmt(s.weight)}"
        )
        yield chk.finding(
            f"自评得分{fmt(own)}分，按{RULE_LABELS[s.rule]}规则应得{expected}分"
            f"（{weight}，目标值{ind.target_text}，实际完成值{ind.actual_text}），"
            + ("自评偏高" if higher else "自评偏低"),
            where_row(ind),
            ind.loc,
            place_row(ind),
            severity=None if higher else "warning",
        )


@check("S102", "self_score", "error", "指标得分超过分值")
def above_weight(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A row's self-score is above its weight (得分不能大于分值); where the table gives no 分值,
    above the weight the profile allocates to the row.

    Why: A score above its weight is impossible under the rules (得分不能大于分值) and inflates the total.

    Example: 分值 10, 得分 12.
    """
    tol = ctx.profile.tolerance
    for s in _self_scored(ctx):
        ind = s.indicator
        if ind.self_score is None or ind.self_score <= s.weight + tol:
            continue
        if ind.weight is None and ctx.filing.has_weights:
            continue  # a blank 分值 among given ones: no allocated weight to compare with
        if ind.weight is not None:
            message = f"自评得分{fmt(ind.self_score)}分超过分值{fmt(ind.weight)}分"
        else:
            message = (
                f"自评得分{fmt(ind.self_score)}分超过按评分方案分配的分值{fmt(s.weight)}分"
                f"（表中未列分值，{ind.level1 or '该级'}权重按指标数平均分配）"
            )
        yield chk.finding(message, where_row(ind), ind.loc, place_row(ind))


def _total_finding(chk: Check, ctx: Context, message: str, field: str) -> Finding:
    return chk.finding(message, WHERE_TOTAL, ctx.filing.unit.locs.get(field), PLACE_TOTAL)


@check("S103", "self_score", "error", "自评总分不等于各项得分之和")
def total_of_parts(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The declared total differs from the table's own parts: the budget score plus every row's
    self-score.

    Why: A declared total that is not the sum of its parts cannot be reproduced from the table.

    Example: Budget score 9.28 plus row scores 88.00 make 97.28; declared total 98.5.
    """
    unit, budget = ctx.filing.unit, ctx.filing.budget
    rows = ctx.filing.indicators
    if unit.declared_total is None or budget.stated_score is None or not rows:
        return
    if any(ind.self_score is None for ind in rows):
        return
    parts = budget.stated_score + sum(ind.self_score or 0.0 for ind in rows)
    if abs(parts - unit.declared_total) > ctx.profile.tolerance:
        yield _total_finding(
            chk,
            ctx,
            f"自评总分{fmt(unit.declared_total)}分，而预算执行得分{fmt(budget.stated_score)}分与各指标"
            f"自评得分合计为{fmt(parts)}分",
            "declared_total",
        )


@check("S104", "self_score", "error", "自评等级与自评总分不符")
def grade_of_total(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The declared grade is not the grade of the declared total under the profile's bands
    (优 ≥ 90, 良 80–90, 中 60–80, 差 < 60 by default).

    Why: The grade follows from the total by the profile's bands; a grade the total does not reach is a
    claim the table does not support.

    Example: Declared total 88.5 with declared grade 优 (88.5 is 良).

    Settings: grades
    """
    unit, profile = ctx.filing.unit, ctx.profile
    if unit.declared_total is None or unit.declared_grade not in profile.grades:
        return
    grade = profile.grade(unit.declared_total)
    if grade != unit.declared_grade:
        yield _total_finding(
            chk,
            ctx,
            f"自评总分{fmt(unit.declared_total)}分对应等级“{grade}”，自评等级却为“{unit.declared_grade}”",
            "declared_grade",
        )


@check("S105", "self_score", "error", "自评分偏高")
def total_inflated(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The declared total is above the recomputed total: the unit scored itself higher than the
    rules allow.

    Why: An inflated self-score (自评分偏高) is the main finding a review exists to catch: the unit claims
    more than the rules give.

    Example: Declared 98.5, recomputed 95.40.
    """
    unit, card = ctx.filing.unit, ctx.card
    if unit.declared_total is None or unit.declared_total <= card.total + ctx.profile.tolerance:
        return
    yield _total_finding(
        chk,
        ctx,
        f"自评总分{fmt(unit.declared_total)}分，复核得分{card.total:.2f}分，"
        f"自评分偏高{fmt(unit.declared_total - card.total)}分",
        "declared_total",
    )


@check("S106", "self_score", "warning", "自评等级高于复核等级")
def grade_inflated(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The declared grade is better than the grade of the recomputed total.

    Why: The declared grade is what a bureau reads first; the reviewed grade replaces it.

    Example: Declared 优, recomputed 76.69 (中).
    """
    unit, card, grades = ctx.filing.unit, ctx.card, list(ctx.profile.grades)
    if unit.declared_grade not in grades or card.grade not in grades:
        return
    if grades.index(unit.declared_grade) < grades.index(card.grade):
        yield _total_finding(
            chk,
            ctx,
            f"自评等级“{unit.declared_grade}”，复核得分{card.total:.2f}分对应等级“{card.grade}”",
            "declared_grade",
        )


@check("S107", "self_score", "warning", "未自评：有分值但未填写自评得分")
def not_self_scored(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The table gives 分值 but rows have no self-score (得分 blank): the unit did not score
    itself. When no row is scored, one finding for the table; otherwise one per unscored row.

    Why: A table published with blank scores (unfilled) cannot be compared with the review, and a
    unit that scores some rows and not others leaves its declared total unexplained.

    Example: A Sichuan table with 权重 60 and 30 and its 得分 column empty.
    """
    rows = ctx.filing.indicators
    weighted = [ind for ind in rows if ind.weight is not None]
    if not weighted:
        return
    unscored = [ind for ind in weighted if ind.self_score is None]
    if len(unscored) == len(weighted):
        yield chk.finding(
            f"自评表列有分值，但{len(unscored)}个指标均未填写自评得分（未自评）",
            "绩效指标",
            None,
            (2, 0),
        )
        return
    for ind in unscored:
        yield chk.finding(
            f"分值{fmt(ind.weight or 0)}分，未填写自评得分（未自评）", where_row(ind), ind.loc, place_row(ind)
        )

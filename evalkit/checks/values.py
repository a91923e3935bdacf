"""Value checks (RULES §5.6): unreadable, approximate, missing and malformed target/actual cells,
percentages over 100 %, cost targets written as floors, units that disagree, words for numbers."""

from __future__ import annotations

from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, place_row, where_row
from evalkit.scoring.rules import is_cost_indicator
from evalkit.values import notation as nt

_FIELDS = (("target", "目标值"), ("actual", "实际完成值"))


def _cells(ctx: Context) -> Iterator[tuple[object, str, nt.Value]]:
    for s in ctx.card.indicators:
        for attr, label in _FIELDS:
            value = getattr(s, attr)
            if value is not None:
                yield s, label, value


def _problem_findings(chk: Check, ctx: Context, code: str) -> Iterator[Finding]:
    for s, label, value in _cells(ctx):
        for problem in value.problems:
            if problem.code == code:
                ind = s.indicator
                yield chk.finding(
                    f"{label}“{value.text}”：{problem.message}", where_row(ind), ind.loc, place_row(ind)
                )


@check("V101", "value", "error", "取值无法识别")
def unreadable(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A target or actual cell cannot be read as any notation (abc, #REF!, 13月): the row cannot be scored.

    Why: No rule can score an unreadable value: the row earns nothing until a reviewer corrects it.

    Example: 实际完成值 `#REF!`, `abc` or `13月`.
    """
    yield from _problem_findings(chk, ctx, "unreadable")


@check("V102", "value", "warning", "取值缺失")
def missing(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A target or actual cell is blank or a placeholder (—, /, *): the row cannot be scored as filed.

    Why: A blank target or actual leaves the row unscorable as filed; a blank actual often means the
    work was not reported.

    Example: 实际完成值 `—`.
    """
    yield from _problem_findings(chk, ctx, "missing")


@check("V103", "value", "info", "取值为约数")
def approximate(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A value is approximate ("30余篇", "约30篇", "30篇左右"): it is scored on its number, but the
    result is not exact and should be backed by a precise count.

    Why: An approximate actual may round a shortfall up: the score rests on a number the unit did not
    count.

    Example: 实际完成值 `40余篇` for a target of 40篇.
    """
    yield from _problem_findings(chk, ctx, "approximate")


@check("V104", "value", "info", "取值写法不规范")
def malformed(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A value is readable but badly written: a number without unit ("100"), "≥100百分比", or
    comparators that contradict each other.

    Why: A badly written value is read on a best guess; the reviewer should confirm the guess is what
    the unit meant.

    Example: Target `100` with no unit; `≥100百分比`.
    """
    yield from _problem_findings(chk, ctx, "malformed")
    yield from _problem_findings(chk, ctx, "no_unit")
    # An actual is what was achieved: "≥266米" restates the target instead of a measured value.
    for s in ctx.card.indicators:
        actual = s.actual
        if actual is not None and actual.kind == nt.NUMBER and actual.comparator is not None:
            ind = s.indicator
            yield chk.finding(
                f"实际完成值“{actual.text}”带比较符，应填写实际达到的数值，而不是目标范围",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("V105", "value", "warning", "百分比超过100%")
def percent_over_100(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A percentage above 100 % (a rate or a share cannot exceed it): a typing or definition error.

    Why: A rate or share above 100 % is impossible: usually a count typed into a percentage cell, or the
    wrong denominator.

    Example: Coverage actual `120%`.
    """
    yield from _problem_findings(chk, ctx, "percent_over_100")


@check("V106", "value", "warning", "成本指标目标值写作下限")
def cost_floor(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A cost indicator (成本指标, or an amount of money under a cost name) has a floor target
    ("≥30万元"): a cost target is a ceiling (≤), and as written spending more scores better.

    Why: Scored as a floor, a cost target rewards spending more; a cost target is a ceiling.

    Example: 成本指标 target `≥30万元`.

    Settings: cost_keywords
    """
    for s in ctx.card.indicators:
        ind, target = s.indicator, s.target
        if target is None or target.comparator not in (">=", ">"):
            continue
        costly = "成本" in ind.level2 or (
            nt.to_wan(target) is not None and is_cost_indicator(ind, ctx.profile)
        )
        if costly:
            yield chk.finding(
                f"成本指标目标值“{ind.target_text}”为下限，成本类目标应为上限（≤）",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("V107", "value", "warning", "目标值与实际完成值单位不一致")
def unit_mismatch(chk: Check, ctx: Context) -> Iterator[Finding]:
    """Target and actual are numbers in units that count different things (人 vs 人次, % vs 人,
    万元 vs 元 are compared after scaling): the comparison and the score are meaningless.

    Why: Comparing people with person-times, or a percentage with a count, gives a meaningless ratio, so
    the row's score is not reliable.

    Example: Target `2500人`, actual `9770人次`.
    """
    for s in ctx.card.indicators:
        t, a = s.target, s.actual
        if t is None or a is None or t.kind != nt.NUMBER or a.kind != nt.NUMBER:
            continue
        if not nt.same_unit(t, a):
            ind = s.indicator
            yield chk.finding(
                f"目标值“{ind.target_text}”单位为“{t.unit}”，实际完成值“{ind.actual_text}”单位为“{a.unit}”",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )


@check("V108", "value", "warning", "数值目标的完成值填写为文字")
def words_for_number(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The target is a number ("1500人") but the actual is words ("完成", "达标"): the result cannot
    be compared with the target and is scored only as a qualitative tier.

    Why: A word such as 完成 for a numeric target hides whether the number was reached; the row falls back
    to a qualitative tier.

    Example: Target `1500人`, actual `完成`.
    """
    for s in ctx.card.indicators:
        t, a = s.target, s.actual
        if t is not None and a is not None and t.kind == nt.NUMBER and a.kind == nt.QUALITATIVE:
            ind = s.indicator
            yield chk.finding(
                f"目标值为数值“{ind.target_text}”，实际完成值却填写“{ind.actual_text}”，无法与目标值比较",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )

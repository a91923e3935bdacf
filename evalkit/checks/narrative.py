"""Narrative checks (RULES §5.8): figures the report text states against the table.

The figures come from :func:`evalkit.prose.reading.read_narrative`, read once per review and shared
through the context's cache. Findings point at the paragraph that states the figure, with a short
quote, and name the indicator row and both figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, fmt
from evalkit.model import Indicator
from evalkit.prose.reading import (
    HOW_HEADING,
    MAX_FIGURES_PER_NARRATIVE,
    MAX_FIGURES_PER_PARAGRAPH,
    ROLE_ACTUAL,
    ROLE_TARGET,
    Figure,
    Reading,
    Statement,
    read_narrative,
)
from evalkit.values import notation as nt
from evalkit.values.notation import Value

_CACHE_KEY = "narrative"


def reading_of(ctx: Context) -> Reading:
    """The narrative reading of the context's filing (read once, shared by the checks)."""
    cached = ctx.cache.get(_CACHE_KEY)
    if not isinstance(cached, Reading):
        cached = read_narrative(ctx.filing, ctx.profile.checks.name_match)
        ctx.cache[_CACHE_KEY] = cached
    return cached


def finding_at(chk: Check, figure: Figure, message: str, severity: str | None = None) -> Finding:
    """A finding pointing at the text a figure was read from, with a short quote around it."""
    source = figure.source
    return chk.finding(message, f"{source.label}：“{figure.quote()}”", source.loc, source.place, severity)


def agrees(stated: Value, table: Value, approx_tol: float) -> bool:
    """True when a stated figure agrees with the table's: equal, or within a 约数's reach."""
    pair = nt.on_one_scale(stated, table)
    if pair is None:
        return False
    a, b = pair
    if abs(a - b) <= 1e-9 * max(1.0, abs(b)):
        return True
    if stated.approximate or table.approximate:
        low = min(abs(a), abs(b))
        return abs(a - b) <= approx_tol * max(low, 1e-9)
    return False


def _comparable(ind: Indicator, role: str, st: Statement) -> bool:
    """The stated figure counts the same thing as the row's target or actual (units agree)."""
    fig = st.figure.value
    table, other = (ind.target, ind.actual) if role == ROLE_TARGET else (ind.actual, ind.target)
    if table.kind != nt.NUMBER or not nt.same_unit(fig, table):
        return False
    if table.unit:
        return True
    # A cell without unit ("100"): the row's other cell says what it counts; without one either,
    # only a figure whose own words name the row is compared.
    if other.kind == nt.NUMBER and other.unit:
        return nt.same_unit(fig, other)
    return st.how != HOW_HEADING


def _row(ind: Indicator) -> str:
    return f"{ind.name}（目标{ind.goal} 第{ind.row}行）"


def _statements(reading: Reading, ind: Indicator, role: str, goal: bool) -> list[Statement]:
    return [st for st in reading.for_indicator(ind.key) if st.figure.role == role and st.goal == goal]


def _target_conflicts(chk: Check, ctx: Context, goal: bool) -> Iterator[Finding]:
    reading = reading_of(ctx)
    tol = ctx.profile.checks.approximate_tolerance
    for ind in ctx.filing.indicators:
        table = ind.target
        stated = [
            st for st in _statements(reading, ind, ROLE_TARGET, goal) if _comparable(ind, ROLE_TARGET, st)
        ]
        if not stated or any(agrees(st.figure.value, table, tol) for st in stated):
            continue
        st = stated[0]
        source = "绩效目标" if goal else "报告正文"
        quoted = f"“{st.figure.text}”" if goal else st.figure.text
        yield finding_at(
            chk,
            st.figure,
            f"{_row(ind)}：表中目标值{ind.target_text}，{source}为{quoted}",
        )


@check("N101", "narrative", "warning", "正文所述目标值与表中不一致")
def stated_target(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The report text states a target for an indicator ("完成目标值7500人次") that differs from the
    table's 年初目标值: one of the two is wrong, and the score depends on it.

    Why: A target stated twice with two values means the table's target, the one scored, may not be the
    one the unit committed to.

    Example: Table 普及救护培训 target 2500人次, report `完成目标值7500人次` (the seed).
    """
    yield from _target_conflicts(chk, ctx, goal=False)


@check("N102", "narrative", "warning", "绩效目标表述与表中目标值不一致")
def goal_target(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A goal the report sets (整体绩效目标 / 年度总体目标: "完成…培训2000人次以上") names an
    indicator of the table with another target: the table's target was not set from the goal.

    Why: The goal section is the unit's commitment; a table target below it makes the indicator easier
    to meet than promised.

    Example: Goal text `开展志愿服务活动不少于14次`, table target `12期` (the seed).
    """
    yield from _target_conflicts(chk, ctx, goal=True)


@check("N103", "narrative", "warning", "正文所述完成值与表中不一致")
def stated_actual(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The report text states a result for an indicator that differs from the table's 实际完成值
    (and no figure of the text agrees with it).

    Why: The table's actual is the one scored; another figure in the text means one of them is wrong,
    and the score may be too.

    Example: Table actual `1849人`, report `培训救护员1500人`.
    """
    reading = reading_of(ctx)
    tol = ctx.profile.checks.approximate_tolerance
    for ind in ctx.filing.indicators:
        table = ind.actual
        stated = [
            st for st in _statements(reading, ind, ROLE_ACTUAL, False) if _comparable(ind, ROLE_ACTUAL, st)
        ]
        if not stated or any(agrees(st.figure.value, table, tol) for st in stated):
            continue
        # A paragraph about the row may give several counts (会员1219人, 志愿者1314人): only a
        # figure the words name, or the paragraph's only one, is taken as the stated result.
        named = [st for st in stated if st.how != HOW_HEADING]
        lone = len(stated) == 1
        st = named[0] if named else (stated[0] if lone else None)
        if st is None:
            continue
        yield finding_at(
            chk,
            st.figure,
            f"{_row(ind)}：表中实际完成值{ind.actual_text}，报告正文为{st.figure.text}",
        )


@check("N104", "narrative", "info", "正文为约数而表中为确数")
def approximate_in_text(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The report text gives only an approximate result ("40余篇") where the table states an exact
    one (40篇): the exact figure is not backed by the report.

    Why: An exact figure the report cannot back is not evidence; the reviewer should ask for the count.

    Example: Report `发布信息40余篇`, table actual `40篇` (the seed).
    """
    reading = reading_of(ctx)
    tol = ctx.profile.checks.approximate_tolerance
    for ind in ctx.filing.indicators:
        table = ind.actual
        if table.kind != nt.NUMBER or table.approximate:
            continue
        stated = [
            st
            for st in _statements(reading, ind, ROLE_ACTUAL, False)
            if _comparable(ind, ROLE_ACTUAL, st) and agrees(st.figure.value, table, tol)
        ]
        if not stated or any(not st.figure.value.approximate for st in stated):
            continue
        st = stated[0]
        others = sorted({s.figure.source.index for s in stated[1:] if s.figure.source.index})
        also = f"（另见正文第{'、'.join(map(str, others))}段）" if others else ""
        yield finding_at(
            chk,
            st.figure,
            f"{_row(ind)}：报告正文为约数“{st.figure.text}”，表中实际完成值为确数{ind.actual_text}{also}",
        )


@check("N105", "narrative", "warning", "正文绩效目标在表中无对应指标")
def goal_without_indicator(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A quantified goal of the report's goal section ("完成应急救护师资培训10人以上") has no
    indicator in the table and no reported result: the goal is not evaluated.

    Why: A goal with no indicator is not measured and no part of the score: the report promised more
    than the table evaluates.

    Example: Goal `完成应急救护师资培训10人以上` and no indicator about 师资培训 (the seed).
    """
    reading = reading_of(ctx)
    for goal in reading.goals:
        if goal.keys:
            continue
        # Amounts in a goal sentence are funding, not results ("安排资金50万元用于…").
        figures = [f for f in goal.figures if nt.to_wan(f.value) is None]
        if not figures:
            continue
        # The results restate every figure of the goal in its words ("落实39户特色种养业奖补政策"
        # in the completion cell): the goal has a reported result, only no indicator.
        text = goal.source.text[goal.start : goal.end]
        words = _without(text, [(f.start - goal.start, f.end - goal.start) for f in figures])
        if all(reading.reports(f, words) for f in figures):
            continue
        first, last = figures[0], figures[-1]
        quoted = goal.source.quote(first.start, last.end, 30)
        listed = "、".join(f"“{f.text}”" for f in figures)
        topic = _topic(goal.text)
        about = f"（{topic}）" if topic and topic not in quoted else ""
        yield chk.finding(
            f"绩效目标{about}所定{listed}在自评表中没有对应的绩效指标，也没有填报完成情况",
            f"{goal.source.label}：“{quoted}”",
            goal.source.loc,
            goal.source.place,
        )


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], " "]
        last = end
    return "".join([*pieces, text[last:]])


def _topic(sentence: str) -> str:
    """The lead clause of a goal sentence when it is short ("开展“红筷行动”公益助学项目")."""
    head = re.split(r"[，,；;：:。]", sentence, maxsplit=1)[0].strip()
    return head if 2 <= len(head) <= 20 else ""


_BUDGET_LABELS = {
    "planned": ("预算数", "planned"),
    "adjusted": ("调整后预算数", "adjusted"),
    "executed": ("执行数", "executed"),
    "basic": ("基本支出", "basic"),
    "project": ("项目支出", "project"),
}


@check("N106", "narrative", "warning", "正文预算数字与表中不一致")
def budget_figures(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The report text states a budget amount (预算数, 执行数, 基本支出…) in a paragraph about the
    whole budget that differs from the table's budget block.

    Why: The budget block scores the 10 budget points; another amount in the text means the rate may
    rest on the wrong figure.

    Example: Report `全年预算202.98万元，执行190万元`, table 执行数 188.44.
    """
    budget = ctx.filing.budget
    tol = ctx.profile.checks.amount_tolerance
    seen: set[tuple[str, float]] = set()
    for bf in reading_of(ctx).budget:
        if bf.kind not in _BUDGET_LABELS:
            continue
        label, field = _BUDGET_LABELS[bf.kind]
        table = getattr(budget, field)
        if table is None or abs(bf.amount - table) <= tol or (bf.kind, bf.amount) in seen:
            continue
        seen.add((bf.kind, bf.amount))
        yield finding_at(
            chk,
            bf.figure,
            f"报告正文{label}为{bf.figure.text}，表中{label}为{fmt(table)}万元",
        )


@check("N107", "narrative", "info", "正文数字过多，部分未核对")
def figures_capped(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A paragraph (or the whole report text) holds more figures than the narrative reader takes
    (500 per paragraph, 5,000 in all: no real report comes near): what follows was not compared
    with the table. Usually a table pasted into the text; the reviewer checks it by hand.

    Why: The narrative reader takes a bounded number of figures so that a hostile or malformed text
    cannot stall the review; figures beyond the cap are not compared with the table.

    Example: A spreadsheet of 20,000 numbers pasted into the report as one paragraph.
    """
    for source, read in reading_of(ctx).capped:
        if read:
            what = f"所含数字超过每段{MAX_FIGURES_PER_PARAGRAPH}个的核对上限，仅核对了前{read}个"
        else:
            what = f"未核对：报告正文数字已超过全文{MAX_FIGURES_PER_NARRATIVE}个的核对上限"
        yield chk.finding(
            f"{source.label}{what}，其余数字未与自评表比对，请人工核对",
            source.label,
            source.loc,
            source.place,
        )

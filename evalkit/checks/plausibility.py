"""Plausibility checks: values no real filing can have, which scoring alone would pass silently.

A negative weight would read as a reviewer's deduction, a negative budget still scores, an
executed amount 100 times the budget scores in full (the rate is capped at 100 %), a filing date
of 2024.13.45 or 二〇二四年十三月四十五日 is no date, and a declared total above the full score is
no score. Each gets a finding that names the field; the thresholds come from the profile.

Codes (this module): V191 negative weight or self-score, V192 negative budget amount, V193
executed far above budget, V194 negative target or actual, D191 impossible date, S191 declared
total above the full score.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from evalkit.checks import (
    PLACE_BUDGET,
    PLACE_UNIT,
    Check,
    Context,
    Finding,
    check,
    fmt,
    place_row,
    where_row,
)

_AMOUNTS = {
    "planned": "预算数",
    "adjusted": "全年预算数",
    "executed": "执行数",
    "basic": "基本支出",
    "project": "项目支出",
    "stated_rate": "执行率",
    "stated_score": "预算执行得分",
    "max_points": "预算执行分值",
}


@check("V191", "value", "error", "分值或自评得分为负数")
def negative_weight(chk: Check, ctx: Context) -> Iterator[Finding]:
    """An indicator's 分值 or 得分 is negative: no rule gives negative points, and a negative weight
    would otherwise read as a deduction in the score card.

    Why: Scoring would carry the negative points into the total, where they look like a reviewer's
    deduction (复核扣分 −-15.00) that nobody made.

    Example: 分值 -15 on 受惠学生人数.
    """
    for ind in ctx.filing.indicators:
        for label, value in (("分值", ind.weight), ("自评得分", ind.self_score)):
            if value is not None and value < 0:
                yield chk.finding(
                    f"{label}为负数（{fmt(value)}），请核对原表", where_row(ind), ind.loc, place_row(ind)
                )


@check("V192", "value", "error", "预算金额为负数")
def negative_amount(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A budget amount (预算数, 执行数, 基本/项目支出, a fund row) or the stated rate is negative:
    only the 调整数 may be negative (a cut).

    Why: A negative budget still gives an execution rate and a score (8 of 10), so the error would
    pass into the grade unnoticed.

    Example: 全年预算数 -560 万元.
    """
    b = ctx.filing.budget
    for name, label in _AMOUNTS.items():
        value = getattr(b, name)
        if value is not None and value < 0:
            yield chk.finding(
                f"{label}为负数（{fmt(value)}），请核对原表",
                f"预算执行情况 {label}",
                b.locs.get(name),
                PLACE_BUDGET,
            )
    for fund in b.funds:
        for name, label in (("planned", "预算数"), ("adjusted", "全年预算数"), ("executed", "执行数")):
            value = getattr(fund, name)
            if value is not None and value < 0:
                yield chk.finding(
                    f"资金“{fund.name}”的{label}为负数（{fmt(value)}），请核对原表",
                    f"预算执行情况 {fund.name}",
                    fund.loc,
                    PLACE_BUDGET,
                )


@check("V193", "value", "warning", "执行数远超预算数")
def executed_far_above(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The executed amount is far above the budget (by default more than 150 %, profile setting
    ``checks.execution_rate_limit``): the rate score is capped at 100 %, so a unit error (元 for
    万元) or a wrong column would score in full unnoticed.

    Why: Spending far beyond the budget is either an error in the table or a real overrun that
    the review must name; the capped score hides both.

    Example: 预算数 560 万元, 执行数 56000 万元 (100 times).
    """
    b = ctx.card.budget
    limit = ctx.profile.checks.execution_rate_limit
    if b.denominator and b.denominator > 0 and b.executed is not None and b.executed > b.denominator * limit:
        yield chk.finding(
            f"执行数{fmt(b.executed)}万元是预算数{fmt(b.denominator)}万元的{b.executed / b.denominator:.1f}倍"
            f"（超过评分方案上限{limit:.0%}），请核对金额单位和所填栏目",
            "预算执行情况",
            ctx.filing.budget.locs.get("executed"),
            PLACE_BUDGET,
        )


@check("V194", "value", "warning", "指标值或完成值为负数")
def negative_value(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A numeric target or actual is negative (``-15人``): counts and rates are not negative, and
    scoring counts a negative actual as 0.

    Why: A sign typed by mistake changes the score silently (a negative actual scores 0).

    Example: 实际完成值 ``-15人`` for a count of people.
    """
    for ind in ctx.filing.indicators:
        for label, value in (("指标值", ind.target), ("完成值", ind.actual)):
            if value.kind == "number" and value.number is not None and value.number < 0:
                yield chk.finding(
                    f"{label}“{value.text[:60]}”为负数，请核对原表", where_row(ind), ind.loc, place_row(ind)
                )


@check("S191", "self_score", "error", "自评总分超过满分")
def declared_above_full(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The declared total (自评得分) is above the full score of the profile (100) or negative.

    Why: A total outside 0–100 is no score under the rules; its grade and the comparison with the
    recomputed total mean nothing.

    Example: 自评得分 120.
    """
    total = ctx.filing.unit.declared_total
    full = ctx.profile.max_total
    if total is not None and (total > full + ctx.profile.tolerance or total < 0):
        yield chk.finding(
            f"自评总分{fmt(total)}分不在0至满分{fmt(full)}分之间，请核对",
            "表头 自评得分",
            ctx.filing.unit.locs.get("declared_total"),
            PLACE_UNIT,
        )


# ------------------------------------------------------------------------------------------ dates
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零○Ｏ一二两三四五六七八九十"
_CN_DATE = re.compile(rf"([{_CN}]{{4}})\s*年\s*([{_CN}]{{1,3}})\s*月(?:\s*([{_CN}]{{1,3}})\s*[日号])?")
_NUM_DATE = re.compile(r"(\d{4})\s*([年./\-－])\s*(\d{1,3})\s*(?:[月./\-－]\s*(\d{1,3})\s*[日号]?)?(?!\d)")


def _cn_number(text: str) -> int | None:
    """十三 → 13, 四十五 → 45, 二〇二四 → 2024 (digit by digit when there is no 十)."""
    if "十" not in text:
        digits = [_CN_DIGITS.get(ch) for ch in text]
        return None if None in digits else int("".join(str(d) for d in digits))
    tens, _, ones = text.partition("十")
    if "十" in ones:
        return None
    t = _CN_DIGITS.get(tens, None) if tens else 1
    o = _CN_DIGITS.get(ones, None) if ones else 0
    return None if t is None or o is None else t * 10 + o


def impossible_dates(text: str, chinese_numerals_only: bool = False) -> list[str]:
    """The dates written in ``text`` that name no calendar day (month 13, day 45, 2月30日), as written.

    Numeric dates need a year of 19xx/20xx; with ``chinese_numerals_only`` only dates written with
    年 and 月 count (a target like ``2024.5万元`` is no date).
    """
    bad = []
    candidates: list[tuple[str, int | None, int | None, int | None]] = []
    for m in _CN_DATE.finditer(text):
        day = _cn_number(m.group(3)) if m.group(3) else None
        candidates.append((m.group(0), _cn_number(m.group(1)), _cn_number(m.group(2)), day))
    for m in _NUM_DATE.finditer(text):
        if not m.group(1).startswith(("19", "20")):
            continue
        if chinese_numerals_only and m.group(2) != "年":
            continue
        day = int(m.group(4)) if m.group(4) else None
        candidates.append((m.group(0).strip(), int(m.group(1)), int(m.group(3)), day))
    for written, year, month, day in candidates:
        if year is None or month is None:
            continue
        try:
            dt.date(year, month, day or 1)
        except ValueError:
            bad.append(written)
    return bad


@check("D191", "date", "error", "日期不存在")
def impossible_date(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A date that names no calendar day, in any notation: 填报日期 ``2024.13.45``,
    ``二〇二四年十三月四十五日``, ``2024年2月30日``; in a target or actual as well (``2024年13月底完成``).

    Why: An impossible date cannot be checked against the fiscal year or a deadline, so the date
    checks stay silent on exactly the dates that are most wrong.

    Example: 填报日期 ``二〇二四年十三月四十五日``.
    """
    unit = ctx.filing.unit
    for written in impossible_dates(unit.filing_date or ""):
        yield chk.finding(
            f"填报日期“{written[:40]}”不是有效日期", "表头 填报日期", unit.locs.get("filing_date"), PLACE_UNIT
        )
    for ind in ctx.filing.indicators:
        for label, text in (("指标值", ind.target_text), ("完成值", ind.actual_text)):
            for written in impossible_dates(text or "", chinese_numerals_only=True):
                yield chk.finding(
                    f"{label}中的日期“{written[:40]}”不是有效日期", where_row(ind), ind.loc, place_row(ind)
                )

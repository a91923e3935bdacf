"""Date checks (RULES §5.9): the filing date against the fiscal year, completion against deadlines."""

from __future__ import annotations

from collections.abc import Iterator

from evalkit.checks import PLACE_UNIT, Check, Context, Finding, check, place_row, where_row
from evalkit.scoring.rules import DEADLINE
from evalkit.values import notation as nt
from evalkit.values.notation import parse_value


def parse_date(text: str) -> tuple[int, int, int | None] | None:
    """``(year, month, day)`` of a date as filed ("2024.4.15", "2025年3月10日", "2025-03"), or None.

    Read by the value notation (:func:`~evalkit.values.notation.parse_value`), so an impossible
    date (2024.13.45) is no date here either.
    """
    value = parse_value(text.strip())
    if value.kind != nt.DEADLINE or value.year is None or value.month is None:
        return None
    return value.year, value.month, value.day


@check("D101", "date", "warning", "填报日期早于评价年度结束")
def filing_date(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The filing date (填报日期) falls inside or before the fiscal year it reports on: a year's
    results cannot be filed before the year ends (often a wrong year in the date).

    Why: A year's results cannot be known before the year ends: a date inside the year is usually a
    wrong year, or the evaluation was written before the work was done.

    Example: Fiscal year 2024 with 填报日期 2024.4.15 (the seed).
    """
    unit = ctx.filing.unit
    date = parse_date(unit.filing_date or "")
    if date is None or unit.year is None:
        return
    if date[0] <= unit.year:
        yield chk.finding(
            f"填报日期{unit.filing_date}早于所评价的{unit.year}年度结束（{unit.year}年12月31日），请核实",
            "表头 填报日期",
            unit.locs.get("filing_date"),
            PLACE_UNIT,
        )


@check("D102", "date", "warning", "完成时间晚于目标时限")
def late_completion(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A deadline indicator completed after its target deadline (目标“10月底完成”，实际“12月完成”):
    the indicator is not met on time and scores in a lower tier.

    Why: A late completion does not meet a deadline target: the row scores in the profile's late tier,
    not full marks.

    Example: Target `10月底完成`, actual `12月完成`.

    Settings: deadline_late_tier
    """
    tol = ctx.profile.tolerance
    for s in ctx.card.indicators:
        if s.rule == DEADLINE and s.rule_score < s.weight - tol:
            ind = s.indicator
            yield chk.finding(
                f"实际完成时间“{ind.actual_text}”晚于目标时限“{ind.target_text}”",
                where_row(ind),
                ind.loc,
                place_row(ind),
            )

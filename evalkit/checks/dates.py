"""Date checks (RULES §5.9): the filing date against the fiscal year, completion against deadlines."""

from __future__ import annotations

import re
from collections.abc import Iterator

from evalkit.checks import PLACE_UNIT, Check, Context, Finding, check, place_row, where_row
from evalkit.prose.reading import halfwidth
from evalkit.scoring.rules import DEADLINE

_DATE_RE = re.compile(r"((?:19|20)\d{2})\s*[年./\-－]\s*(\d{1,2})(?:\s*[月./\-－]\s*(\d{1,2}))?")


def parse_date(text: str) -> tuple[int, int, int | None] | None:
    """``(year, month, day)`` of a date as filed ("2024.4.15", "2025年3月10日", "2025-03"), or None."""
    m = _DATE_RE.search(halfwidth(text))
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    day = int(m.group(3)) if m.group(3) else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return year, month, day


@check("D101", "date", "warning", "填报日期早于评价年度结束")
def filing_date(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The filing date (填报日期) falls inside or before the fiscal year it reports on: a year's
    results cannot be filed before the year ends (often a wrong year in the date)."""
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
    the indicator is not met on time and scores in a lower tier."""
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

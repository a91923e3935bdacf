"""Over-target checks (RULES §4.4, §5.4): an actual far beyond its target means a target set too low.

The deviation and the flag come from the score card (``profile.over_target.threshold``, default
0.5, flagged when the deviation is above it): the check and the score card always agree.
"""

from __future__ import annotations

from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, place_row, where_row
from evalkit.scoring.rules import REVERSE


@check("O101", "over_target", "warning", "完成值远高于目标值（指标值设置偏低）")
def far_over_target(chk: Check, ctx: Context) -> Iterator[Finding]:
    """The actual exceeds the target by more than the profile's threshold ((B − A) / A > 0.5; a
    reverse indicator far under its ceiling): the target was set too low, and the rules allow the
    reviewer to reduce the score by the deviation.

    Why: RULES §4.4: where the actual is far above the target because the target was set too low, the
    score is reduced by the deviation; the reviewer decides how much (the profile may deduct
    automatically).

    Example: 普及救护培训 target 2500人次, actual 9770人次: deviation +291 % (the seed).

    Settings: over_target.auto_deduction
    """
    threshold = ctx.profile.over_target.threshold
    for s in ctx.card.indicators:
        if not s.over_target or s.deviation is None:
            continue
        ind = s.indicator
        if s.rule == REVERSE:
            what = f"实际值{ind.actual_text}远低于目标上限{ind.target_text}"
        else:
            what = f"完成值{ind.actual_text}远高于目标值{ind.target_text}"
        # Once the row carries a deduction the finding is handled: say so instead of asking again.
        todo = (
            f"复核已扣分{s.deduction:.2f}（{s.deduction_reason}）"
            if s.deduction
            else "请核实并按偏离度酌情扣分"
        )
        yield chk.finding(
            f"{what}，偏离度{s.deviation:.0%}，超过评分方案阈值{threshold:.0%}，指标值设置偏低；{todo}",
            where_row(ind),
            ind.loc,
            place_row(ind),
        )

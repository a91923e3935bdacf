"""Missing-reason checks (RULES §5.5): a target not met needs a reason.

"Not met" follows the scoring rules: the rule alone gives less than the weight (B < A for a positive
indicator, a late deadline, a partial qualitative tier). The reason may stand in the row's
偏差原因 cell or in the table's closing 偏差大或目标未完成原因分析, which must then name the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from evalkit.checks import Check, Context, Finding, check, place_row, where_row
from evalkit.model import Indicator
from evalkit.prose.reading import name_core, names
from evalkit.scoring.rules import UNSCORABLE

_CLAUSES = re.compile(r"[，,；;。：:！!？?\n]")


def mentioned(ind: Indicator, text: str, threshold: float) -> bool:
    """True when ``text`` names the indicator in one of its clauses."""
    core = name_core(ind.name)
    return bool(core) and any(names(core, clause, threshold) for clause in _CLAUSES.split(text))


@check("R101", "missing_reason", "warning", "目标未完成且未说明原因")
def unmet_without_reason(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A target is not met (the rule's score is below the weight) and neither the row's 偏差原因
    nor the closing 偏差原因分析 says why, although the form requires it.

    Why: The form requires a reason for every target not met; without one the reviewer cannot tell a
    fair shortfall from a weak plan.

    Example: Target `≥95%`, actual `88%`, the row's 偏差原因 blank and no closing analysis naming the row.
    """
    closing = ctx.filing.closing.get("deviation_analysis", "")
    tol = ctx.profile.tolerance
    threshold = ctx.profile.checks.name_match
    for s in ctx.card.indicators:
        ind = s.indicator
        if s.rule == UNSCORABLE or s.weight <= 0 or s.rule_score >= s.weight - tol:
            continue
        if ind.reason.strip() or mentioned(ind, closing, threshold):
            continue
        yield chk.finding(
            f"目标值{ind.target_text}，实际完成值{ind.actual_text}，未完成目标（按规则得"
            f"{s.rule_score:.2f}/{s.weight:.2f}分），偏差原因未填写，表末偏差原因分析也未说明",
            where_row(ind),
            ind.loc,
            place_row(ind),
        )

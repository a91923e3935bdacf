"""Findings of the 复核口径 (:mod:`evalkit.scoring.caliber`): a rule's proposed 复核得分 for a row.

The proposals are made by :func:`evalkit.pipeline.review` after the other checks, since a rule may
depend on their findings; this module registers the code and builds the findings, so a reviewer
upholds (采纳) or sets aside (不采纳) each proposal like any other finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from evalkit.checks import Check, Context, Finding, check, place_row, where_row
from evalkit.scoring.caliber import PROPOSAL_CODE, Proposal
from evalkit.scoring.rules import ScoreCard


@check(PROPOSAL_CODE, "caliber", "warning", "按复核口径建议调整得分")
def _registered(chk: Check, ctx: Context) -> Iterator[Finding]:
    """Emitted by the review for each row a rule of the profile's 复核口径 (``caliber:``) applies
    to: the proposed 复核得分 with the rule cited. Upheld, it becomes a deduction whose reason
    cites the rule; set aside, the score stays.

    Why: RULES §5a: firms review to written scoring rules and every deduction must cite its rule;
    proposing the score per rule keeps the reviewer's judgement explicit and the 备注 consistent.

    Example: with ``caliber-example``, the seed's satisfaction rows (no survey, E101) are proposed
    at 0 under K1 “满意度无调查资料的计0分”.

    Settings: caliber
    """
    return iter(())


def proposal_findings(card: ScoreCard, proposals: Iterable[Proposal]) -> list[Finding]:
    """One finding per proposal, placed on its row (severity info for a rule that keeps the score)."""
    from evalkit.checks import CATALOGUE

    chk = CATALOGUE[PROPOSAL_CODE]
    rows = {s.indicator.key: s.indicator for s in card.indicators}
    out = []
    for p in proposals:
        ind = rows[p.key]
        basis = f"（触发：{p.basis}）" if p.basis else ""
        if p.rule.keep:
            text = f"{p.rule.citation}{basis}：本行得分{p.current:.2f}不扣分"
            out.append(chk.finding(text, where_row(ind), ind.loc, place_row(ind), severity="info"))
        else:
            text = (
                f"{p.rule.citation}{basis}：建议复核得分由{p.current:.2f}调整为{p.proposed:.2f}"
                f"（扣{p.deduction:.2f}分），采纳后计入复核扣分"
            )
            out.append(chk.finding(text, where_row(ind), ind.loc, place_row(ind)))
    return out

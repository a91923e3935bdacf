"""A whole review of one unit: the filing, its recomputed score card and the findings.

:func:`review` is what the CLI, the notebooks and the batch call; :meth:`Review.to_json` gives the
stable ``evalkit review --json`` document.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.checks import Context, run_checks
from evalkit.checks.caliber import proposal_findings
from evalkit.model import Filing, Finding
from evalkit.scoring import caliber
from evalkit.scoring.caliber import Proposal
from evalkit.scoring.decisions import Decision, Decisions, load_decisions
from evalkit.scoring.profiles import Profile, load_profile
from evalkit.scoring.rules import ScoreCard, score_filing

JSON_VERSION = 1
_NO_DECISION = Decision()


@dataclass
class Review:
    """The result of reviewing one filing under one profile with the reviewer's decisions."""

    filing: Filing
    profile: Profile
    card: ScoreCard
    findings: list[Finding] = field(default_factory=list)
    decisions: Decisions = field(default_factory=Decisions)
    path: Path | None = None  # the filing's file, when the review was given one
    proposals: list[Proposal] = field(default_factory=list)  # 复核口径 proposals (evalkit.scoring.caliber)

    @property
    def total(self) -> float:
        """The recomputed total (rounded to 2 decimals)."""
        return self.card.total

    @property
    def grade(self) -> str:
        """The grade of the recomputed total."""
        return self.card.grade

    def count(self, severity: str) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON document of ``evalkit review --json`` (keys never renamed)."""
        unit = self.filing.unit
        b = self.card.budget
        return {
            "unit": unit.name,
            "year": unit.year,
            "kind": unit.kind,
            "budget": {
                "planned": b.planned,
                "adjusted": self.filing.budget.adjusted,
                "executed": b.executed,
                "basis": b.basis,
                "rate": _r(b.rate, 4),
                "other_basis": b.other_basis,
                "other_rate": _r(b.other_rate, 4),
                "score": _r(b.score, 2),
                "max": b.max,
                "stated_rate": self.filing.budget.stated_rate,
                "stated_score": self.filing.budget.stated_score,
            },
            "indicators": [
                {
                    "key": s.indicator.key,
                    "goal": s.indicator.goal,
                    "level1": s.indicator.level1,
                    "level2": s.indicator.level2,
                    "name": s.indicator.name,
                    "target": s.indicator.target_text,
                    "actual": s.indicator.actual_text,
                    "weight": _r(s.weight, 4),
                    "score": _r(s.score, 2),
                    "self_score": s.indicator.self_score,
                    "rule": s.rule,
                    "deviation": _r(s.deviation, 4),
                    "over_target": s.over_target,
                    "deduction": _r(s.deduction, 2),
                    "deduction_reason": s.deduction_reason,
                    "reviewer": s.reviewer,
                    "reviewed_target": s.target.text if s.target is not None else s.indicator.target_text,
                    "reviewed_actual": s.actual.text if s.actual is not None else s.indicator.actual_text,
                    "comment": (self.decisions.get(s.indicator.key) or _NO_DECISION).comment,
                }
                for s in self.card.indicators
            ],
            "deductions": _r(self.card.deductions, 2),
            "total": self.card.total,
            "max_total": self.card.max_total,
            "grade": self.card.grade,
            "declared": {"total": unit.declared_total, "grade": unit.declared_grade},
            "profile": self.profile.name,
            # code, family, severity, message, where are the stable keys; key, loc, input and
            # params were added (see Finding.to_json).
            "findings": [f.to_json() for f in self.findings],
            "source": self.filing.source,
            "json_version": JSON_VERSION,
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value + 0.0, digits)


def review(
    filing: Filing | str | os.PathLike[str],
    profile: Profile | str | os.PathLike[str] | None = None,
    decisions: Decisions | str | os.PathLike[str] | None = None,
) -> Review:
    """Review a filing (or the file at a path) under a profile, applying the reviewer's decisions."""
    path = None
    if not isinstance(filing, Filing):
        from evalkit.readers import read_filing

        path = Path(filing)
        filing = read_filing(filing)
    prof = load_profile(profile)
    if decisions is None or isinstance(decisions, (str, Path, os.PathLike)):
        decisions = load_decisions(decisions)
    card = score_filing(filing, prof, decisions)
    ctx = Context(filing, prof, card)
    if path is not None:
        ctx.cache["path"] = path  # lets the checks find last year's filing beside this one
    findings = run_checks(ctx)
    proposals = caliber.propose(prof, card, findings)
    if proposals:
        extra = proposal_findings(card, proposals)
        upheld = [p for p, f in zip(proposals, extra, strict=True) if _upheld(decisions, f.code, f.where)]
        card = caliber.apply(card, upheld, prof)
        findings = sorted([*findings, *extra], key=Finding.sort_key)
    return Review(
        filing=filing,
        profile=prof,
        card=card,
        findings=findings,
        decisions=decisions,
        path=path,
        proposals=proposals,
    )


def _upheld(decisions: Decisions, code: str, where: str) -> bool:
    """True when the reviewer upheld (采纳) the finding with this code at this place."""
    lookup = getattr(decisions, "finding", None)  # finding dispositions (the workbench's model)
    recorded = lookup(code, where) if callable(lookup) else None
    return getattr(recorded, "disposition", None) == "upheld"

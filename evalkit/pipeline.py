"""A whole review of one unit: the filing, its recomputed score card and the findings.

:func:`review` is what the CLI, the notebooks and the batch call; :meth:`Review.to_json` gives the
stable ``evalkit review --json`` document.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.checks import Context, run_checks
from evalkit.checks.caliber import proposal_findings
from evalkit.model import PART_INDICATOR, Filing, Finding
from evalkit.scoring import caliber
from evalkit.scoring.caliber import Proposal
from evalkit.scoring.decisions import (
    Decision,
    Decisions,
    Disposition,
    disposition,
    load_decisions,
    review_status,
    row_label,
)
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

    def disposition(self, finding: Finding) -> Disposition:
        """What the reviewer decided about a finding (采纳 / 不采纳 / 待定, or 已扣分 for an
        over-target row carrying a deduction)."""
        key = row_key(finding)
        row = self.card_row(key)
        deduction = row.deduction if row else 0.0
        return disposition(finding.key, finding.code, self.decisions, key, deduction, finding.where)

    def card_row(self, key: str | None) -> Any:
        """The indicator score of an indicator key (``g1r3``), or None."""
        for s in self.card.indicators:
            if s.indicator.key == key:
                return s
        return None

    @property
    def status(self) -> str:
        """待复核 / 复核中 / 已复核, from the decisions and the findings' dispositions."""
        return review_status(self.decisions, (self.disposition(f) for f in self.findings))

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
                    "label": row_label(s.indicator.goal, s.indicator.row, s.indicator.name),
                    "final": _r(s.score - s.deduction, 2),
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
            # disposition and disposition_reason: the reviewer's 采纳 / 不采纳 (added keys).
            "findings": [
                {
                    **f.to_json(),
                    "disposition": (d := self.disposition(f)).status,
                    "disposition_reason": d.reason,
                }
                for f in self.findings
            ],
            "review_status": self.status,
            "source": self.filing.source,
            "json_version": JSON_VERSION,
        }


def row_key(finding: Finding) -> str | None:
    """The indicator key a finding points at (``g1r3``), or None for other places."""
    at = finding.at
    if at is not None and at.part == PART_INDICATOR and at.goal and at.row:
        return f"g{at.goal}r{at.row}"
    return None


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value + 0.0, digits)


def check_limits(filing: Filing, profile: Profile, path: str = "") -> None:
    """Refuse a filing past the profile's ``limits`` before any scoring work is done."""
    count, cap = len(filing.indicators), profile.limits.max_indicators
    if count > cap:
        from evalkit.errors import FilingError

        raise FilingError(
            path or filing.source or filing.unit.name,
            f"共有{count}行绩效指标，超过评分方案上限{cap}行，未复核（上限见评分方案 limits.max_indicators）",
            where="绩效指标表",
            expected=f"不超过{cap}行指标的自评表",
        )


def review(
    filing: Filing | str | os.PathLike[str],
    profile: Profile | str | os.PathLike[str] | None = None,
    decisions: Decisions | str | os.PathLike[str] | None = None,
) -> Review:
    """Review a filing (or the file at a path) under a profile, applying the reviewer's decisions.

    Without a profile, the one saved with the decisions is used (else the default)."""
    path = None
    if not isinstance(filing, Filing):
        from evalkit.readers import read_filing

        path = Path(filing)
        filing = read_filing(filing)
    if decisions is None or isinstance(decisions, (str, Path, os.PathLike)):
        decisions = load_decisions(decisions)
    prof = load_profile(profile or decisions.profile or None)
    check_limits(filing, prof, str(path or ""))
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


@dataclass
class FileReview:
    """One filing of :func:`review_many`: its review, or the reason it could not be reviewed."""

    path: Path
    review: Review | None = None
    error: str | None = None


FILING_SUFFIXES = (".txt", ".docx", ".xlsx", ".yaml", ".yml")
_LEGACY_SUFFIXES = (".doc", ".xls", ".wps", ".et")


def filing_paths(items: list[str | os.PathLike[str]]) -> list[Path]:
    """The filings named by ``items``: each file as given, each folder's filings sorted by name.

    In a folder (not its subfolders) the filings are the .txt, .docx and .xlsx files, the old
    binary .doc/.xls/.wps/.et files (so they fail with the advice to re-save them), and the .yaml
    files in evalkit's filing format; a reviewer's ``*.review.yaml``, Office lock files ``~$…``,
    hidden files and any other YAML are left out.
    """
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if not p.is_dir():
            out.append(p)
            continue
        for child in sorted(p.iterdir(), key=lambda c: c.name):
            name, suffix = child.name, child.suffix.lower()
            if name.startswith(("~$", ".")) or not child.is_file():
                continue
            if name.endswith((".review.yaml", ".review.yml")):
                continue
            if suffix in (".yaml", ".yml") and not _is_filing_yaml(child):
                continue  # e.g. an expectations file beside a corpus filing
            if suffix in FILING_SUFFIXES or suffix in _LEGACY_SUFFIXES:
                out.append(child)
    return out


def _is_filing_yaml(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return True  # let the reader report it
    return b"evalkit-filing/" in head


def review_many(
    paths: list[str | os.PathLike[str]],
    profile: Profile | str | os.PathLike[str] | None = None,
) -> Iterator[FileReview]:
    """Review many filings in this process, one at a time, in order (a generator).

    The profile is loaded once. Each filing uses the reviewer's ``<filing>.review.yaml`` beside it
    when there is one. A file that cannot be read (or whose decisions cannot) gives a
    :class:`FileReview` with the error and the rest go on; a bad profile raises
    :class:`~evalkit.errors.ProfileError` before any filing is read.
    """
    from evalkit.errors import EvalkitError

    prof = load_profile(profile)
    for item in paths:
        path = Path(item)
        decisions = path.with_suffix(".review.yaml")
        try:
            rv = review(path, profile=prof, decisions=decisions if decisions.exists() else None)
        except EvalkitError as exc:
            yield FileReview(path, error=str(exc))
        except Exception as exc:  # one odd file's reader bug must not stop the others
            yield FileReview(path, error=f"{path}：复核时出错（{type(exc).__name__}: {exc}）")
        else:
            yield FileReview(path, review=rv)

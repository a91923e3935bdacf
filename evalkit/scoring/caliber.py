"""复核口径 as data: a firm's written scoring rules, tied to finding codes or indicator conditions.

A profile's ``caliber:`` list holds :class:`CaliberRule` entries, e.g. “无佐证资料的指标计0分”
(``when: {codes: [E101]}`` → ``score: 0``). :func:`propose` matches them against a review's score
card and findings and proposes a 复核得分 per affected row, citing the rule. A proposal is only a
proposal: it becomes a finding (code ``K101``) that the reviewer upholds or sets aside like any
other; :func:`apply` turns the upheld ones into deductions whose reason cites the rule.

Rules are tried in the profile's order; the first rule that matches a row makes that row's
proposal (so put the specific rules before the general ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from evalkit.scoring.profiles import Profile
    from evalkit.scoring.rules import IndicatorScore, ScoreCard

PROPOSAL_CODE = "K101"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaliberWhen(_Strict):
    """When a rule applies to an indicator row: every condition given must hold."""

    codes: tuple[str, ...] = ()  # a finding with one of these codes points at the row
    unit_codes: tuple[str, ...] = ()  # a finding with one of these codes anywhere in the unit
    severity: tuple[Literal["error", "warning", "info"], ...] = ()  # of the finding matched by codes
    level1: tuple[str, ...] = ()  # the row's normalized 一级指标
    name_contains: tuple[str, ...] = ()  # a word of the 三级指标 name
    rule: tuple[str, ...] = ()  # the scoring rule: positive, reverse, qualitative, …
    completion_above: float | None = Field(None, gt=0)  # actual / target above this (numeric rows)

    @model_validator(mode="after")
    def _not_empty(self) -> CaliberWhen:
        if not any(getattr(self, name) for name in type(self).model_fields):
            raise ValueError(
                "when 至少要有一个条件（codes、unit_codes、level1、name_contains、rule 或 completion_above）"
            )
        if self.severity and not (self.codes or self.unit_codes):
            raise ValueError("severity 只能与 codes 或 unit_codes 一起使用")
        return self


class CaliberRule(_Strict):
    """One written scoring rule: its id and words (cited in 备注), when it applies, what it proposes."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    when: CaliberWhen
    score: float | None = Field(None, ge=0.0, le=1.0)  # propose 复核得分 = score × weight
    deduct: float | None = Field(None, gt=0.0, le=1.0)  # propose taking deduct × weight off
    keep: bool = False  # propose no deduction: the row's score stands

    @model_validator(mode="after")
    def _one_action(self) -> CaliberRule:
        actions = [self.score is not None, self.deduct is not None, self.keep]
        if sum(actions) != 1:
            raise ValueError(f"口径 {self.id}：score、deduct、keep 三者须且只能设一个")
        return self

    @property
    def citation(self) -> str:
        """How a 备注 cites the rule: ``依据复核口径K1“无佐证资料的指标计0分”``."""
        return f"依据复核口径{self.id}“{self.title}”"


class _FindingLike(Protocol):
    code: str
    severity: str
    where: str
    place: tuple[int, ...]


@dataclass(frozen=True)
class Proposal:
    """A rule's proposed 复核得分 for one indicator row."""

    key: str  # the row's key (g1r3)
    rule: CaliberRule
    weight: float
    current: float  # the row's score after any recorded deduction
    proposed: float
    basis: str = ""  # the finding code that triggered it, where one did

    @property
    def deduction(self) -> float:
        """Points the proposal takes off the current score."""
        return max(self.current - self.proposed, 0.0)

    @property
    def note(self) -> str:
        """The 备注 of an upheld proposal: the rule cited, with the score change."""
        if self.rule.keep:
            return f"{self.rule.citation}，不扣分"
        return f"{self.rule.citation}，复核得分由{self.current:.2f}调整为{self.proposed:.2f}"


def _row_findings(findings: Iterable[_FindingLike]) -> dict[str, list[_FindingLike]]:
    out: dict[str, list[_FindingLike]] = {}
    for f in findings:
        if len(f.place) == 3 and f.place[0] == 2:
            out.setdefault(f"g{f.place[1]}r{f.place[2]}", []).append(f)
    return out


def _completion(s: IndicatorScore) -> float | None:
    t, a = s.target, s.actual
    if t is None or a is None or t.number in (None, 0) or a.number is None:
        return None
    if t.kind != "number" or a.kind != "number":
        return None
    return a.number / t.number


def _match(
    rule: CaliberRule, s: IndicatorScore, row: list[_FindingLike], unit: list[_FindingLike]
) -> tuple[bool, str]:
    w = rule.when
    ind = s.indicator
    if w.level1 and ind.level1 not in w.level1:
        return False, ""
    if w.name_contains and not any(word in ind.name for word in w.name_contains):
        return False, ""
    if w.rule and s.rule not in w.rule:
        return False, ""
    if w.completion_above is not None:
        ratio = _completion(s)
        if ratio is None or ratio <= w.completion_above:
            return False, ""
    basis = ""
    for codes, pool in ((w.codes, row), (w.unit_codes, unit)):
        if not codes:
            continue
        hits = [f for f in pool if f.code in codes and (not w.severity or f.severity in w.severity)]
        if not hits:
            return False, ""
        basis = basis or hits[0].code
    return True, basis


def propose(profile: Profile, card: ScoreCard, findings: Sequence[_FindingLike]) -> list[Proposal]:
    """The proposals of the profile's 口径 rules for a score card and its findings (one per row at most)."""
    if not profile.caliber:
        return []
    unit = [f for f in findings if f.code != PROPOSAL_CODE]
    by_row = _row_findings(unit)
    out = []
    for s in card.indicators:
        current = s.score - s.deduction
        for rule in profile.caliber:
            ok, basis = _match(rule, s, by_row.get(s.indicator.key, []), unit)
            if not ok:
                continue
            if rule.score is not None:
                proposed = min(rule.score * s.weight, current)
            elif rule.deduct is not None:
                proposed = max(current - rule.deduct * s.weight, 0.0)
            else:
                proposed = current
            if rule.keep or proposed < current - 1e-9:
                out.append(Proposal(s.indicator.key, rule, s.weight, current, proposed, basis))
            break
    return out


def apply(card: ScoreCard, upheld: Iterable[Proposal], profile: Profile) -> ScoreCard:
    """The score card with the upheld proposals applied as deductions whose reason cites the rule."""
    by_key = {p.key: p for p in upheld if p.deduction > 0}
    if not by_key:
        return card
    rows = []
    for s in card.indicators:
        p = by_key.get(s.indicator.key)
        if p is None:
            rows.append(s)
            continue
        reason = "；".join(x for x in (s.deduction_reason, p.note) if x)
        rows.append(replace(s, deduction=s.deduction + p.deduction, deduction_reason=reason, reviewer=True))
    deductions = sum(s.deduction for s in rows)
    raw = card.budget.score + sum(s.score for s in rows) - deductions
    total = round(raw + 1e-9, 2)
    return replace(card, indicators=rows, deductions=deductions, total=total, grade=profile.grade(total))

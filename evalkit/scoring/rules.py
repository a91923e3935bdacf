"""Scoring by the rules of RULES §4, driven by a :class:`~evalkit.scoring.profiles.Profile`.

Nothing here rounds until the total: scores stay exact floats and are rounded to 2 decimals only
where they are shown or summed into the final total.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from evalkit.model import LEVEL1_KEYS, Budget, Filing, Indicator
from evalkit.scoring.decisions import Decision, Decisions
from evalkit.scoring.profiles import Profile
from evalkit.values import notation as nt
from evalkit.values.notation import Value, parse_value

# Scoring rules, as reported per indicator.
POSITIVE = "positive"
REVERSE = "reverse"
EQUAL = "equal"
ZERO_TARGET = "zero_target"
BOOLEAN = "boolean"
DEADLINE = "deadline"
QUALITATIVE = "qualitative"
UNSCORABLE = "unscorable"

RULE_LABELS = {
    POSITIVE: "正向",
    REVERSE: "反向",
    EQUAL: "等于",
    ZERO_TARGET: "零目标",
    BOOLEAN: "是否",
    DEADLINE: "时限",
    QUALITATIVE: "定性",
    UNSCORABLE: "无法计分",
}


@dataclass
class BudgetScore:
    """The budget execution score: the rate on the basis used, and the other basis where known."""

    planned: float | None
    executed: float | None
    basis: str  # "planned" or "adjusted"
    denominator: float | None
    rate: float | None  # fraction, unrounded
    score: float
    max: float
    other_basis: str | None = None
    other_rate: float | None = None
    problem: str = ""  # why no rate could be computed


@dataclass
class IndicatorScore:
    """One indicator's weight, score and how it was reached."""

    indicator: Indicator
    weight: float
    score: float  # after the reviewer's decision and the cap, before deductions
    rule: str
    rule_score: float  # what the rule alone gives (no reviewer decision)
    deviation: float | None  # (B − A) / A, sign flipped for reverse indicators
    over_target: bool = False
    deduction: float = 0.0
    deduction_reason: str = ""
    reviewer: bool = False  # the score or values come from a reviewer decision
    target: Value | None = None
    actual: Value | None = None
    note: str = ""


@dataclass
class ScoreCard:
    """The recomputed score of one filing."""

    budget: BudgetScore
    indicators: list[IndicatorScore] = field(default_factory=list)
    deductions: float = 0.0
    total: float = 0.0  # rounded to 2 decimals
    grade: str = ""
    max_total: float = 100.0


def is_cost_indicator(ind: Indicator, profile: Profile) -> bool:
    """True for a cost / limit indicator, whose bare target is a ceiling rather than a floor."""
    if "成本" in ind.level2:
        return True
    return any(word in ind.name for word in profile.cost_keywords)


def score_budget(budget: Budget, profile: Profile) -> BudgetScore:
    """Score the budget execution rate on the basis the table states (or the profile forces)."""
    basis = profile.budget.basis
    if basis == "stated":
        basis = budget.rate_basis or (
            "adjusted"
            if budget.adjusted is not None and budget.planned is None
            else profile.budget.fallback_basis
        )
    bases = {"planned": budget.planned, "adjusted": budget.adjusted}
    denominator = bases.get(basis)
    if denominator is None:
        # The stated basis is not in the table: fall back to the other one rather than score 0.
        other = "adjusted" if basis == "planned" else "planned"
        if bases[other] is not None:
            basis, denominator = other, bases[other]
    points = profile.budget.points
    out = BudgetScore(
        planned=budget.planned,
        executed=budget.executed,
        basis=basis,
        denominator=denominator,
        rate=None,
        score=0.0,
        max=points,
    )
    if budget.executed is None:
        out.problem = "未填写执行数"
        return out
    if not denominator:
        out.problem = "预算数为0或未填写，无法计算执行率"
        return out
    out.rate = budget.executed / denominator
    out.score = points * min(max(out.rate, 0.0), 1.0)
    other = "adjusted" if basis == "planned" else "planned"
    if bases[other]:
        out.other_basis = other
        out.other_rate = budget.executed / bases[other]
    return out


def allocate_weights(filing: Filing, profile: Profile) -> dict[str, float]:
    """Each indicator's weight: the table's 分值 where given, else the level-1 weight split equally."""
    inds = filing.indicators
    if filing.has_weights:
        return {ind.key: float(ind.weight or 0.0) for ind in inds}
    level_weights = profile.weights.model_dump()
    counts: dict[str, int] = {}
    for ind in inds:
        key = LEVEL1_KEYS.get(ind.level1)
        if key:
            counts[key] = counts.get(key, 0) + 1
    out = {}
    for ind in inds:
        key = LEVEL1_KEYS.get(ind.level1)
        out[ind.key] = level_weights[key] / counts[key] if key else 0.0
    return out


def on_one_scale(target: Value, actual: Value) -> tuple[float, float, bool]:
    """Target and actual numbers on one scale (8000人 vs 1万人 → 8000, 10000; ≤50万元 vs 480000元 →
    500000, 480000), and whether their units could be put on one; when not (人 vs %), the
    numbers as written, so the row still scores as the filer wrote it and the value checks report
    the mismatch."""
    pair = nt.on_one_scale(target, actual)
    if pair is None:
        return target.number or 0.0, actual.number or 0.0, False
    return pair[0], pair[1], True


def deviation(target: Value, actual: Value, reverse: bool) -> float | None:
    """(B − A) / A for numeric target and actual on one scale, sign flipped for reverse; None when
    undefined."""
    if target.kind != nt.NUMBER or actual.kind != nt.NUMBER:
        return None
    if target.number is None or actual.number is None:
        return None
    a, b, _ = on_one_scale(target, actual)
    if a == 0:
        return None
    dev = (b - a) / abs(a)
    return -dev if reverse else dev


def _tier_top(tier: str | None, profile: Profile) -> float:
    return profile.tier_range(tier or "achieved")[1]


def _numeric_rule(target: Value, ind: Indicator, profile: Profile) -> str:
    if target.comparator in ("<=", "<"):
        return REVERSE
    if target.comparator is None and is_cost_indicator(ind, profile):
        return REVERSE
    if target.number == 0:
        return ZERO_TARGET
    if target.comparator == "=":
        return EQUAL
    return POSITIVE


def rule_score(
    ind: Indicator, target: Value, actual: Value, weight: float, profile: Profile
) -> tuple[str, float]:
    """The rule that applies and the score it gives, before any reviewer decision and the cap."""
    w = weight
    if actual.kind in (nt.MISSING, nt.UNREADABLE):
        return (UNSCORABLE, 0.0)
    if target.kind == nt.NUMBER and actual.kind == nt.NUMBER:
        rule = _numeric_rule(target, ind, profile)
        a, b, _ = on_one_scale(target, actual)
        b = max(b, 0.0)  # a negative actual counts as 0
        if rule == ZERO_TARGET:
            return (rule, w if (b <= 0 or target.comparator in (">=", ">")) else 0.0)
        if rule in (POSITIVE, EQUAL):
            return (rule, w if b >= a else w * b / a)
        # reverse / limit
        if a <= 0:
            return (rule, w if b <= 0 else 0.0)
        if b <= a:
            return (rule, w)
        if profile.reverse_formula == "ratio":
            return (rule, w * a / b)
        return (rule, 0.0 if b >= 2 * a else w * (1 - (b - a) / a))
    if target.kind == nt.BOOLEAN and actual.kind == nt.BOOLEAN:
        return (BOOLEAN, w if actual.boolean == target.boolean else 0.0)
    if target.kind == nt.DEADLINE and actual.kind == nt.DEADLINE:
        return (
            DEADLINE,
            w if _on_time(target, actual) else w * _tier_top(profile.deadline_late_tier, profile),
        )
    if actual.kind == nt.QUALITATIVE or target.kind in (nt.QUALITATIVE, nt.DEADLINE, nt.BOOLEAN):
        # Mixed or qualitative: the actual's words decide the tier; words naming no tier count
        # as achieved until the reviewer sets one (the reviewer is shown the rule).
        tier = actual.tier if actual.kind == nt.QUALITATIVE else None
        if actual.kind == nt.BOOLEAN and actual.boolean is False:
            tier = "not_achieved"
        return (QUALITATIVE, w * _tier_top(tier, profile))
    return (UNSCORABLE, 0.0)


def _on_time(target: Value, actual: Value) -> bool:
    def key(v: Value, end: bool) -> tuple[int, int, int]:
        day = v.day if v.day is not None else (31 if end else 1)
        return (v.year or 0, v.month or 12, day)

    if target.year is None or actual.year is None:
        return key(replace(actual, year=None), end=False) <= key(replace(target, year=None), end=True)
    return key(actual, end=False) <= key(target, end=True)


def score_indicator(
    ind: Indicator, weight: float, profile: Profile, decision: Decision | None = None
) -> IndicatorScore:
    """Score one indicator row, applying the reviewer's decision where there is one."""
    decision = decision or Decision()
    target = parse_value(decision.target) if decision.target is not None else ind.target
    actual = parse_value(decision.actual) if decision.actual is not None else ind.actual
    rule, base = rule_score(ind, target, actual, weight, profile)
    reverse = rule == REVERSE
    dev = deviation(target, actual, reverse)
    score = base
    reviewer = decision.target is not None or decision.actual is not None
    if decision.score is not None:
        score = decision.score
        reviewer = True
    elif decision.tier is not None:
        score = weight * profile.tier_range(decision.tier)[1]
        reviewer = True
    score = min(max(score, 0.0), weight)  # 得分不能大于分值
    note = ""
    if target.kind == nt.NUMBER and actual.kind == nt.NUMBER and not on_one_scale(target, actual)[2]:
        note = f"目标值“{target.text}”与实际完成值“{actual.text}”单位不同，无法换算，按所填数字比较"
    over = dev is not None and dev > profile.over_target.threshold
    deduction = decision.deduction
    reason = decision.reason
    if over and not deduction and profile.over_target.auto_deduction:
        deduction = weight * profile.over_target.auto_deduction
        reason = f"完成值远高于目标值（偏离度{dev:.0%}），按评分方案自动扣减"
    deduction = min(deduction, score)
    return IndicatorScore(
        indicator=ind,
        weight=weight,
        score=score,
        rule=rule,
        rule_score=min(max(base, 0.0), weight),
        deviation=dev,
        over_target=over,
        deduction=deduction,
        deduction_reason=reason,
        reviewer=reviewer or bool(decision.deduction),
        target=target,
        actual=actual,
        note=note,
    )


def score_filing(filing: Filing, profile: Profile, decisions: Decisions | None = None) -> ScoreCard:
    """Recompute the whole score card of a filing."""
    decisions = decisions or Decisions()
    budget = score_budget(filing.budget, profile)
    weights = allocate_weights(filing, profile)
    scores = [
        score_indicator(ind, weights[ind.key], profile, decisions.get(ind.key)) for ind in filing.indicators
    ]
    deductions = sum(s.deduction for s in scores)
    raw_total = budget.score + sum(s.score for s in scores) - deductions
    total = round(raw_total + 1e-9, 2)  # the epsilon keeps 99.285 from rounding down by float error
    return ScoreCard(
        budget=budget,
        indicators=scores,
        deductions=deductions,
        total=total,
        grade=profile.grade(total),
        max_total=profile.max_total,
    )

"""The reviewer's texts: the 复核结论, the three opinion drafts and the 整改建议 of one unit.

Everything here is generated from a :class:`~evalkit.pipeline.Review`: the reviewed score and
grade against the declared ones, the findings the reviewer did not set aside (grouped by family),
what the reviewer decided, and last year's reviewed score where ``parameters/<year-1>/`` holds the
same unit. The reviewer may replace each text in the workbench (``conclusion`` and ``opinions`` of
the ``.review.yaml``); :func:`conclusion` and :func:`opinions` return the reviewer's text when there
is one and the draft otherwise.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS, Finding, fmt
from evalkit.errors import EvalkitError
from evalkit.model import LEVEL1_BENEFIT, LEVEL1_OUTPUT, LEVEL1_SATISFACTION
from evalkit.scoring.decisions import OPINION_LABELS

if TYPE_CHECKING:
    from evalkit.pipeline import Review

LEVEL1_ORDER = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)

# 整改建议 per finding family: what a unit should do about that kind of problem.
SUGGESTIONS = {
    "arithmetic": "核对预算数、调整数、执行数及资金来源各项金额，确保自评表内勾稽关系一致。",
    "formula": "规范计算公式的表述（预算执行率=执行数/预算数×100%），公式与数字保持一致。",
    "self_score": "严格按照评分规则如实自评打分，自评得分不得高于按规则计算的得分，总分与等级相互对应。",
    "over_target": "结合上年实际完成情况和本年工作计划科学设定绩效目标值，目标值不低于上年实际水平，避免目标值设置偏低。",
    "missing_reason": "对未完成目标的指标逐项分析偏差原因，提出具体改进措施。",
    "value": "规范指标值和完成值的填写，使用确数并注明计量单位，避免约数和文字代替数值。",
    "structure": "按照规范设置一级、二级指标，完整覆盖产出、效益、满意度指标，分值设置与评分方案一致。",
    "narrative": "保持自评报告正文与自评表数据一致，报告所述目标均应在表中设置对应指标并报告完成情况。",
    "date": "在评价年度结束后开展自评和填报，完成时间按实际情况填写并与目标时限对照。",
    "evidence": "满意度等指标应开展问卷调查、回访等，并附调查资料作为佐证。",
    "caliber": "按复核口径补充佐证资料，无法核实的指标应补充可核实的完成情况说明。",
}

# Which families bear on which opinion (RULES §5a: the three texts a bureau's system asks for).
_OPINION_FAMILIES = {
    "completeness": ("structure", "value", "missing_reason"),
    "sufficiency": ("narrative", "evidence", "over_target", "caliber"),
    "objectivity": ("self_score", "arithmetic", "formula", "date"),
}


@dataclass
class LastYear:
    """The same unit's review one year earlier (from its result JSON or by reviewing its filing)."""

    year: int | None
    total: float | None
    grade: str | None
    declared_total: float | None
    source: str  # the file it came from, as <year>/<file>
    actuals: dict[str, str] = field(default_factory=dict)  # this year's key → last year's actual
    targets: dict[str, str] = field(default_factory=dict)  # this year's key → last year's target

    def to_json(self) -> dict[str, Any]:
        """The mapping a unit's result document keeps (``run.last_year``)."""
        return {
            "year": self.year,
            "total": self.total,
            "grade": self.grade,
            "declared_total": self.declared_total,
            "source": self.source,
            "actuals": dict(self.actuals),
            "targets": dict(self.targets),
        }

    @classmethod
    def from_json(cls, data: Any) -> LastYear | None:
        """Back from ``run.last_year`` (None when absent or not a mapping)."""
        if not isinstance(data, dict):
            return None
        return cls(
            year=data.get("year"),
            total=data.get("total"),
            grade=data.get("grade"),
            declared_total=data.get("declared_total"),
            source=str(data.get("source") or ""),
            actuals={str(k): str(v) for k, v in (data.get("actuals") or {}).items()},
            targets={str(k): str(v) for k, v in (data.get("targets") or {}).items()},
        )

    def change(self, total: float | None) -> float | None:
        """This year's reviewed score minus last year's (None when either is missing)."""
        if total is None or self.total is None:
            return None
        return round(total - self.total, 2)


def _norm(text: str) -> str:
    from evalkit.checks.history import _norm as norm

    return norm(text)


def last_year_from_doc(doc: dict[str, Any], indicators: list[dict[str, Any]], source: str) -> LastYear:
    """A :class:`LastYear` from last year's review JSON, its indicators matched by name to ``indicators``."""
    by_name: dict[str, dict[str, Any]] = {}
    for i in doc.get("indicators") or []:
        by_name.setdefault(_norm(str(i.get("name") or "")), i)
    actuals, targets = {}, {}
    for i in indicators:
        prev = by_name.get(_norm(str(i.get("name") or "")))
        if prev is not None:
            actuals[i["key"]] = str(prev.get("actual") or "")
            targets[i["key"]] = str(prev.get("target") or "")
    return LastYear(
        year=doc.get("year"),
        total=doc.get("total"),
        grade=doc.get("grade"),
        declared_total=(doc.get("declared") or {}).get("total"),
        source=source,
        actuals=actuals,
        targets=targets,
    )


def last_year(rv: Review, outputs: str | os.PathLike[str] | None = "outputs") -> LastYear | None:
    """Last year's review of the unit, or None when ``parameters/<year-1>/`` does not hold it.

    Last year's result JSON (``outputs/<year-1>/<unit-id>.json``) is used when the batch left one;
    otherwise last year's filing is reviewed here with its own decisions and the same profile.
    """
    if rv.path is None:
        return None
    this = [{"key": s.indicator.key, "name": s.indicator.name} for s in rv.card.indicators]
    return _last_year_of(rv.path, rv.filing, this, rv.profile, outputs)


def last_year_for_doc(
    doc: dict[str, Any],
    parameters: str | os.PathLike[str] = "parameters",
    outputs: str | os.PathLike[str] | None = "outputs",
    profile: Any = None,
) -> LastYear | None:
    """Last year's review for a unit's result document (``run.unit_id`` under ``parameters/<year>/``)."""
    from evalkit.model import Filing, Unit

    unit_id = (doc.get("run") or {}).get("unit_id")
    year = doc.get("year")
    if not unit_id or not isinstance(year, int):
        return None
    filing = Filing(unit=Unit(name=str(doc.get("unit") or ""), kind=str(doc.get("kind") or ""), year=year))
    path = Path(parameters) / str(year) / f"{unit_id}.yaml"
    return _last_year_of(path, filing, doc.get("indicators") or [], profile or doc.get("profile"), outputs)


def _last_year_of(
    path: Path, filing: Any, this: list[dict[str, Any]], profile: Any, outputs: str | os.PathLike[str] | None
) -> LastYear | None:
    from evalkit.checks.history import previous_path

    prev = previous_path(path, filing)
    if prev is None:
        return None
    if outputs is not None:
        candidate = Path(outputs) / prev.parent.name / f"{prev.stem}.json"
        try:
            doc = json.loads(candidate.read_text(encoding="utf-8"))
            if isinstance(doc, dict) and doc.get("total") is not None:
                return last_year_from_doc(doc, this, _short(candidate))
        except (OSError, ValueError):
            pass
    from evalkit.pipeline import review
    from evalkit.scoring.decisions import decisions_path

    decisions = decisions_path(prev)
    try:
        old = review(prev, profile=profile or None, decisions=decisions if decisions.exists() else None)
    except EvalkitError:
        return None
    return last_year_from_doc(old.to_json(), this, _short(prev))


def _short(path: Path) -> str:
    # Results travel (a share, a zip): name the year folder and the file, not this machine's folders.
    return f"{path.parent.name}/{path.name}"


def _disposition(rv: Review, f: Finding) -> str:
    lookup = getattr(rv.decisions, "finding", None)  # the workbench's finding dispositions
    recorded = lookup(f.code, f.where) if callable(lookup) else None
    return str(getattr(recorded, "disposition", "") or "")


def upheld(rv: Review) -> list[Finding]:
    """The findings the reviewer did not set aside, most severe first, then by place."""
    return sorted((f for f in rv.findings if _disposition(rv, f) != "set_aside"), key=Finding.sort_key)


def set_aside(rv: Review) -> list[Finding]:
    """The findings the reviewer set aside (不采纳)."""
    return [f for f in rv.findings if _disposition(rv, f) == "set_aside"]


def _families(findings: list[Finding]) -> str:
    counts = Counter(f.family for f in findings)
    return "、".join(f"{FAMILY_LABELS.get(fam, fam)}{n}个" for fam, n in counts.most_common())


def _severities(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return "、".join(f"{SEVERITY_LABELS[s]}{counts[s]}个" for s in SEVERITY_LABELS if counts[s])


def draft_conclusion(rv: Review, last: LastYear | None = None) -> str:
    """The generated 复核结论: scores and grades, the gap, the problems by family, the decisions."""
    unit = rv.filing.unit
    year = f"{unit.year}年度" if unit.year else ""
    parts = [f"经复核，{unit.name}{year}绩效自评复核得分{fmt(rv.total)}分，复核等级为“{rv.grade}”"]
    declared, dgrade = unit.declared_total, unit.declared_grade
    if declared is not None:
        gap = round(declared - rv.total, 2)
        if abs(gap) <= rv.profile.tolerance:
            how = "与复核得分一致"
        elif gap > 0:
            how = f"比复核得分高{fmt(gap)}分"
        else:
            how = f"比复核得分低{fmt(-gap)}分"
        grade = f"、自评等级“{dgrade}”" if dgrade else ""
        parts.append(f"单位自评{fmt(declared)}分{grade}，{how}")
    elif dgrade:
        same = "一致" if dgrade == rv.grade else "不一致"
        parts.append(f"单位自评等级“{dgrade}”（未填自评总分），与复核等级{same}")
    text = "，".join(parts) + "。"
    found = upheld(rv)
    if found:
        text += f"复核发现问题{len(found)}个（{_severities(found)}），主要为{_families(found)}。"
    else:
        text += "复核未发现需要指出的问题。"
    decided = [s for s in rv.card.indicators if s.reviewer]
    deducted = sum(s.deduction for s in rv.card.indicators)
    aside = set_aside(rv)
    bits = []
    if decided:
        bits.append(f"对{len(decided)}项指标作出复核决定")
    if deducted:
        bits.append(f"复核扣分合计{fmt(deducted)}分")
    if aside:
        bits.append(f"经核实不采纳发现{len(aside)}个")
    if bits:
        text += "复核人" + "，".join(bits) + "。"
    if last is not None and last.total is not None:
        change = last.change(rv.total)
        move = (
            "持平"
            if change is not None and abs(change) <= rv.profile.tolerance
            else (f"上升{fmt(change)}分" if change and change > 0 else f"下降{fmt(-(change or 0))}分")
        )
        text += f"上年度（{last.year}年）复核得分{fmt(last.total)}分、等级“{last.grade}”，本年{move}。"
    return text


def _family_lines(rv: Review, families: tuple[str, ...]) -> list[str]:
    found = [f for f in upheld(rv) if f.family in families]
    counts = Counter(f.family for f in found)
    return [f"{FAMILY_LABELS.get(fam, fam)}问题{n}个" for fam, n in counts.most_common()]


def draft_opinions(rv: Review) -> dict[str, str]:
    """The generated drafts of 内容完整性, 论证充分性 and 结果客观性 (keys of ``OPINION_LABELS``)."""
    f = rv.filing
    inds = f.indicators
    present = [lv for lv in LEVEL1_ORDER if any(i.level1 == lv for i in inds)]
    missing = [lv for lv in LEVEL1_ORDER if lv not in present]
    has_budget = f.budget.executed is not None and (f.budget.planned or f.budget.adjusted)
    parts = [
        f"自评材料包含{'预算执行情况、' if has_budget else ''}{len(f.goals)}个年度目标共{len(inds)}项绩效指标"
        f"{'及自评报告正文' if f.narrative else '，未附自评报告正文'}"
    ]
    if not has_budget:
        parts.append("预算执行数据不完整")
    if missing:
        parts.append(f"缺少{'、'.join(missing)}")
    lines = _family_lines(rv, _OPINION_FAMILIES["completeness"])
    completeness = "，".join(parts) + "。"
    completeness += f"存在{'、'.join(lines)}，需补充完善。" if lines else "内容基本完整。"

    lines = _family_lines(rv, _OPINION_FAMILIES["sufficiency"])
    over = sum(1 for s in rv.card.indicators if s.over_target)
    sufficiency = (
        f"自评对{len(inds)}项指标的完成情况作了说明"
        + (f"，其中{over}项完成值远高于目标值" if over else "")
        + "。"
        + (
            f"存在{'、'.join(lines)}，论证不够充分，佐证资料有待补充。"
            if lines
            else "论证较为充分，佐证资料基本能够支撑自评结论。"
        )
    )

    lines = _family_lines(rv, _OPINION_FAMILIES["objectivity"])
    declared = f.unit.declared_total
    score = (
        f"自评{fmt(declared)}分，复核{fmt(rv.total)}分" if declared is not None else f"复核{fmt(rv.total)}分"
    )
    objectivity = f"{score}，复核等级“{rv.grade}”。" + (
        f"存在{'、'.join(lines)}，自评结果客观性不足。" if lines else "自评结果基本客观。"
    )
    return {"completeness": completeness, "sufficiency": sufficiency, "objectivity": objectivity}


def conclusion(rv: Review, last: LastYear | None = None) -> str:
    """The 复核结论: the reviewer's text when saved, else the generated draft."""
    text = getattr(rv.decisions, "conclusion", "") or ""
    return text.strip() or draft_conclusion(rv, last)


def opinions(rv: Review) -> dict[str, str]:
    """The three opinion texts: the reviewer's where saved, else the drafts (keys of ``OPINION_LABELS``)."""
    saved = getattr(rv.decisions, "opinions", None) or {}
    drafts = draft_opinions(rv)
    return {k: (saved.get(k) or "").strip() or drafts[k] for k in OPINION_LABELS}


def suggestions(rv: Review) -> list[str]:
    """整改建议: one per family of the upheld findings, most frequent first."""
    counts = Counter(f.family for f in upheld(rv) if f.severity != "info")
    return [SUGGESTIONS[fam] for fam, _ in counts.most_common() if fam in SUGGESTIONS]

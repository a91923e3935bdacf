"""The evaluator's recorded decisions for one unit, and how they are stored.

Decisions are data: a qualitative tier and its score, a deduction with its reason, a corrected
target or actual, a comment — keyed by the indicator's stable key (``g1r3``). Scoring reads them;
the workbench writes them to ``parameters/<year>/<unit-id>.review.yaml`` with a history of saves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import DecisionsError


@dataclass
class Decision:
    """What the reviewer decided for one indicator row."""

    tier: str | None = None  # achieved / partial / not_achieved
    score: float | None = None  # the score inside the tier's range (or any rule's score, overridden)
    deduction: float = 0.0  # points taken off (e.g. a far-over target), needs a reason
    reason: str = ""
    comment: str = ""
    target: str | None = None  # corrected target text
    actual: str | None = None  # corrected actual text

    def is_empty(self) -> bool:
        """True when nothing was decided."""
        return self == Decision()


@dataclass
class Decisions:
    """All decisions for one unit, plus the save history."""

    unit: str = ""
    reviewer: str = ""
    opinion: str = ""  # 复核意见 (free text)
    # 复核结论: the reviewer's edited conclusion; empty means "use the generated draft".
    conclusion: str = ""
    # The three opinion texts the bureaus' systems ask for, keyed by OPINION_LABELS' keys;
    # a missing or empty key means "use the generated draft".
    opinions: dict[str, str] = field(default_factory=dict)
    items: dict[str, Decision] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    def get(self, key: str) -> Decision | None:
        """The decision for an indicator key, or None."""
        return self.items.get(key)


# The qualitative tiers a reviewer can choose (RULES §4.3), with their Chinese labels.
TIER_LABELS = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}

# The three opinion texts a bureau's system asks for with an uploaded review (RULES §5a).
OPINION_LABELS = {"completeness": "内容完整性", "sufficiency": "论证充分性", "objectivity": "结果客观性"}

_DECISION_FIELDS = {"tier", "score", "deduction", "reason", "comment", "target", "actual"}
_TIERS = {*TIER_LABELS, None}


def decisions_from_dict(data: dict[str, Any], source: str = "") -> Decisions:
    """Build and validate decisions from their YAML mapping; errors name the file and the field."""
    where = source or "复核意见"
    if not isinstance(data, dict):
        raise DecisionsError(f"{where}：应为键值映射（YAML mapping）")
    raw_items = data.get("items") or {}
    if not isinstance(raw_items, dict):
        raise DecisionsError(f"{where}：items 应为“指标编号: 决定”的映射")
    items: dict[str, Decision] = {}
    for key, raw in raw_items.items():
        if not isinstance(raw, dict):
            raise DecisionsError(f"{where}：items.{key} 应为映射")
        unknown = set(raw) - _DECISION_FIELDS
        if unknown:
            raise DecisionsError(
                f"{where}：items.{key} 有未知字段 {sorted(unknown)}；可用字段：{sorted(_DECISION_FIELDS)}"
            )
        try:
            decision = Decision(**raw)
            decision.deduction = float(decision.deduction or 0)
            if decision.score is not None:
                decision.score = float(decision.score)
        except (TypeError, ValueError) as exc:
            raise DecisionsError(f"{where}：items.{key} 的数值无法读取（{exc}）") from exc
        if decision.tier not in _TIERS:
            raise DecisionsError(
                f"{where}：items.{key}.tier 为 {decision.tier!r}；应为 achieved、partial 或 not_achieved"
            )
        if decision.deduction < 0:
            raise DecisionsError(f"{where}：items.{key}.deduction 不能为负数")
        if decision.deduction and not decision.reason.strip():
            raise DecisionsError(f"{where}：items.{key} 有扣分 {decision.deduction} 但未写扣分理由（reason）")
        items[str(key)] = decision
    history = data.get("history") or []
    if not isinstance(history, list):
        raise DecisionsError(f"{where}：history 应为列表")
    raw_opinions = data.get("opinions") or {}
    if not isinstance(raw_opinions, dict):
        raise DecisionsError(f"{where}：opinions 应为映射（completeness / sufficiency / objectivity）")
    unknown = set(raw_opinions) - set(OPINION_LABELS)
    if unknown:
        raise DecisionsError(
            f"{where}：opinions 有未知字段 {sorted(map(str, unknown))}；可用字段：{sorted(OPINION_LABELS)}"
            "（内容完整性 / 论证充分性 / 结果客观性）"
        )
    return Decisions(
        unit=str(data.get("unit") or ""),
        reviewer=str(data.get("reviewer") or ""),
        opinion=str(data.get("opinion") or ""),
        conclusion=str(data.get("conclusion") or ""),
        opinions={k: str(v) for k, v in raw_opinions.items() if v not in (None, "")},
        items=items,
        history=history,
    )


def decisions_to_dict(decisions: Decisions) -> dict[str, Any]:
    """The YAML mapping of decisions; empty fields are left out to keep the file readable."""
    items = {}
    for key, d in decisions.items.items():
        if d.is_empty():
            continue
        items[key] = {
            name: getattr(d, name)
            for name in ("tier", "score", "deduction", "reason", "comment", "target", "actual")
            if getattr(d, name) not in (None, "", 0, 0.0)
        }
    data: dict[str, Any] = {
        "unit": decisions.unit,
        "reviewer": decisions.reviewer,
        "opinion": decisions.opinion,
    }
    if decisions.conclusion:
        data["conclusion"] = decisions.conclusion
    opinions = {k: decisions.opinions[k] for k in OPINION_LABELS if decisions.opinions.get(k)}
    if opinions:
        data["opinions"] = opinions
    data["items"] = items
    data["history"] = decisions.history
    return data


def load_decisions(path: str | os.PathLike[str] | None) -> Decisions:
    """Read a decisions file; a path that does not exist yet means no decisions."""
    if path is None:
        return Decisions()
    p = Path(path)
    if not p.exists():
        return Decisions()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DecisionsError(f"{p}：无法读取复核意见文件（{exc}）") from exc
    return decisions_from_dict(data, str(p))


def decisions_path(filing_path: str | os.PathLike[str]) -> Path:
    """``<unit-id>.review.yaml`` beside a filing's ``<unit-id>.yaml`` (what ``evalkit review`` reads)."""
    return Path(filing_path).with_suffix(".review.yaml")

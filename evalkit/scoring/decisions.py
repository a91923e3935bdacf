"""The evaluator's recorded decisions for one unit, and how they are stored.

Decisions are data: a qualitative tier and its score, a deduction with its reason, a corrected
target or actual, a comment — keyed by the indicator's stable key (``g1r3``) — plus a disposition
per finding (采纳 / 不采纳 with its reason), the profile the reviewer scored with, and who
reviewed. Scoring reads them; the workbench writes them to
``parameters/<year>/<unit-id>.review.yaml`` with a history of saves.

The file is validated by pydantic (like profiles and the YAML filing form); every error is
reported, each with its place in the words the findings use (1-based: ``目标1 第3行``,
``第2项发现处置``). Files written before ``format:`` existed (``evalkit-review/1`` and earlier,
without findings, profile or first reviewer) load unchanged: the missing fields are empty.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from evalkit.errors import DecisionsError
from evalkit.fileio import quote
from evalkit.safeyaml import YamlRefused, load_yaml

FORMAT = "evalkit-review/2"
LEGACY_FORMATS = (None, "evalkit-review/1")

# The qualitative tiers a reviewer can choose (RULES §4.3), with their Chinese labels.
TIER_LABELS = {"achieved": "达成", "partial": "部分达成", "not_achieved": "未达成"}

# The three opinion texts a bureau's system asks for with an uploaded review (RULES §5a).
OPINION_LABELS = {"completeness": "内容完整性", "sufficiency": "论证充分性", "objectivity": "结果客观性"}

# What a reviewer decides about a finding. ``pending`` is never stored: it is the absence of one.
UPHELD = "upheld"
SET_ASIDE = "set_aside"
PENDING = "pending"
HANDLED = "handled"  # derived: an over-target finding whose row carries a deduction
DISPOSITION_LABELS = {UPHELD: "采纳", SET_ASIDE: "不采纳", PENDING: "待定", HANDLED: "已扣分"}

# A unit's review status, derived from its decisions (see :func:`review_status`).
STATUS_TODO = "待复核"
STATUS_DOING = "复核中"
STATUS_DONE = "已复核"

# Field names as a reviewer reads them, for error messages.
FIELD_LABELS = {
    "tier": "等次",
    "score": "得分",
    "deduction": "扣分",
    "reason": "理由",
    "comment": "备注",
    "target": "目标值",
    "actual": "完成值",
    "code": "代码",
    "key": "发现编号",
    "where": "位置",
    "disposition": "处置",
    "message": "内容",
    "unit": "单位",
    "reviewer": "复核人",
    "first_reviewer": "首位复核人",
    "profile": "评分方案",
    "opinion": "复核意见",
    "conclusion": "复核结论",
    "opinions": "三项意见",
    "items": "指标复核决定",
    "findings": "发现处置",
    "history": "保存记录",
    "format": "格式标记",
}

_KEY = re.compile(r"g(\d+)r(\d+)")


class _Model(BaseModel):
    # NaN and infinity are refused: a score must compare and sum like a number.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _checking(info: ValidationInfo) -> bool:
    # Reasons are required of a file being read or written (validated with a context), not of the
    # half-entered decision the workbench scores live while the reviewer types.
    return bool(info.context and info.context.get("require_reasons"))


class Decision(_Model):
    """What the reviewer decided for one indicator row."""

    tier: Literal["achieved", "partial", "not_achieved"] | None = None
    score: float | None = Field(None, ge=0.0)  # the score inside the tier's range (0 is a score)
    deduction: float = Field(0.0, ge=0.0)  # points taken off (e.g. a far-over target), needs a reason
    reason: str = ""
    comment: str = ""
    target: str | None = None  # corrected target text
    actual: str | None = None  # corrected actual text

    @field_validator("deduction", mode="before")
    @classmethod
    def _no_null_deduction(cls, value: Any) -> Any:
        return 0.0 if value is None else value

    @field_validator("reason", "comment", mode="before")
    @classmethod
    def _no_null_text(cls, value: Any) -> Any:
        return "" if value is None else value

    @model_validator(mode="after")
    def _deduction_needs_reason(self, info: ValidationInfo) -> Decision:
        if _checking(info) and self.deduction and not self.reason.strip():
            raise ValueError(f"有扣分 {self.deduction:g} 但未写扣分理由（reason）")
        return self

    def is_empty(self) -> bool:
        """True when nothing was decided."""
        return self == Decision()


class FindingDecision(_Model):
    """A reviewer's disposition of one finding, matched by the finding's stable key
    (``D102@g1r4``: its code and structured place); ``where`` and ``message`` are kept as the
    finding read when it was decided, for a person reading the file."""

    key: str = Field(min_length=1)
    code: str = ""
    where: str = ""
    disposition: Literal["upheld", "set_aside"]
    reason: str = ""
    message: str = ""  # the finding's text when it was decided (for a person reading the file)

    @field_validator("reason", "message", "where", mode="before")
    @classmethod
    def _no_null_text(cls, value: Any) -> Any:
        return "" if value is None else value

    @model_validator(mode="after")
    def _set_aside_needs_reason(self, info: ValidationInfo) -> FindingDecision:
        if _checking(info) and self.disposition == SET_ASIDE and not self.reason.strip():
            raise ValueError("不采纳须写理由（reason）")
        return self

    @model_validator(mode="before")
    @classmethod
    def _code_from_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("code") and isinstance(data.get("key"), str):
            data = {**data, "code": data["key"].split("@", 1)[0]}
        return data


class Decisions(_Model):
    """All decisions for one unit, plus the save history."""

    unit: str = ""
    reviewer: str = ""  # who saved last
    first_reviewer: str = ""  # who saved first (kept by every later save)
    profile: str = ""  # the scoring profile the reviewer chose (empty: the default)
    opinion: str = ""  # 复核意见 (free text)
    # 复核结论: the reviewer's edited conclusion; empty means "use the generated draft".
    conclusion: str = ""
    # The three opinion texts the bureaus' systems ask for, keyed by OPINION_LABELS' keys;
    # a missing or empty key means "use the generated draft".
    opinions: dict[str, str] = Field(default_factory=dict)
    items: dict[str, Decision] = Field(default_factory=dict)
    findings: list[FindingDecision] = Field(default_factory=list)
    history: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("opinions", mode="before")
    @classmethod
    def _known_opinions(cls, value: Any) -> Any:
        if value is None:
            return {}
        if isinstance(value, dict):
            unknown = sorted(str(k) for k in value if k not in OPINION_LABELS)
            if unknown:
                raise ValueError(
                    f"opinions 有未知字段 {unknown}；可用字段：{sorted(OPINION_LABELS)}"
                    "（内容完整性 / 论证充分性 / 结果客观性）"
                )
            # An empty text is the absence of one: the generated draft is used.
            return {k: v for k, v in value.items() if v not in (None, "")}
        return value

    @field_validator("unit", "reviewer", "first_reviewer", "profile", "opinion", "conclusion", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return "" if value is None else str(value) if isinstance(value, (int, float)) else value

    @field_validator("items", "findings", "history", mode="before")
    @classmethod
    def _empty_collections(cls, value: Any, info: Any) -> Any:
        if value is None:
            return [] if info.field_name != "items" else {}
        return value

    @field_validator("items", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _one_disposition_per_finding(self) -> Decisions:
        seen: set[str] = set()
        for i, f in enumerate(self.findings, start=1):
            if f.key in seen:
                raise ValueError(f"第{i}项发现处置与前面的重复（{f.key}）")
            seen.add(f.key)
        return self

    def get(self, key: str) -> Decision | None:
        """The decision for an indicator key, or None."""
        return self.items.get(key)

    def finding(self, key: str, where: str | None = None) -> FindingDecision | None:
        """The disposition recorded for the finding of this key (``D102@g1r4``), or None.

        ``finding(code, where)`` looks it up by code and place in words instead."""
        for f in self.findings:
            if (f.key == key) if where is None else (f.code == key and f.where == where):
                return f
        return None

    def is_empty(self) -> bool:
        """True when the reviewer recorded nothing (no items, dispositions or opinion)."""
        return not (
            any(not d.is_empty() for d in self.items.values())
            or self.findings
            or self.opinion
            or self.conclusion
            or self.opinions
        )


def key_label(key: str) -> str:
    """An indicator key as a place in the findings' words: ``g1r3`` → ``目标1 第3行``."""
    m = _KEY.fullmatch(key)
    return f"目标{m.group(1)} 第{m.group(2)}行" if m else key


def row_label(goal: int, row: int, name: str) -> str:
    """How a person names an indicator row: ``1-6 新增粮食产能``."""
    return f"{goal}-{row} {name}".rstrip()


def relabel(text: str, labels: dict[str, str]) -> str:
    """Replace internal keys (``g1r6``) in a text by their row labels (for older history entries)."""
    return re.sub(r"\bg\d+r\d+\b", lambda m: labels.get(m.group(0), m.group(0)), text)


# ---------------------------------------------------------------------------- dispositions
@dataclass(frozen=True)
class Disposition:
    """What a finding's disposition is, and why (derived from the decisions and the scores)."""

    status: str  # upheld / set_aside / pending / handled
    reason: str = ""

    @property
    def label(self) -> str:
        """The Chinese label: 采纳 / 不采纳 / 待定 / 已扣分."""
        return DISPOSITION_LABELS[self.status]

    @property
    def counts_as_upheld(self) -> bool:
        """True for a finding the review stands by (upheld, or handled by a deduction)."""
        return self.status in (UPHELD, HANDLED)


OVER_TARGET_CODES = frozenset({"O101"})


def disposition(
    key: str,
    code: str,
    decisions: Decisions,
    row_key: str | None = None,
    deduction: float = 0.0,
    where: str = "",
) -> Disposition:
    """A finding's disposition (by its key, else its code and place in words): what the reviewer
    recorded, else handled when it is an over-target finding whose row carries a deduction, else
    pending."""
    recorded = decisions.finding(key)
    if recorded is None and where:
        recorded = decisions.finding(code, where)
    if recorded is not None:
        return Disposition(recorded.disposition, getattr(recorded, "reason", ""))
    if code in OVER_TARGET_CODES and row_key and deduction > 0:
        item = decisions.get(row_key)
        return Disposition(HANDLED, item.reason if item else "")
    return Disposition(PENDING)


def review_status(decisions: Decisions, dispositions: Iterable[Disposition]) -> str:
    """待复核 when nothing is recorded; 已复核 when every finding is disposed of and the opinion is
    written; 复核中 otherwise."""
    states = list(dispositions)
    if decisions.is_empty():
        return STATUS_TODO
    if decisions.opinion.strip() and all(d.status != PENDING for d in states):
        return STATUS_DONE
    return STATUS_DOING


# ---------------------------------------------------------------------------- reading / writing
def _place(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """A pydantic error location in the findings' words, 1-based."""
    parts: list[str] = []
    rest = list(loc)
    if rest and rest[0] == "items" and len(rest) >= 2:
        parts.append(f"{key_label(str(rest[1]))}（items.{rest[1]}）")
        rest = rest[2:]
    elif rest and rest[0] in ("findings", "history") and len(rest) >= 2 and isinstance(rest[1], int):
        what = "发现处置" if rest[0] == "findings" else "保存记录"
        parts.append(f"第{rest[1] + 1}项{what}")
        rest = rest[2:]
    for p in rest:
        if isinstance(p, int):
            parts.append(f"第{p + 1}项")
        elif str(p) in FIELD_LABELS:
            parts.append(f"{FIELD_LABELS[str(p)]}（{p}）")
        else:
            parts.append(str(p))
    return " ".join(parts) or "文件"


_MESSAGES = {
    "extra_forbidden": "未知字段",
    "literal_error": "取值不在可选范围内",
    "greater_than_equal": "不能为负数",
    "float_parsing": "应为数值",
    "float_type": "应为数值",
    "string_type": "应为文字",
    "dict_type": "应为键值映射",
    "list_type": "应为列表",
    "missing": "缺少必填字段",
    "string_too_short": "不能为空",
    "finite_number": "应为有限的数值",
}


def _message(err: dict[str, Any]) -> str:
    if err["type"] in ("value_error", "assertion_error"):
        return str(err["msg"]).removeprefix("Value error, ")
    text = _MESSAGES.get(err["type"], err["msg"])
    if err["type"] == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        text += f"（应为 {expected.replace(' or ', '、')}）"
    return text


def decisions_from_dict(data: Any, source: str = "") -> Decisions:
    """Build and validate decisions from their YAML mapping; every error names the file and place."""
    where = source or "复核意见"
    if data is None:
        return Decisions()
    if not isinstance(data, dict):
        raise DecisionsError(f"{where}：应为键值映射（YAML mapping）")
    data = dict(data)
    fmt = data.pop("format", None)
    if fmt != FORMAT and fmt not in LEGACY_FORMATS:
        raise DecisionsError(f"{where}：不支持的格式标记 format: {fmt!r}；应为 {FORMAT}")
    try:
        return Decisions.model_validate(data, context={"require_reasons": True})
    except ValidationError as exc:
        found = []
        for err in exc.errors():
            shown = "" if err["type"] in ("missing", "value_error") else f"，给定值 {quote(err.get('input'))}"
            found.append(f"{_place(err['loc'], data)}：{_message(err)}{shown}")
        if len(found) == 1:
            raise DecisionsError(f"{where}：{found[0]}") from exc
        lines = [f"{where}：复核意见文件有{len(found)}处错误", *(f"  {x}" for x in found)]
        raise DecisionsError("\n".join(lines)) from exc


_ITEM_FIELDS = ("tier", "score", "deduction", "reason", "comment", "target", "actual")


def decisions_to_dict(decisions: Decisions) -> dict[str, Any]:
    """The YAML mapping of decisions; fields left at their default are left out to keep the file
    readable (a score of 0 is a decision, never a default)."""
    items = {}
    for key, d in decisions.items.items():
        if d.is_empty():
            continue
        items[key] = {
            name: getattr(d, name)
            for name in _ITEM_FIELDS
            if getattr(d, name) != Decision.model_fields[name].default
        }
    out: dict[str, Any] = {"format": FORMAT, "unit": decisions.unit, "reviewer": decisions.reviewer}
    if decisions.first_reviewer:
        out["first_reviewer"] = decisions.first_reviewer
    if decisions.profile:
        out["profile"] = decisions.profile
    out["opinion"] = decisions.opinion
    if decisions.conclusion:
        out["conclusion"] = decisions.conclusion
    opinions = {k: decisions.opinions[k] for k in OPINION_LABELS if decisions.opinions.get(k)}
    if opinions:
        out["opinions"] = opinions
    out["items"] = items
    if decisions.findings:
        out["findings"] = [f.model_dump(exclude_defaults=True) for f in decisions.findings]
    out["history"] = decisions.history
    return out


# Characters a YAML reader takes as line breaks or drops (NEL, LS, PS, CR, BOM, controls): a text
# holding one is written double-quoted, where they are escaped, so it reads back unchanged.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _UNSAFE.search(value) or value != value.strip(" ") or "\t" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """YAML text of a decisions mapping: Chinese as is, every string read back exactly."""
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def dump_decisions(decisions: Decisions) -> str:
    """The YAML text of decisions (what :func:`load_decisions` reads back to equal decisions)."""
    return dump_yaml(decisions_to_dict(decisions))


def load_decisions(path: str | os.PathLike[str] | None) -> Decisions:
    """Read a decisions file; a path that does not exist yet means no decisions."""
    if path is None:
        return Decisions()
    p = Path(path)
    if not p.exists():
        return Decisions()
    try:
        data = load_yaml(p.read_text(encoding="utf-8"))
    except YamlRefused as exc:  # syntax, an alias bomb, NaN: with the line and column
        place = f"{exc.where}：" if exc.where else ""
        raise DecisionsError(f"{p}：{place}{exc.message}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DecisionsError(f"{p}：无法读取复核意见文件（{exc}）") from exc
    return decisions_from_dict(data, str(p))


def decisions_path(filing_path: str | os.PathLike[str]) -> Path:
    """``<unit-id>.review.yaml`` beside a filing's ``<unit-id>.yaml`` (what ``evalkit review`` reads)."""
    return Path(filing_path).with_suffix(".review.yaml")


def saved_profile(path: str | os.PathLike[str] | None) -> str:
    """The profile recorded in a decisions file ("" when none, or when the file is unreadable:
    the review then reports the file's error itself)."""
    try:
        return load_decisions(path).profile
    except DecisionsError:
        return ""

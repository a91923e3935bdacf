"""Indicator level names (RULES §2): the standard names and how names as filed map onto them.

Real tables write "效果指标" for 效益指标, "数量" for 数量指标, break names over lines, and file the
satisfaction indicator under 效益 or 效果. :func:`normalize_levels` maps what it recognises onto
the standard names and keeps anything else as written, so a check can report it.
"""

from __future__ import annotations

import re

from evalkit.model import LEVEL1_BENEFIT, LEVEL1_OUTPUT, LEVEL1_SATISFACTION

LEVEL2_QUANTITY = "数量指标"
LEVEL2_QUALITY = "质量指标"
LEVEL2_TIMELINESS = "时效指标"
LEVEL2_COST = "成本指标"
LEVEL2_ECONOMIC = "经济效益指标"
LEVEL2_SOCIAL = "社会效益指标"
LEVEL2_ECOLOGICAL = "生态效益指标"
LEVEL2_SUSTAINABLE = "可持续影响指标"
LEVEL2_SATISFACTION = "服务对象满意度指标"

STANDARD_LEVEL1: tuple[str, ...] = (LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION)

STANDARD_LEVEL2: dict[str, tuple[str, ...]] = {
    LEVEL1_OUTPUT: (LEVEL2_QUANTITY, LEVEL2_QUALITY, LEVEL2_TIMELINESS, LEVEL2_COST),
    LEVEL1_BENEFIT: (LEVEL2_ECONOMIC, LEVEL2_SOCIAL, LEVEL2_ECOLOGICAL, LEVEL2_SUSTAINABLE),
    LEVEL1_SATISFACTION: (LEVEL2_SATISFACTION,),
}

_SPACE = re.compile(r"\s+")


def clean_level_name(text: str) -> str:
    """A level name without whitespace, line breaks or a trailing colon ("数量\\n指标：" → "数量指标")."""
    return _SPACE.sub("", text or "").rstrip(":：")


def _level2(name: str) -> str:
    """The standard level-2 name for ``name`` (already cleaned), or ``name`` as written."""
    if not name:
        return ""
    if "满意" in name:
        return LEVEL2_SATISFACTION
    if "数量" in name:
        return LEVEL2_QUANTITY
    if "质量" in name:
        return LEVEL2_QUALITY
    if "时效" in name or name in ("进度", "进度指标"):
        return LEVEL2_TIMELINESS
    if name in ("成本", "成本指标"):
        return LEVEL2_COST
    if "经济效益" in name or name == "经济":
        return LEVEL2_ECONOMIC
    if "社会效益" in name or name == "社会":
        return LEVEL2_SOCIAL
    if "生态效益" in name or "生态环境效益" in name or name == "生态":
        return LEVEL2_ECOLOGICAL
    if "可持续" in name:
        return LEVEL2_SUSTAINABLE
    return name


def _level1(name: str) -> str:
    """The standard level-1 name for ``name`` (already cleaned), or ``name`` as written."""
    if not name:
        return ""
    if "满意" in name:
        return LEVEL1_SATISFACTION
    if "产出" in name:
        return LEVEL1_OUTPUT
    if "效益" in name or "效果" in name:
        return LEVEL1_BENEFIT
    return name


def normalize_levels(level1_raw: str, level2_raw: str, name: str = "") -> tuple[str, str]:
    """Map level names as filed onto the standard names: ``(level1, level2)``.

    - level 1: "产出…" → 产出指标, "效益…"/"效果指标" → 效益指标, "…满意…" → 满意度指标;
    - level 2: "数量" → 数量指标, "社会效益" → 社会效益指标, "社会公众或服务对象满意度指标" →
      服务对象满意度指标, …;
    - a level-2 name about satisfaction moves the row to 满意度指标 whatever level 1 says;
    - with no usable level-2 name, an indicator whose own name (三级指标) is about satisfaction
      (``name`` contains 满意度) is taken as 满意度指标 / 服务对象满意度指标;
    - whitespace and line breaks are dropped; names not recognised are kept as written.
    """
    l1 = _level1(clean_level_name(level1_raw))
    l2 = _level2(clean_level_name(level2_raw))
    if l2 == LEVEL2_SATISFACTION:
        l1 = LEVEL1_SATISFACTION
    elif l1 == LEVEL1_SATISFACTION and not l2:
        l2 = LEVEL2_SATISFACTION
    elif "满意度" in (name or "") and not _is_standard_level2(l2):
        l1, l2 = LEVEL1_SATISFACTION, LEVEL2_SATISFACTION
    return l1, l2


def _is_standard_level2(name: str) -> bool:
    return any(name in names for names in STANDARD_LEVEL2.values())

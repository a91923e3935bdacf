"""Scoring profiles: every number RULES §4 leaves open, as a validated YAML file.

A profile is chosen by name (looked up in ``parameters/profiles/``) or by path. A profile may name
another in ``extends:`` and set only what differs; the merge is a deep merge of mappings.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evalkit.errors import ProfileError
from evalkit.fileio import quote
from evalkit.resources import profiles_dir
from evalkit.safeyaml import YamlRefused, load_yaml
from evalkit.scoring.caliber import CaliberRule

DEFAULT_PROFILE = "mof-2020"
_PROFILE_DIR_ENV = "EVALKIT_PROFILES"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BudgetRule(_Strict):
    """How the budget execution rate is scored."""

    points: float = 10.0
    basis: Literal["stated", "planned", "adjusted"] = "stated"
    fallback_basis: Literal["planned", "adjusted"] = "planned"


class Weights(_Strict):
    """Level-1 weights; with the budget points they make the full score."""

    output: float = 50.0
    benefit: float = 30.0
    satisfaction: float = 10.0


class OverTarget(_Strict):
    """Far-over-target rule (RULES §4.4)."""

    threshold: float = 0.5
    auto_deduction: float = Field(0.0, ge=0.0, le=1.0)


class CheckSettings(_Strict):
    """Thresholds of the review checks."""

    dominant_weight_share: float = 0.4
    rate_tolerance: float = Field(0.01, ge=0.0)  # percentage points, stated vs computed rate
    amount_tolerance: float = Field(0.01, ge=0.0)  # 万元, sums and differences of amounts
    name_match: float = Field(0.85, gt=0.0, le=1.0)  # share of an indicator name the text must hold
    approximate_tolerance: float = Field(0.2, ge=0.0)  # relative gap a 约数 in the text may have
    execution_rate_limit: float = Field(1.5, gt=0.0)  # executed / budget above this is implausible
    # Which codes run (ruff's select / ignore): codes, code prefixes, family names or ALL; the most
    # specific pattern wins, ignore on a tie. Checked against the catalogue when a review runs.
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: dict[str, Literal["error", "warning", "info"]] = {}  # code -> severity it reports with
    preview: bool = False  # run the preview (试行) codes a broad pattern selects


class HistorySettings(_Strict):
    """Last year beside this year (``parameters/<year-1>/``): what counts as a lowered target or a big move."""

    target_margin: float = Field(0.0, ge=0.0)  # a target below last year's actual × (1 − margin) is flagged
    score_change_threshold: float = Field(
        10.0, ge=0.0
    )  # points a reviewed score may move before it is listed


class Limits(_Strict):
    """Bounds checked before the work: a filing past them is refused with a message."""

    max_indicators: int = Field(2000, ge=1)  # indicator rows per unit (real tables: tens)


class Profile(_Strict):
    """A scoring profile (see ``parameters/profiles/mof-2020.yaml`` for every field explained)."""

    name: str
    title: str = ""
    source: str = ""
    budget: BudgetRule = BudgetRule()
    weights: Weights = Weights()
    reverse_formula: Literal["linear", "ratio"] = "linear"
    qualitative: dict[Literal["achieved", "partial", "not_achieved"], tuple[float, float]] = {
        "achieved": (0.8, 1.0),
        "partial": (0.6, 0.8),
        "not_achieved": (0.0, 0.6),
    }
    deadline_late_tier: Literal["achieved", "partial", "not_achieved"] = "partial"
    over_target: OverTarget = OverTarget()
    grades: dict[str, float] = {"优": 90, "良": 80, "中": 60, "差": 0}
    cost_keywords: tuple[str, ...] = ()
    tolerance: float = 0.01
    checks: CheckSettings = CheckSettings()
    history: HistorySettings = HistorySettings()
    caliber: tuple[CaliberRule, ...] = ()  # 复核口径: written scoring rules (evalkit.scoring.caliber)
    limits: Limits = Limits()

    @field_validator("grades")
    @classmethod
    def _grades_descending(cls, value: dict[str, float]) -> dict[str, float]:
        bounds = list(value.values())
        if not bounds or bounds != sorted(bounds, reverse=True):
            raise ValueError("等级下限应从高到低排列，例如 优: 90, 良: 80, 中: 60, 差: 0")
        return value

    @property
    def max_total(self) -> float:
        """Full score: budget points plus the level-1 weights."""
        w = self.weights
        return self.budget.points + w.output + w.benefit + w.satisfaction

    def grade(self, total: float) -> str:
        """The grade of a total: the first band whose lower bound it reaches."""
        for grade, bound in self.grades.items():
            if total >= bound - 1e-9:
                return grade
        return list(self.grades)[-1]

    def tier_range(self, tier: str) -> tuple[float, float]:
        """A qualitative tier's (low, high) fraction of the weight."""
        return self.qualitative[tier]  # type: ignore[index]


def profile_dirs() -> list[Path]:
    """Folders searched for a profile named without a path, in order."""
    dirs = []
    if os.environ.get(_PROFILE_DIR_ENV):
        dirs.append(Path(os.environ[_PROFILE_DIR_ENV]))
    dirs.append(Path.cwd() / "parameters" / "profiles")
    # evalkit's own profiles (the wheel's or the checkout's), so any folder finds the bundled ones.
    dirs.append(profiles_dir())
    return dirs


def _find(name_or_path: str | os.PathLike[str]) -> Path:
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or os.sep in text or "/" in text:
        if path.is_file():
            return path
        raise ProfileError(f"找不到评分方案文件 {text}")
    for folder in profile_dirs():
        for suffix in (".yaml", ".yml"):
            candidate = folder / f"{text}{suffix}"
            if candidate.is_file():
                return candidate
    names = sorted({p.stem for d in profile_dirs() if d.is_dir() for p in d.glob("*.y*ml")})
    raise ProfileError(f"找不到评分方案“{text}”；可用的方案：{', '.join(names) or '无'}")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlRefused) as exc:
        raise ProfileError(f"{path}：无法读取评分方案（{str(exc)[:200]}）") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{path}：评分方案应为键值映射（YAML mapping）")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "grades":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _load_raw(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    if path in seen:
        raise ProfileError(f"{path}：extends 形成循环")
    data = _read_yaml(path)
    parent = data.pop("extends", None)
    if parent:
        data = _merge(_load_raw(_find(parent), (*seen, path)), data)
    return data


def load_profile(name_or_path: str | os.PathLike[str] | Profile | None = None) -> Profile:
    """Load a profile by name, by path, or return the given one; ``None`` is the default."""
    if isinstance(name_or_path, Profile):
        return name_or_path
    path = _find(name_or_path or DEFAULT_PROFILE)
    data = _load_raw(path)
    data.setdefault("source", str(path))
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}：评分方案有误"]
        for err in exc.errors():
            place = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {place}: {err['msg']}（给定值：{quote(err.get('input'))}）")
        raise ProfileError("\n".join(lines)) from exc

"""The review-check catalogue (RULES §5): each check has a stable code, a family, a severity, a
Chinese title, and a function that yields findings for a filing.

Adding a check touches one module of this package plus its test: decorate a function with
:func:`check` and it is listed by ``evalkit checks`` and run by :func:`run_checks`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from evalkit.model import Filing, Indicator, Loc

if TYPE_CHECKING:
    from evalkit.profiles import Profile
    from evalkit.scoring import ScoreCard

FAMILIES = (
    "arithmetic",
    "formula",
    "self_score",
    "over_target",
    "missing_reason",
    "value",
    "structure",
    "narrative",
    "date",
    "evidence",
)
FAMILY_LABELS = {
    "arithmetic": "计算关系",
    "formula": "公式表述",
    "self_score": "自评打分",
    "over_target": "目标值偏低",
    "missing_reason": "偏差原因缺失",
    "value": "取值填写",
    "structure": "表格结构",
    "narrative": "正文与表格",
    "date": "日期",
    "evidence": "佐证材料",
}
SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}

# Places sort: the unit header, the budget block, then goals and rows, then the narrative.
PLACE_UNIT = (0,)
PLACE_BUDGET = (1,)
PLACE_NARRATIVE = (3,)


@dataclass(frozen=True)
class Finding:
    """One thing the review found, pointing at its place."""

    code: str
    family: str
    severity: str
    message: str
    where: str = ""
    loc: Loc | None = None
    place: tuple[int, ...] = (9,)

    def sort_key(self) -> tuple[int, tuple[int, ...], str]:
        """Severity first (errors on top), then place, then code."""
        return (SEVERITIES.index(self.severity), self.place, self.code)


@dataclass
class Context:
    """What a check sees: the filing, the profile, and the recomputed score card."""

    filing: Filing
    profile: Profile
    card: ScoreCard
    cache: dict[str, object] = field(
        default_factory=dict
    )  # shared work between checks (e.g. narrative figures)


@dataclass(frozen=True)
class Check:
    """A catalogue entry."""

    code: str
    family: str
    severity: str
    title: str
    func: Callable[[Context], Iterable[Finding]]

    def finding(
        self,
        message: str,
        where: str = "",
        loc: Loc | None = None,
        place: tuple[int, ...] = (9,),
        severity: str | None = None,
    ) -> Finding:
        """A finding of this check (a check may lower or raise severity for one case)."""
        return Finding(self.code, self.family, severity or self.severity, message, where, loc, place)


CATALOGUE: dict[str, Check] = {}


def check(code: str, family: str, severity: str, title: str) -> Callable[[Callable], Check]:
    """Register a check function under a stable code; the function receives ``(check, ctx)``."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity}")

    def register(func: Callable[[Check, Context], Iterable[Finding]]) -> Check:
        if code in CATALOGUE:
            raise ValueError(f"duplicate check code {code}")
        entry = Check(code, family, severity, title, lambda ctx: func(CATALOGUE[code], ctx))
        CATALOGUE[code] = entry
        return entry

    return register


def where_row(ind: Indicator) -> str:
    """A short Chinese place of an indicator row: ``目标1 第3行（普及救护培训人次数）``."""
    return f"目标{ind.goal} 第{ind.row}行（{ind.name}）"


def place_row(ind: Indicator) -> tuple[int, ...]:
    """The sort place of an indicator row."""
    return (2, ind.goal, ind.row)


def _load_modules() -> None:
    # Importing the modules registers their checks.
    from evalkit.checks import values  # noqa: F401


def catalogue() -> list[Check]:
    """All registered checks, by code."""
    _load_modules()
    return [CATALOGUE[c] for c in sorted(CATALOGUE)]


def run_checks(ctx: Context) -> list[Finding]:
    """Run every check plus the importer's problems; return the findings sorted."""
    _load_modules()
    found: list[Finding] = []
    for p in ctx.filing.problems:
        found.append(
            Finding(p.code, p.family, p.severity, p.message, p.where, p.loc, _problem_place(p.where))
        )
    for entry in catalogue():
        found.extend(entry.func(ctx))
    return sorted(found, key=Finding.sort_key)


def _problem_place(where: str) -> tuple[int, ...]:
    import re

    m = re.search(r"目标(\d+)\D+(\d+)", where)
    if m:
        return (2, int(m.group(1)), int(m.group(2)))
    if "预算" in where or "资金" in where:
        return PLACE_BUDGET
    return (9,)


def iter_rows(ctx: Context) -> Iterator[tuple[Indicator, object]]:
    """Each indicator with its score entry."""
    for s in ctx.card.indicators:
        yield s.indicator, s

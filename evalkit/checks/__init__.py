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
    from evalkit.scoring.profiles import Profile
    from evalkit.scoring.rules import ScoreCard

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
    """A catalogue entry; ``description`` says in one line what it checks and why it matters."""

    code: str
    family: str
    severity: str
    title: str
    func: Callable[[Context], Iterable[Finding]]
    description: str = ""

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


def check(
    code: str, family: str, severity: str, title: str, description: str | None = None
) -> Callable[[Callable], Check]:
    """Register a check function under a stable code; the function receives ``(check, ctx)``.

    ``description`` defaults to the first paragraph of the function's docstring: it is what
    ``evalkit checks --markdown`` prints, so the docs come from the catalogue itself.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity}")

    def register(func: Callable[[Check, Context], Iterable[Finding]]) -> Check:
        if code in CATALOGUE:
            raise ValueError(f"duplicate check code {code}")
        text = description if description is not None else _first_paragraph(func.__doc__)
        entry = Check(code, family, severity, title, lambda ctx: func(CATALOGUE[code], ctx), text)
        CATALOGUE[code] = entry
        return entry

    return register


def _first_paragraph(doc: str | None) -> str:
    paragraph = (doc or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def where_row(ind: Indicator) -> str:
    """A short Chinese place of an indicator row: ``目标1 第3行（普及救护培训人次数）``."""
    return f"目标{ind.goal} 第{ind.row}行（{ind.name}）"


def place_row(ind: Indicator) -> tuple[int, ...]:
    """The sort place of an indicator row."""
    return (2, ind.goal, ind.row)


def place_paragraph(index: int) -> tuple[int, ...]:
    """The sort place of a narrative paragraph (``Paragraph.index``)."""
    return (*PLACE_NARRATIVE, index)


def where_paragraph(index: int, quote: str) -> str:
    """A short Chinese place of a narrative paragraph: ``报告正文第12段：“…完成目标值7500人次。”``."""
    return f"报告正文第{index}段：“{quote}”"


def fmt(value: float | None, digits: int = 2) -> str:
    """A number as a reviewer writes it: 2500.0 → ``2500``, 92.8357 → ``92.84``, None → ``—``."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _load_modules() -> None:
    # Importing the modules registers their checks.
    from evalkit.checks import (  # noqa: F401
        arithmetic,
        dates,
        evidence,
        formula,
        importer,
        narrative,
        over_target,
        reasons,
        self_score,
        structure,
        values,
    )


def catalogue() -> list[Check]:
    """All registered checks, by code."""
    _load_modules()
    return [CATALOGUE[c] for c in sorted(CATALOGUE)]


def catalogue_markdown() -> str:
    """The catalogue as a Markdown document (``docs/checks.md`` is this text, generated)."""
    lines = [
        "# Review checks (复核要点)",
        "",
        "<!-- Generated by `evalkit checks --markdown` from the catalogue in evalkit/checks/; do not edit. -->",
        "",
        "Every finding of `evalkit review` carries one of these codes. Severity: error (错误),",
        "warning (警告), info (提示). Codes never change meaning; thresholds come from the scoring",
        "profile (`parameters/profiles/*.yaml`, section `checks`). `IMPORT_*` codes are emitted by the",
        "importer while it reads a filing.",
        "",
    ]
    for family in FAMILIES:
        # The catalogue's own checks first, then the codes the importer emits.
        entries = sorted(
            (c for c in catalogue() if c.family == family),
            key=lambda c: (c.code.startswith("IMPORT_"), c.code),
        )
        if not entries:
            continue
        lines += [
            f"## {family} — {FAMILY_LABELS[family]}",
            "",
            "| code | severity | title | what and why |",
            "|---|---|---|---|",
        ]
        for c in entries:
            cells = (c.code, f"{c.severity}（{SEVERITY_LABELS[c.severity]}）", c.title, c.description)
            lines.append("| " + " | ".join(_md_cell(x) for x in cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
    # One fact, one finding: the same code at the same place with the same message is reported once.
    unique = {(f.code, f.where, f.message): f for f in reversed(found)}
    return sorted(unique.values(), key=Finding.sort_key)


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

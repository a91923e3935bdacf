"""The review-check catalogue (RULES §5), after ruff's rule table: one entry per stable code.

Each entry has a code, a family, a severity, a Chinese title, a lifecycle (stable / preview /
retired) and its documentation — what it checks, why it matters, an example, the profile settings it
reads — next to the function that yields its findings. The importers' codes are entries too
(:mod:`evalkit.checks.importer`): their findings come from the reader, but their family, severity
and documentation are declared here, once. ``docs/checks.md`` and ``evalkit checks CODE`` are
generated from this table.

A profile chooses the checks (``checks.select`` / ``checks.ignore``, by code, code prefix or family)
and may re-grade one (``checks.severity``); :func:`run_checks` applies that and isolates a check
that raises: the review goes on and the failure is itself a finding (``X101``).
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from evalkit.errors import ProfileError
from evalkit.model import (
    PART_BUDGET,
    PART_INDICATOR,
    PART_NARRATIVE,
    PART_UNIT,
    SEVERITIES,
    SEVERITY_LABELS,
    At,
    Filing,
    Finding,
    Indicator,
    Loc,
)

if TYPE_CHECKING:
    from evalkit.scoring.profiles import Profile
    from evalkit.scoring.rules import ScoreCard

log = logging.getLogger(__name__)

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
    "caliber",
    "internal",
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
    "caliber": "复核口径",
    "internal": "检查程序",
}
LIFECYCLES = ("stable", "preview", "retired")
LIFECYCLE_LABELS = {"stable": "稳定", "preview": "试行", "retired": "已停用"}
KIND_CHECK = "check"
KIND_IMPORTER = "importer"

# The finding a check that raised leaves in its place.
CHECK_FAILED = "X101"

# Places sort: the unit header, the budget block, then goals and rows, then the narrative.
PLACE_UNIT = (0,)
PLACE_BUDGET = (1,)
PLACE_NARRATIVE = (3,)


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
    """A catalogue entry and its documentation.

    ``description`` says in one line what it checks; ``why`` why it matters to a reviewer;
    ``example`` a filing that triggers it; ``settings`` the profile settings it reads (dotted
    paths, e.g. ``checks.rate_tolerance``); ``message`` an optional Chinese template formatted with
    a finding's ``params``.
    """

    code: str
    family: str
    severity: str
    title: str
    func: Callable[[Context], Iterable[Finding]]
    description: str = ""
    why: str = ""
    example: str = ""
    settings: tuple[str, ...] = ()
    lifecycle: str = "stable"
    message: str = ""
    kind: str = KIND_CHECK

    def finding(
        self,
        message: str = "",
        where: str = "",
        loc: Loc | None = None,
        place: tuple[int, ...] = (),
        severity: str | None = None,
        *,
        at: At | None = None,
        params: Mapping[str, Any] | None = None,
        input: str | None = None,  # the pydantic word for "the value as given"
    ) -> Finding:
        """A finding of this check (a check may lower or raise the severity for one case).

        Without ``message`` the entry's ``message`` template is formatted with ``params``; without
        ``where`` the place is ``at`` in words.
        """
        params = dict(params or {})
        if not message and self.message:
            message = self.message.format(**params)
        return Finding(
            self.code,
            self.family,
            severity or self.severity,
            message,
            where,
            loc,
            place,
            at=at,
            params=params,
            input=input,
        )


CATALOGUE: dict[str, Check] = {}


def check(
    code: str,
    family: str,
    severity: str,
    title: str,
    description: str | None = None,
    *,
    why: str | None = None,
    example: str | None = None,
    settings: Iterable[str] = (),
    lifecycle: str = "stable",
    message: str = "",
    kind: str = KIND_CHECK,
) -> Callable[[Callable], Check]:
    """Register a check function under a stable code; the function receives ``(check, ctx)``.

    The documentation defaults to the function's docstring: its first paragraph is the
    description, a paragraph starting ``Why:`` the reason, one starting ``Example:`` the example,
    one starting ``Settings:`` the profile settings it reads beyond the ``profile.…`` attributes
    its own source names (which are found by themselves).
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity}")
    if lifecycle not in LIFECYCLES:
        raise ValueError(f"unknown lifecycle {lifecycle}")

    def register(func: Callable[[Check, Context], Iterable[Finding]]) -> Check:
        if code in CATALOGUE:
            raise ValueError(f"duplicate check code {code}")
        doc = _doc_sections(func.__doc__)
        entry = Check(
            code,
            family,
            severity,
            title,
            lambda ctx: func(CATALOGUE[code], ctx),
            description if description is not None else doc["what"],
            why if why is not None else doc["why"],
            example if example is not None else doc["example"],
            tuple(dict.fromkeys([*settings, *_split(doc["settings"]), *_settings_read(func)])),
            lifecycle,
            message,
            kind,
        )
        CATALOGUE[code] = entry
        return entry

    return register


def _doc_sections(doc: str | None) -> dict[str, str]:
    paragraphs = [
        " ".join(line.strip() for line in p.splitlines()) for p in inspect.cleandoc(doc or "").split("\n\n")
    ]
    out = {"what": "", "why": "", "example": "", "settings": ""}
    for i, text in enumerate(p for p in paragraphs if p):
        for key, prefix in (("why", "Why:"), ("example", "Example:"), ("settings", "Settings:")):
            if text.startswith(prefix):
                out[key] = text[len(prefix) :].strip()
                break
        else:
            if i == 0:
                out["what"] = text
    return out


def _split(text: str) -> list[str]:
    return [x.strip().strip("`") for x in text.replace("，", ",").split(",") if x.strip()]


_NOT_SETTINGS = {"name", "title", "source"}  # a profile's identity, not a setting a check reads
_PROFILE_ATTR = re.compile(r"profile\.([a-z_]+)(?:\.([a-z_]+))?")


def _settings_read(func: Callable) -> list[str]:
    # The settings a check reads, from its own source: the docs cannot drift from the code.
    from evalkit.scoring.profiles import Profile

    try:
        source = inspect.getsource(func)
    except (OSError, TypeError):
        return []
    found = []
    for top, sub in _PROFILE_ATTR.findall(source):
        info = Profile.model_fields.get(top)
        if info is None or top in _NOT_SETTINGS:
            continue
        nested = getattr(info.annotation, "model_fields", None)
        found.append(f"{top}.{sub}" if sub and nested and sub in nested else top)
    return found


def where_row(ind: Indicator) -> str:
    """A short Chinese place of an indicator row: ``目标1 第3行（普及救护培训人次数）``."""
    return at_row(ind).describe()


def at_row(ind: Indicator, field: str | None = None) -> At:
    """The structured place of an indicator row (and one of its fields: ``target``, ``weight``…)."""
    return At(PART_INDICATOR, goal=ind.goal, row=ind.row, field=field, name=ind.name)


def at_budget(field: str | None = None) -> At:
    """The structured place of the budget block or one of its fields (``executed``, ``planned``…)."""
    return At(PART_BUDGET, field=field)


def at_unit(field: str | None = None) -> At:
    """The structured place of the table's header or one of its fields (``filing_date``…)."""
    return At(PART_UNIT, field=field)


def at_paragraph(index: int) -> At:
    """The structured place of a narrative paragraph (``Paragraph.index``, 1-based)."""
    return At(PART_NARRATIVE, paragraph=index)


def place_row(ind: Indicator) -> tuple[int, ...]:
    """The sort place of an indicator row."""
    return (2, ind.goal, ind.row)


def place_paragraph(index: int) -> tuple[int, ...]:
    """The sort place of a narrative paragraph (``Paragraph.index``)."""
    return (*PLACE_NARRATIVE, index)


def where_paragraph(index: int, quote: str) -> str:
    """A short Chinese place of a narrative paragraph: ``报告正文第12段：“…完成目标值7500人次。”``."""
    return f"{at_paragraph(index).describe()}：“{quote}”"


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
        caliber,
        dates,
        evidence,
        formula,
        history,
        importer,
        narrative,
        over_target,
        plausibility,
        reasons,
        self_score,
        structure,
        values,
    )


def catalogue() -> list[Check]:
    """All registered codes (checks and importer codes, every lifecycle), by code."""
    _load_modules()
    return [CATALOGUE[c] for c in sorted(CATALOGUE)]


def lookup(code: str) -> Check | None:
    """The catalogue entry of a code (case-insensitive), or None."""
    _load_modules()
    return CATALOGUE.get(code.strip().upper())


# --- selection by the profile -----------------------------------------------------------------


def _specificity(pattern: str, entry: Check) -> int | None:
    """How specifically a select/ignore pattern names an entry (None: it does not)."""
    p = pattern.strip()
    if p.upper() == "ALL":
        return 0
    if p == entry.family:
        return 1
    code = p.upper()
    if code == entry.code:
        return 1000
    if entry.code.startswith(code):
        return 1 + len(code)
    return None


def _known_pattern(pattern: str, entries: Iterable[Check]) -> bool:
    return any(_specificity(pattern, e) is not None for e in entries)


@dataclass(frozen=True)
class Selection:
    """The codes a profile turns on and the severities it changes."""

    enabled: frozenset[str]
    severity: Mapping[str, str]

    def applies(self, finding: Finding) -> Finding | None:
        """The finding as this profile reports it (re-graded), or None when its code is off."""
        if finding.code in CATALOGUE and finding.code not in self.enabled:
            return None
        new = self.severity.get(finding.code)
        return replace(finding, severity=new) if new and new != finding.severity else finding


def selection(profile: Profile) -> Selection:
    """Which codes run under ``profile`` (``checks.select`` / ``ignore`` / ``preview``) and their
    severities (``checks.severity``).

    The most specific pattern wins (a code beats a prefix beats a family beats ``ALL``); on a tie
    ``ignore`` wins. A preview code runs only when selected by its exact code or with
    ``checks.preview: true``; a retired code never runs. A pattern that names no code is a
    :class:`~evalkit.errors.ProfileError` naming the setting.
    """
    entries = catalogue()
    settings = profile.checks
    where = profile.source or profile.name
    for key, patterns in (("select", settings.select), ("ignore", settings.ignore)):
        for pattern in patterns:
            if not _known_pattern(pattern, entries):
                raise ProfileError(
                    f"{where}：checks.{key} 中的“{pattern}”不是复核检查代码、代码前缀或类别"
                    "（可用 evalkit checks 查看全部代码）"
                )
    for code in settings.severity:
        if code.upper() not in CATALOGUE:
            raise ProfileError(f"{where}：checks.severity 中的“{code}”不是复核检查代码")
    enabled = set()
    for e in entries:
        chosen = max((s for p in settings.select if (s := _specificity(p, e)) is not None), default=None)
        dropped = max((s for p in settings.ignore if (s := _specificity(p, e)) is not None), default=None)
        if chosen is None or (dropped is not None and dropped >= chosen):
            continue
        if e.lifecycle == "retired" or (e.lifecycle == "preview" and not settings.preview and chosen < 1000):
            continue
        enabled.add(e.code)
    return Selection(frozenset(enabled), {c.upper(): s for c, s in settings.severity.items()})


# --- running -----------------------------------------------------------------------------------


def resolve(problem: Finding) -> Finding:
    """An importer's problem completed from the catalogue: its family and severity are declared there."""
    entry = CATALOGUE.get(problem.code)
    if entry is None or (problem.family and problem.severity):
        return problem
    return replace(
        problem, family=problem.family or entry.family, severity=problem.severity or entry.severity
    )


def _failed(entry: Check, exc: BaseException) -> Finding:
    failed = CATALOGUE[CHECK_FAILED]
    return failed.finding(
        f"复核检查{entry.code}（{entry.title}）运行出错，本项未能检查：{type(exc).__name__}: {exc}；其余检查照常进行",
        "复核检查",
        place=(9,),
        params={"check": entry.code, "error": type(exc).__name__, "detail": str(exc)},
    )


def run_checks(ctx: Context) -> list[Finding]:
    """Run the profile's checks plus the importer's problems; return the findings sorted.

    A check that raises does not stop the review: its findings so far are dropped and one
    ``X101`` finding says which check failed and why.
    """
    _load_modules()
    chosen = selection(ctx.profile)
    found: list[Finding] = [resolve(p) for p in ctx.filing.problems]
    for entry in catalogue():
        if entry.kind != KIND_CHECK or entry.code not in chosen.enabled:
            continue
        try:
            found.extend(list(entry.func(ctx)))  # all or nothing
        except Exception as exc:  # one broken check must not cost the review
            log.debug("check %s failed", entry.code, exc_info=True)
            found.append(_failed(entry, exc))
    kept = [g for f in found if (g := chosen.applies(f)) is not None]
    # One fact, one finding: the same code at the same place with the same message is reported once.
    unique = {(f.code, f.where, f.message): f for f in reversed(kept)}
    return sorted(unique.values(), key=Finding.sort_key)


@check(
    CHECK_FAILED,
    "internal",
    "error",
    "复核检查运行出错",
    why="A check that crashes would otherwise stop the whole review or, silently skipped, let a reader "
    "believe the filing passed it; the finding names the check so the rest of the review still counts "
    "and the gap is visible.",
    example="A check meets a value its code did not foresee and raises ZeroDivisionError: the review "
    "lists `X101 复核检查A103（…）运行出错` and every other finding as usual.",
)
def _check_failed(chk: Check, ctx: Context) -> Iterable[Finding]:
    """A review check raised an error on this filing and was skipped; the other checks ran."""
    return ()


# --- documentation -----------------------------------------------------------------------------


def _setting_default(path: str) -> str:
    from evalkit.scoring.profiles import Profile

    fields = Profile.model_fields
    top, _, sub = path.partition(".")
    info = fields.get(top)
    if info is None:
        return ""
    value = info.default
    if sub:
        value = getattr(value, sub, None)
    if value is None or callable(value):
        return ""
    if isinstance(value, tuple):
        value = list(value)
    return str(value)


def explain(code: str) -> str:
    """One code explained, as ``evalkit checks CODE`` prints it (Chinese labels, English docs)."""
    entry = lookup(code)
    if entry is None:
        raise KeyError(code)
    settings = [f"{s}（默认 {d}）" if (d := _setting_default(s)) else s for s in entry.settings]
    lines = [
        f"{entry.code}  {entry.title}",
        f"类别：{entry.family}（{FAMILY_LABELS[entry.family]}）  级别：{entry.severity}（{SEVERITY_LABELS[entry.severity]}）"
        f"  状态：{entry.lifecycle}（{LIFECYCLE_LABELS[entry.lifecycle]}）"
        + ("  由导入程序发出" if entry.kind == KIND_IMPORTER else ""),
        "",
        f"What it checks: {entry.description or '—'}",
        f"Why it matters: {entry.why or '—'}",
        f"Example: {entry.example or '—'}",
        f"Profile settings it reads: {', '.join(settings) or 'none'}",
        "",
        f"Turn it off: checks.ignore: [{entry.code}]; re-grade it: checks.severity: {{{entry.code}: info}}",
    ]
    return "\n".join(lines)


def catalogue_markdown() -> str:
    """The catalogue as a Markdown document (``docs/checks.md`` is this text, generated)."""
    lines = [
        "# Review checks (复核要点)",
        "",
        "<!-- Generated by `evalkit checks --markdown` from the catalogue in evalkit/checks/; do not edit. -->",
        "",
        "Every finding of `evalkit review` carries one of these codes. Severity: error (错误),",
        "warning (警告), info (提示). Lifecycle: stable (稳定) codes never change meaning; preview (试行)",
        "codes run only when a profile selects them; retired (已停用) codes are kept here and never",
        "emitted again. Thresholds come from the scoring profile (`parameters/profiles/*.yaml`,",
        "section `checks`), which also chooses the codes (`checks.select`, `checks.ignore`: codes, code",
        "prefixes or family names) and may change a severity (`checks.severity`). `IMPORT_*` codes are",
        "emitted by the importer while it reads a filing. `evalkit checks CODE` explains one code.",
        "",
        "A finding's location has one convention: goal, row (within its goal) and paragraph are",
        "1-based and are the numbers of its Chinese place (`目标1 第3行`, `报告正文第12段`); in",
        "`evalkit review --json` they are `loc.goal`, `loc.row`, `loc.paragraph`, with `loc.field` and",
        "`loc.source` (file, sheet, row, cell, line of the source file).",
        "",
    ]
    for family in FAMILIES:
        # The catalogue's own checks first, then the codes the importer emits.
        entries = sorted(
            (c for c in catalogue() if c.family == family),
            key=lambda c: (c.kind == KIND_IMPORTER, c.code),
        )
        if not entries:
            continue
        lines += [
            f"## {family} — {FAMILY_LABELS[family]}",
            "",
            "| code | severity | lifecycle | title | what it checks |",
            "|---|---|---|---|---|",
        ]
        for c in entries:
            cells = (
                c.code,
                f"{c.severity}（{SEVERITY_LABELS[c.severity]}）",
                c.lifecycle,
                c.title,
                c.description,
            )
            lines.append("| " + " | ".join(_md_cell(x) for x in cells) + " |")
        lines.append("")
        for c in entries:
            lines += [f"### {c.code} — {c.title}", ""]
            if c.why:
                lines += [f"**Why it matters.** {c.why}", ""]
            if c.example:
                lines += [f"**Example.** {c.example}", ""]
            settings = [
                f"`{s}` (default {d})" if (d := _setting_default(s)) else f"`{s}`" for s in c.settings
            ]
            lines += [f"**Profile settings.** {', '.join(settings) if settings else 'none'}.", ""]
    return "\n".join(lines).rstrip("\n")


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

"""Value checks (RULES §5.6): unreadable, approximate, missing and malformed target/actual cells."""

from __future__ import annotations

from collections.abc import Iterator

from evalkit import notation as nt
from evalkit.checks import Check, Context, Finding, check, place_row, where_row

_FIELDS = (("target", "目标值"), ("actual", "实际完成值"))


def _cells(ctx: Context) -> Iterator[tuple[object, str, nt.Value]]:
    for s in ctx.card.indicators:
        for attr, label in _FIELDS:
            value = getattr(s, attr)
            if value is not None:
                yield s, label, value


def _problem_findings(chk: Check, ctx: Context, code: str) -> Iterator[Finding]:
    for s, label, value in _cells(ctx):
        for problem in value.problems:
            if problem.code == code:
                ind = s.indicator
                yield chk.finding(
                    f"{label}“{value.text}”：{problem.message}", where_row(ind), ind.loc, place_row(ind)
                )


@check("V101", "value", "error", "取值无法识别")
def unreadable(chk: Check, ctx: Context) -> Iterator[Finding]:
    yield from _problem_findings(chk, ctx, "unreadable")


@check("V102", "value", "warning", "取值缺失")
def missing(chk: Check, ctx: Context) -> Iterator[Finding]:
    yield from _problem_findings(chk, ctx, "missing")


@check("V103", "value", "info", "实际完成值为约数")
def approximate(chk: Check, ctx: Context) -> Iterator[Finding]:
    yield from _problem_findings(chk, ctx, "approximate")


@check("V104", "value", "info", "取值写法不规范")
def malformed(chk: Check, ctx: Context) -> Iterator[Finding]:
    yield from _problem_findings(chk, ctx, "malformed")
    yield from _problem_findings(chk, ctx, "no_unit")


@check("V105", "value", "warning", "百分比超过100%")
def percent_over_100(chk: Check, ctx: Context) -> Iterator[Finding]:
    yield from _problem_findings(chk, ctx, "percent_over_100")

"""Formula checks (RULES §5.2): a stated formula for the execution rate, read as words and numbers.

"预算执行率=预算数/执行数=188.44/202.98=92.84%" has its words inverted (the rate is 执行数 over
预算数) while its numbers are right; "=202.98/188.44=92.84%" would have its numbers wrong. Formulas
are looked for in the report text, the table's closing texts (备注) and what the importer recorded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from evalkit.checks import PLACE_BUDGET, Check, Context, Finding, check, fmt, place_paragraph, where_paragraph
from evalkit.checks.arithmetic import rounding_allowance
from evalkit.model import Loc
from evalkit.values.quantity import NUMBER_PATTERN, halfwidth, read_number

_TERM = r"[^=/÷,;。:()×*\s]+"
_FORMULA_RE = re.compile(
    rf"(?:预算|资金|支出)?执行率\s*=\s*(?P<num>{_TERM})\s*[/÷]\s*(?P<den>{_TERM})"
    r"(?P<rest>(?:\s*[×*]\s*100\s*%?)?(?:\s*=[^,;。]*)?)"
)
_NUMERIC_RE = re.compile(
    rf"=\s*(?P<a>{NUMBER_PATTERN})\s*[/÷]\s*(?P<b>{NUMBER_PATTERN})\s*(?:[×*]\s*100\s*%?)?\s*=\s*(?P<c>{NUMBER_PATTERN})\s*%"
)
_CLOSING_LABELS = {
    "notes": "备注",
    "deviation_analysis": "偏差原因分析",
    "improvement": "改进措施",
    "overall_goal": "年度总体目标",
    "overall_result": "年度总体目标完成情况",
}
_EXECUTED_WORDS = ("执行", "支出", "决算", "实际", "使用", "支付")
_BUDGET_WORDS = ("预算", "计划", "批复", "安排", "下达")


@dataclass(frozen=True)
class _Formula:
    text: str  # the formula as written
    words: str  # its words part ("预算执行率=预算数/执行数")
    numerator: str
    denominator: str
    rest: str
    where: str
    place: tuple[int, ...]
    loc: Loc | None


def _term_kind(term: str) -> str | None:
    # 预算执行数 is an executed amount: the executed words decide first.
    if any(w in term for w in _EXECUTED_WORDS):
        return "executed"
    if any(w in term for w in _BUDGET_WORDS):
        return "budget"
    return None


def _scan(text: str, where: str, place: tuple[int, ...], loc: Loc | None) -> Iterator[_Formula]:
    if "执行率" not in text:  # every formula names the rate: most paragraphs need no pass
        return
    ascii_text = halfwidth(text)
    for m in _FORMULA_RE.finditer(ascii_text):
        yield _Formula(
            text=text[m.start() : m.end()].strip(),
            words=text[m.start() : m.end("den")].strip(),
            numerator=m.group("num"),
            denominator=m.group("den"),
            rest=m.group("rest"),
            where=where,
            place=place,
            loc=loc,
        )


def formulas(ctx: Context) -> list[_Formula]:
    """Every stated execution-rate formula, once per place."""
    filing = ctx.filing
    out: list[_Formula] = []
    for p in filing.narrative:
        for f in _scan(p.text, "", place_paragraph(p.index), p.loc):
            out.append(replace(f, where=where_paragraph(p.index, f.words)))
    for key, text in filing.closing.items():
        out.extend(_scan(text, f"自评表“{_CLOSING_LABELS.get(key, key)}”", PLACE_BUDGET, None))
    stated = filing.budget.formula_text
    if stated and not any(f.words.replace(" ", "") in stated or stated in f.text for f in out):
        out.extend(_scan(stated, "预算执行情况", PLACE_BUDGET, filing.budget.locs.get("formula_text")))
    return out


def _division(text: str) -> tuple[str, str, str] | None:
    """The numbers of a formula's "=a/b=c%" part, as written."""
    m = _NUMERIC_RE.search(halfwidth(text))
    return (m.group("a"), m.group("b"), m.group("c")) if m else None


def _number(text: str) -> float:
    value = read_number(text)
    return 0.0 if value is None else value


def _computes(a: float, b: float, c: float, tolerance: float) -> bool:
    return b != 0 and abs(a / b * 100 - c) <= rounding_allowance(c, tolerance)


@check("F101", "formula", "warning", "执行率公式分子分母写反")
def inverted(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A stated formula puts the budget over the executed amount ("预算执行率=预算数/执行数"): the
    rate is 执行数 / 预算数. The figure next to it may still be right.

    Why: An inverted formula shows the rate was not understood, and a rate computed by it exceeds 100 %
    whenever money is left unspent.

    Example: `预算执行率=预算数/执行数` in the report (the seed's note).
    """
    tol = ctx.profile.checks.rate_tolerance
    for f in formulas(ctx):
        if _term_kind(f.numerator) != "budget" or _term_kind(f.denominator) != "executed":
            continue
        numbers = _division(f.text)
        note = ""
        if numbers and _computes(*map(_number, numbers), tol):
            note = f"（所列数字{numbers[0]}/{numbers[1]}={numbers[2]}%计算无误）"
        yield chk.finding(
            f"公式“{f.words}”分子分母写反，应为“{f.denominator}/{f.numerator}”{note}",
            f.where,
            f.loc,
            f.place,
        )


@check("F102", "formula", "error", "执行率公式中的数字计算不成立")
def numbers_wrong(chk: Check, ctx: Context) -> Iterator[Finding]:
    """A stated formula with numbers ("=188.44/202.98=92.84%") whose division does not give the
    stated rate (beyond its rounding and the rate tolerance).

    Why: The figures in the formula are the unit's own; when they do not give the stated rate, the rate
    or one of the amounts is wrong.

    Example: `执行率=188.44/202.98=95%` (the division gives 92.84%).
    """
    tol = ctx.profile.checks.rate_tolerance
    for f in formulas(ctx):
        numbers = _division(f.text)
        if numbers is None:
            continue
        a, b, c = map(_number, numbers)
        if b == 0 or _computes(a, b, c, tol):
            continue
        why = "，分子分母颠倒" if _computes(b, a, c, tol) else ""
        yield chk.finding(
            f"公式中{numbers[0]}/{numbers[1]} = {fmt(a / b * 100)}%，与所写{numbers[2]}%不符{why}",
            f.where,
            f.loc,
            f.place,
        )

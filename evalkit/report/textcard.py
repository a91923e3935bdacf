"""The score card as plain text for the terminal, with Chinese labels and CJK-aware columns."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wcwidth import wcswidth

from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS
from evalkit.scoring.rules import RULE_LABELS

if TYPE_CHECKING:
    from evalkit.pipeline import Review

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    # A filing's cell may hold tabs or line breaks: one line per row, whatever it says.
    return _CONTROL.sub(" ", str(text))


def width(text: str) -> int:
    """Terminal columns ``text`` takes: 2 for CJK and full-width characters, 0 for combining marks."""
    return max(wcswidth(_clean(text)), 0)


def _cut(text: str, limit: int) -> str:
    if width(text) <= limit:
        return text
    out, used = "", 0
    for ch in text:
        w = width(ch)
        if used + w > limit - 1:
            break
        out += ch
        used += w
    return out + "…"


def _pad(text: str, size: int, right: bool = False) -> str:
    text = _cut(_clean(text), size)
    space = " " * max(size - width(text), 0)
    return space + text if right else text + space


def table(
    headers: list[str],
    rows: list[list[str]],
    widths: list[int] | None = None,
    right: set[int] | frozenset[int] = frozenset(),
) -> str:
    """A table in terminal columns (display width, so CJK text lines up with ASCII).

    Without ``widths`` each column is as wide as its widest cell; with them, longer cells are cut
    with an ellipsis.
    """
    if widths is None:
        widths = [max(width(c) for c in column) for column in zip(headers, *rows, strict=False)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            _pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def render(rv: Review) -> str:
    """The whole score card: header, budget, indicators, total and grade, findings."""
    u, b, card = rv.filing.unit, rv.card.budget, rv.card
    basis = {"planned": "年初预算数", "adjusted": "全年（调整后）预算数"}
    out = [
        f"{u.name or '（未写单位名称）'}  {u.year or ''}年度 {u.kind}绩效自评复核",
        f"评分方案：{rv.profile.name}（{rv.profile.title}）  来源：{rv.filing.source}",
        "",
        "【预算执行】",
        f"  预算数 {_num(b.denominator)} 万元（口径：{basis.get(b.basis, b.basis)}）  执行数 {_num(b.executed)} 万元"
        f"  执行率 {_pct(b.rate)}  得分 {_num(b.score)} / {_num(b.max)}",
    ]
    if b.other_rate is not None:
        out.append(f"  另一口径（{basis.get(b.other_basis or '', '')}）执行率 {_pct(b.other_rate)}")
    if b.problem:
        out.append(f"  ！{b.problem}")
    out += ["", "【绩效指标】"]
    rows = []
    for s in card.indicators:
        ind = s.indicator
        self_score = "" if ind.self_score is None else _num(ind.self_score)
        dev = "" if s.deviation is None else f"{s.deviation:+.0%}"
        mark = ("*" if s.reviewer else "") + ("↑" if s.over_target else "")
        rows.append(
            [
                f"{ind.goal}-{ind.row}",
                ind.level1.replace("指标", ""),
                ind.level2.replace("指标", ""),
                ind.name,
                ind.target_text,
                ind.actual_text,
                _num(s.weight),
                self_score,
                _num(s.score - s.deduction) + mark,
                RULE_LABELS.get(s.rule, s.rule),
                dev,
            ]
        )
    out.append(
        table(
            [
                "行",
                "一级",
                "二级",
                "三级指标",
                "目标值",
                "完成值",
                "分值",
                "自评分",
                "复核分",
                "规则",
                "偏离度",
            ],
            rows,
            [5, 6, 14, 28, 12, 12, 6, 6, 8, 8, 7],
            right={6, 7, 8, 10},
        )
    )
    out.append("  （* 含复核人决定  ↑ 完成值远高于目标值）")
    declared = " ".join(
        x
        for x in (_num(u.declared_total) if u.declared_total is not None else "", u.declared_grade or "")
        if x
    )
    out += [
        "",
        f"【总分】复核得分 {card.total:.2f} / {card.max_total:g}  等级 {card.grade}"
        + (f"  （含复核扣分 {card.deductions:.2f}）" if card.deductions else ""),
        f"        自评 {declared or '未声明'}",
        "",
        f"【复核发现】错误 {rv.count('error')}  警告 {rv.count('warning')}  提示 {rv.count('info')}",
    ]
    for f in rv.findings:
        family = FAMILY_LABELS.get(f.family, f.family)
        out.append(f"  [{SEVERITY_LABELS[f.severity]}] {f.code} {family}｜{f.where}：{f.message}")
    if not rv.findings:
        out.append("  无")
    # Text from a filing must not steer the terminal: control characters (ESC of an ANSI
    # sequence, a carriage return) become spaces, line by line.
    return "\n".join(_clean(line) for line in "\n".join(out).split("\n"))

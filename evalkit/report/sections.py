"""A unit's review as HTML sections: what ``notebooks/review.ipynb`` shows and the batch renders.

Each ``*_html`` function builds the data of one section and renders it with its Jinja2 template
(``templates/sections/*.html.j2``, autoescaped: text from a filing can never become markup); the
widget workbench reuses them. Reviewer values are marked (class ``rv`` and a “复核” tag); numbers the
tests compare carry ``data-*`` attributes. Classes are styled by ``templates/evalkit_report/report.css``.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS
from evalkit.fileio import atomic_write_text
from evalkit.model import LEVEL1_BENEFIT, LEVEL1_OUTPUT, LEVEL1_SATISFACTION
from evalkit.report.render import TEMPLATE_DIR, TEMPLATE_NAME
from evalkit.scoring.decisions import OPINION_LABELS, SET_ASIDE, TIER_LABELS, relabel, row_label
from evalkit.scoring.rules import RULE_LABELS

if TYPE_CHECKING:
    from evalkit.pipeline import Review

SECTIONS_DIR = TEMPLATE_DIR / "sections"
HEADINGS = {
    "title": "预算绩效自评复核报告",
    "overview": "评分总览",
    "budget": "预算执行情况",
    "indicators": "绩效指标",
    "findings": "复核发现",
    "decisions": "复核意见",
}
BASIS_LABELS = {"planned": "年初预算数", "adjusted": "全年（调整后）预算数"}


def css() -> str:
    """The report stylesheet (also injected by the widget workbench)."""
    return (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.2f}%"


def _data(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report sections and the index: autoescape always on.

    ``StrictUndefined``: a template naming data the Python side did not build fails loudly instead of
    printing nothing. Filters ``num``, ``pct`` and ``data`` format numbers the way the tests read them.
    """
    env = Environment(
        loader=FileSystemLoader(str(SECTIONS_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(num=_num, pct=_pct, data=_data)
    return env


def render_section(template: str, /, **data: Any) -> Markup:
    """Render one section template with ``data`` (escaped) into HTML markup.

    ``headings`` defaults to the unit report's :data:`HEADINGS`.
    """
    data.setdefault("headings", HEADINGS)
    return Markup(environment().get_template(template).render(**data).strip())


def png_img(png: bytes, alt: str) -> Markup:
    """An ``<img>`` with the PNG inline (base64): the report needs no other file or host."""
    return render_section("figure.html.j2", src=_data_uri(png), alt=alt)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def header_html(rv: Review) -> Markup:
    """Title, unit facts and the score cards (总分, 自评, 分差, 执行率, 发现)."""
    u, card, b = rv.filing.unit, rv.card, rv.card.budget
    meta = [
        f"{u.year}年度" if u.year else "",
        u.kind,
        f"主管部门：{u.department}" if u.department else "",
        f"实施单位：{u.implementer}" if u.implementer else "",
        f"填报日期：{u.filing_date}" if u.filing_date else "",
        f"评分方案：{rv.profile.title or rv.profile.name}",
    ]
    declared = " ".join(
        x
        for x in (_num(u.declared_total) if u.declared_total is not None else "", u.declared_grade or "")
        if x
    )
    diff = None if u.declared_total is None else u.declared_total - card.total
    return render_section(
        "header.html.j2",
        name=u.name or "（未写单位名称）",
        meta=[m for m in meta if m],
        max_total=f"{card.max_total:g}",
        total=card.total,
        grade=card.grade,
        declared=declared,
        declared_total=u.declared_total,
        diff=diff,
        diff_bad=diff is not None and diff > rv.profile.tolerance,
        rate=b.rate,
        deductions=card.deductions,
        errors=rv.count("error"),
        warnings=rv.count("warning"),
        infos=rv.count("info"),
        levels=_level_rows(rv),
        reviewed=sum(1 for s in card.indicators if s.reviewer),
    )


def _level_rows(rv: Review) -> list[dict[str, Any]]:
    card = rv.card
    b = card.budget
    has_self = rv.filing.has_weights
    rows = [
        {
            "name": "预算执行",
            "weight": b.max,
            "self_score": rv.filing.budget.stated_score,
            "score": b.score,
            "reviewed": False,
        }
    ]
    order = [LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION]
    levels = order + sorted({s.indicator.level1 for s in card.indicators} - set(order))
    for level in levels:
        scores = [s for s in card.indicators if s.indicator.level1 == level]
        if not scores:
            continue
        selfs = [s.indicator.self_score for s in scores if s.indicator.self_score is not None]
        rows.append(
            {
                "name": level,
                "weight": sum(s.weight for s in scores),
                "self_score": sum(selfs) if has_self and selfs else None,
                "score": sum(s.score - s.deduction for s in scores),
                "reviewed": any(s.reviewer for s in scores),
            }
        )
    return rows


def budget_html(rv: Review, chart: bool = True) -> Markup:
    """The budget block as filed, the rate on the basis scored (and the other basis), the chart."""
    fb, b = rv.filing.budget, rv.card.budget
    amounts = [
        ("年初预算数", fb.planned),
        ("调整数", fb.adjustment),
        ("全年（调整后）预算数", fb.adjusted),
        ("执行数", fb.executed),
        ("其中：基本支出", fb.basic),
        ("其中：项目支出", fb.project),
    ]
    rates = [
        ("计算口径", BASIS_LABELS.get(b.basis, b.basis)),
        ("复核执行率", _pct(b.rate)),
        ("填报执行率", "—" if fb.stated_rate is None else f"{fb.stated_rate:.2f}%"),
        ("得分 / 分值", f"{b.score:.2f} / {b.max:g}"),
    ]
    if fb.stated_score is not None:
        rates.append(("填报得分", _num(fb.stated_score)))
    if b.other_rate is not None:
        rates.append((f"另一口径（{BASIS_LABELS.get(b.other_basis or '', '')}）", _pct(b.other_rate)))
    if fb.formula_text:
        rates.append(("表中公式", fb.formula_text))
    figure = ""
    if chart and b.rate is not None:
        from evalkit.report import charts

        figure = _data_uri(charts.budget_png(rv))
    return render_section(
        "budget.html.j2",
        problem=b.problem,
        amounts=[(k, v) for k, v in amounts if v is not None],
        rates=rates,
        funds=fb.funds,
        chart=figure,
    )


def indicators_html(rv: Review, chart: bool = True) -> Markup:
    """The indicator table by goal: as filed, the rule, the recomputed and reviewer's scores, notes."""
    goals = {g.index: g.title for g in rv.filing.goals}
    rows, current = [], None
    for s in rv.card.indicators:
        ind = s.indicator
        goal_title = None  # None: no goal row before this one
        if ind.goal != current:
            current = ind.goal
            goal_title = goals.get(ind.goal, "") or ""
        decision = rv.decisions.get(ind.key)
        notes: list[tuple[str, str]] = []  # (class, text)
        if s.over_target:
            notes.append(("warning", f"完成值远高于目标值（偏离度{_pct(s.deviation, signed=True)}）"))
        if ind.reason:
            notes.append(("", f"偏差原因：{ind.reason}"))
        if s.deduction:
            notes.append(("rv", f"复核扣分{s.deduction:.2f}：{s.deduction_reason}"))
        if decision and decision.tier:
            notes.append(("rv", f"复核等次：{TIER_LABELS.get(decision.tier, decision.tier)}"))
        if decision and decision.comment:
            notes.append(("rv", f"复核备注：{decision.comment}"))
        if s.note:
            notes.append(("", s.note))
        rows.append(
            {
                "goal": ind.goal,
                "goal_title": goal_title,
                "row": ind.row,
                "key": ind.key,
                "over": s.over_target,
                "level1": ind.level1,
                "level2": ind.level2,
                "name": ind.name,
                "target": ind.target_text,
                "actual": ind.actual_text,
                "weight": s.weight,
                "self_score": ind.self_score,
                "self_differs": ind.self_score is not None
                and abs(ind.self_score - (s.score - s.deduction)) > rv.profile.tolerance,
                "score": s.score,
                "deduction": s.deduction,
                "reviewer": bool(s.reviewer),
                "rule": RULE_LABELS.get(s.rule, s.rule),
                "deviation": _pct(s.deviation, signed=True) if s.deviation is not None else "",
                "notes": notes,
            }
        )
    weights_note = (
        "分值取自表中“分值”列。"
        if rv.filing.has_weights
        else "表中无分值列，按评分方案将一级指标权重平均分配。"
    )
    figure = ""
    if chart and rv.card.indicators:
        from evalkit.report import charts

        figure = _data_uri(charts.indicator_scores_png(rv))
    return render_section(
        "indicators.html.j2",
        rows=rows,
        weights_note=weights_note,
        threshold=f"{rv.profile.over_target.threshold:.0%}",
        chart=figure,
    )


def findings_html(rv: Review) -> Markup:
    """The findings, errors first: severity, code, family, place, message."""
    rows = []
    tally: dict[str, int] = {}
    for f in rv.findings:
        d = rv.disposition(f)
        tally[d.label] = tally.get(d.label, 0) + 1
        rows.append(
            {
                "code": f.code,
                "key": f.key,  # the reference a disposition of this finding uses
                "severity": f.severity,
                "severity_label": SEVERITY_LABELS.get(f.severity, f.severity),
                "family": FAMILY_LABELS.get(f.family, f.family),
                "where": f.where,
                "message": f.message,
                "disposition": d.status,
                "disposition_label": d.label,
                "disposition_reason": d.reason,
                "set_aside": d.status == SET_ASIDE,  # struck out, with the reason beside it
            }
        )
    counts = "，".join(f"{SEVERITY_LABELS[s]}{rv.count(s)}项" for s in ("error", "warning", "info"))
    handled = "，".join(f"{label}{n}项" for label, n in sorted(tally.items()))
    return render_section("findings.html.j2", rows=rows, counts=counts, handled=handled)


def decisions_html(rv: Review, history: int = 10) -> Markup:
    """The reviewer's opinion, decisions by indicator, and the latest saves of the history."""
    d = rv.decisions
    names = {s.indicator.key: s for s in rv.card.indicators}
    labels = {k: row_label(s.indicator.goal, s.indicator.row, s.indicator.name) for k, s in names.items()}
    items = []
    for key, item in d.items.items():
        s = names.get(key)
        name = labels[key] if s else f"{key}（表中无此指标）"
        what = []
        if item.tier:
            what.append(f"等次：{TIER_LABELS.get(item.tier, item.tier)}")
        if item.score is not None:
            what.append(f"得分：{item.score:.2f}")
        if item.deduction:
            what.append(f"扣分：{item.deduction:.2f}")
        if item.target is not None:
            what.append(f"目标值改为：{item.target}")
        if item.actual is not None:
            what.append(f"完成值改为：{item.actual}")
        items.append({"name": name, "what": what, "why": [x for x in (item.reason, item.comment) if x]})
    recent = [
        # Older entries named rows by their internal key (g1r6): name them as a person does.
        {
            "when": _when(h.get("when", "")),
            "who": h.get("who", ""),
            "what": relabel(str(h.get("what", "")), labels),
        }
        for h in d.history[-history:][::-1]
    ]
    status = rv.status
    meta = [f"复核状态：{status}"]
    if d.reviewer:
        meta.append(f"复核人：{d.reviewer}")
    if d.first_reviewer and d.first_reviewer != d.reviewer:
        meta.append(f"首位复核人：{d.first_reviewer}")
    if d.profile:
        meta.append(f"复核时选用的评分方案：{d.profile}")
    texts = [("复核结论", d.conclusion)] if d.conclusion else []
    texts += [(label, d.opinions[key]) for key, label in OPINION_LABELS.items() if d.opinions.get(key)]
    return render_section(
        "decisions.html.j2",
        empty=d.is_empty(),
        status=status,
        meta=meta,
        texts=texts,
        reviewer=d.reviewer,
        opinion=d.opinion,
        items=items,
        history=recent,
    )


def _when(text: Any) -> str:
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text)


def footer_html(rv: Review) -> Markup:
    """Where the numbers come from: evalkit version, profile, source file, generation date."""
    from evalkit import __version__

    return render_section(
        "footer.html.j2",
        version=__version__,
        date=f"{datetime.now():%Y-%m-%d}",
        profile=rv.profile.name,
        source=Path(rv.filing.source).name if rv.filing.source else "",
    )


def load(
    unit: str | os.PathLike[str],
    profile: str | None = None,
    decisions: str | os.PathLike[str] | None = None,
) -> Review:
    """Review a unit's filing with its decisions (default: ``<unit-id>.review.yaml`` beside it)."""
    from evalkit.pipeline import review
    from evalkit.scoring.decisions import decisions_path

    if not decisions:
        candidate = decisions_path(unit)
        decisions = candidate if candidate.exists() else None
    return review(unit, profile=profile or None, decisions=decisions)


def result_document(rv: Review, **run: Any) -> dict[str, Any]:
    """The machine-readable result of a unit: ``review --json`` plus a ``run`` block for the summary."""
    doc = rv.to_json()
    doc["run"] = {
        "department": rv.filing.unit.department,
        "implementer": rv.filing.unit.implementer,
        "reviewer": rv.decisions.reviewer,
        "opinion": rv.decisions.opinion,
        **run,
    }
    return doc


class Report:
    """The static report of one review, section by section, for a notebook's cells.

    With ``show=False`` (the notebook opened interactively) every section returns None, so the
    same cells display nothing while the widget workbench is in use.
    """

    def __init__(self, rv: Review, show: bool = True) -> None:
        self.rv = rv
        self.show = show

    def _html(self, text: str) -> Any:
        if not self.show:
            return None
        from IPython.display import HTML

        return HTML(text)

    def header(self) -> Any:
        """Title and 评分总览."""
        return self._html(header_html(self.rv))

    def budget(self) -> Any:
        """预算执行情况 with its chart."""
        return self._html(budget_html(self.rv)) if self.show else None

    def indicators(self) -> Any:
        """绩效指标 with the score chart."""
        return self._html(indicators_html(self.rv)) if self.show else None

    def findings(self) -> Any:
        """复核发现."""
        return self._html(findings_html(self.rv))

    def decisions(self) -> Any:
        """复核意见 and the save history."""
        return self._html(decisions_html(self.rv) + footer_html(self.rv))

    def save_result(
        self,
        path: str | os.PathLike[str] | None,
        word_report: str | os.PathLike[str] | None = None,
        history: str | os.PathLike[str] | None = None,
        **run: Any,
    ) -> Path | None:
        """Write the unit's result JSON (atomically) where the batch asked; nothing when path is empty.

        ``word_report``: also write the unit's Word 复核报告 there (from this review: the batch
        reviews a unit once), with last year's review found in ``history`` (the outputs folder of
        earlier years) or in last year's filing; the result's ``run`` then holds ``last_year``.
        """
        if not path:
            return None
        if word_report:
            from evalkit.report import conclusion, word

            last = conclusion.last_year(self.rv, history or None)
            word.write_report_from(self.rv, word_report, last)
            run = {"last_year": last.to_json() if last is not None else None, **run}
        doc = result_document(self.rv, **run)
        return atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=1))

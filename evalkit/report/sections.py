"""A unit's review as HTML sections: what ``notebooks/review.ipynb`` shows and the batch renders.

Each ``*_html`` function returns one self-contained section (Chinese headings, classes styled by
``templates/evalkit_report/report.css``); the widget workbench reuses them. Reviewer values are
marked (class ``rv`` and a “复核” tag); numbers the tests compare carry ``data-*`` attributes.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.checks import FAMILY_LABELS, SEVERITY_LABELS
from evalkit.fileio import atomic_write_text
from evalkit.model import LEVEL1_BENEFIT, LEVEL1_OUTPUT, LEVEL1_SATISFACTION
from evalkit.scoring.decisions import TIER_LABELS
from evalkit.scoring.rules import RULE_LABELS

if TYPE_CHECKING:
    from evalkit.pipeline import Review

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "evalkit_report"
HEADINGS = {
    "title": "预算绩效自评复核报告",
    "overview": "评分总览",
    "budget": "预算执行情况",
    "indicators": "绩效指标",
    "findings": "复核发现",
    "decisions": "复核意见",
}
BASIS_LABELS = {"planned": "年初预算数", "adjusted": "全年（调整后）预算数"}
RV_TAG = '<span class="tag rv">复核</span>'


def css() -> str:
    """The report stylesheet (also injected by the widget workbench)."""
    return (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value * 100:+.0f}%" if signed else f"{value * 100:.2f}%"


def _data(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def png_img(png: bytes, alt: str) -> str:
    """An ``<img>`` with the PNG inline (base64): the report needs no other file or host."""
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}"></figure>'


def header_html(rv: Review) -> str:
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
    diff = ""
    if u.declared_total is not None:
        d = u.declared_total - card.total
        cls = "bad" if d > rv.profile.tolerance else ""
        diff = f'<div class="card"><small>自评−复核</small><b class="{cls}">{d:+.2f}</b></div>'
    counts = {s: rv.count(s) for s in ("error", "warning", "info")}
    deductions = (
        f'<div class="card"><small>复核扣分</small><b class="rv">−{card.deductions:.2f}</b></div>'
        if card.deductions
        else ""
    )
    reviewed = sum(1 for s in card.indicators if s.reviewer)
    return (
        f'<div class="ek"><p class="kicker">{HEADINGS["title"]}</p><h1>{_e(u.name or "（未写单位名称）")}</h1>'
        f'<p class="meta">{"".join(f"<span>{_e(m)}</span>" for m in meta if m)}</p>'
        f'<h2>{HEADINGS["overview"]}</h2><div class="cards">'
        f'<div class="card hi"><small>复核得分 / {card.max_total:g}</small>'
        f'<b data-total="{card.total:.2f}" data-grade="{_e(card.grade)}">{card.total:.2f}　{_e(card.grade)}</b></div>'
        f'<div class="card"><small>自评</small><b>{_e(declared or "未填")}</b></div>{diff}'
        f'<div class="card"><small>预算执行率</small><b data-rate="{"" if b.rate is None else f"{b.rate:.4f}"}">'
        f"{_pct(b.rate)}</b></div>{deductions}"
        f'<div class="card"><small>复核发现</small><b><span class="error">{counts["error"]}</span> / '
        f'<span class="warning">{counts["warning"]}</span> / <span class="info">{counts["info"]}</span></b>'
        f"<small>错误 / 警告 / 提示</small></div></div>"
        f"{_level_table(rv)}"
        + (f'<p class="note">{reviewed}项指标含复核人决定（标“复核”）。</p>' if reviewed else "")
        + "</div>"
    )


def _level_table(rv: Review) -> str:
    card = rv.card
    b = card.budget
    has_self = rv.filing.has_weights
    rows = [("预算执行", b.max, rv.filing.budget.stated_score, b.score, False)]
    order = [LEVEL1_OUTPUT, LEVEL1_BENEFIT, LEVEL1_SATISFACTION]
    levels = order + sorted({s.indicator.level1 for s in card.indicators} - set(order))
    for level in levels:
        scores = [s for s in card.indicators if s.indicator.level1 == level]
        if not scores:
            continue
        selfs = [s.indicator.self_score for s in scores if s.indicator.self_score is not None]
        rows.append(
            (
                level,
                sum(s.weight for s in scores),
                sum(selfs) if has_self and selfs else None,
                sum(s.score - s.deduction for s in scores),
                any(s.reviewer for s in scores),
            )
        )
    body = "".join(
        f'<tr><td>{_e(name)}</td><td class="n">{_num(w)}</td><td class="n">{_num(self_)}</td>'
        f'<td class="n{" rv" if marked else ""}">{_num(score)}</td></tr>'
        for name, w, self_, score, marked in rows
    )
    declared = rv.filing.unit.declared_total
    body += (
        f'<tr><th>合计</th><th class="n">{card.max_total:g}</th><th class="n">{_num(declared)}</th>'
        f'<th class="n">{card.total:.2f}</th></tr>'
    )
    return (
        '<table class="kv"><thead><tr><th>分项</th><th class="n">分值</th><th class="n">自评</th>'
        f'<th class="n">复核</th></tr></thead><tbody>{body}</tbody></table>'
    )


def budget_html(rv: Review, chart: bool = True) -> str:
    """The budget block as filed, the rate on the basis scored (and the other basis), the chart."""
    fb, b = rv.filing.budget, rv.card.budget
    rows = [
        ("年初预算数", fb.planned),
        ("调整数", fb.adjustment),
        ("全年（调整后）预算数", fb.adjusted),
        ("执行数", fb.executed),
        ("其中：基本支出", fb.basic),
        ("其中：项目支出", fb.project),
    ]
    amounts = "".join(f'<tr><td>{k}</td><td class="n">{_num(v)}</td></tr>' for k, v in rows if v is not None)
    rate_rows = [
        ("计算口径", BASIS_LABELS.get(b.basis, b.basis)),
        ("复核执行率", _pct(b.rate)),
        ("填报执行率", "—" if fb.stated_rate is None else f"{fb.stated_rate:.2f}%"),
        ("得分 / 分值", f"{b.score:.2f} / {b.max:g}"),
    ]
    if fb.stated_score is not None:
        rate_rows.append(("填报得分", _num(fb.stated_score)))
    if b.other_rate is not None:
        rate_rows.append((f"另一口径（{BASIS_LABELS.get(b.other_basis or '', '')}）", _pct(b.other_rate)))
    if fb.formula_text:
        rate_rows.append(("表中公式", fb.formula_text))
    rates = "".join(f'<tr><td>{_e(k)}</td><td class="n">{_e(v)}</td></tr>' for k, v in rate_rows)
    funds = ""
    if fb.funds:
        funds = (
            "<h3>资金来源</h3><table><thead><tr><th>资金</th><th class='n'>年初预算</th>"
            "<th class='n'>全年预算</th><th class='n'>执行数</th></tr></thead><tbody>"
            + "".join(
                f'<tr><td>{_e(f.name)}</td><td class="n">{_num(f.planned)}</td><td class="n">{_num(f.adjusted)}</td>'
                f'<td class="n">{_num(f.executed)}</td></tr>'
                for f in fb.funds
            )
            + "</tbody></table>"
        )
    problem = f'<p class="bad">{_e(b.problem)}</p>' if b.problem else ""
    figure = ""
    if chart and b.rate is not None:
        from evalkit.report import charts

        figure = png_img(charts.to_png(charts.budget(rv)), "预算执行情况图")
    return (
        f'<div class="ek"><h2>{HEADINGS["budget"]}</h2>{problem}'
        '<div class="cards" style="align-items:flex-start">'
        f'<table class="kv" style="min-width:300px"><thead><tr><th>项目</th><th class="n">金额（万元）</th></tr></thead>'
        f"<tbody>{amounts}</tbody></table>"
        f'<table class="kv" style="min-width:300px"><thead><tr><th>执行率</th><th class="n"></th></tr></thead>'
        f"<tbody>{rates}</tbody></table></div>{funds}{figure}</div>"
    )


def indicators_html(rv: Review, chart: bool = True) -> str:
    """The indicator table by goal: as filed, the rule, the recomputed and reviewer's scores, notes."""
    goals = {g.index: g.title for g in rv.filing.goals}
    head = (
        "<tr><th>行</th><th>一级 / 二级指标</th><th>三级指标</th><th>目标值</th><th>完成值</th>"
        '<th class="n">分值</th><th class="n">自评分</th><th class="n">复核得分</th><th>计分规则</th>'
        '<th class="n">偏离度</th><th>说明</th></tr>'
    )
    body, current = [], None
    for s in rv.card.indicators:
        ind = s.indicator
        if ind.goal != current:
            current = ind.goal
            title = goals.get(ind.goal, "")
            body.append(
                f'<tr class="goal"><td colspan="11">目标{ind.goal}{"：" + _e(title) if title else ""}</td></tr>'
            )
        decision = rv.decisions.get(ind.key)
        notes = []
        if s.over_target:
            notes.append(
                f'<span class="warning">完成值远高于目标值（偏离度{_pct(s.deviation, signed=True)}）</span>'
            )
        if ind.reason:
            notes.append(f"偏差原因：{_e(ind.reason)}")
        if s.deduction:
            notes.append(f'<span class="rv">复核扣分{s.deduction:.2f}：{_e(s.deduction_reason)}</span>')
        if decision and decision.tier:
            notes.append(f'<span class="rv">复核等次：{TIER_LABELS.get(decision.tier, decision.tier)}</span>')
        if decision and decision.comment:
            notes.append(f'<span class="rv">复核备注：{_e(decision.comment)}</span>')
        if s.note:
            notes.append(_e(s.note))
        score = f"{s.score:.2f}" + (RV_TAG if s.reviewer else "")
        if s.deduction:
            score += f'<br><span class="rv">−{s.deduction:.2f}</span>'
        self_cls = ""
        if (
            ind.self_score is not None
            and abs(ind.self_score - (s.score - s.deduction)) > rv.profile.tolerance
        ):
            self_cls = " bad"
        over = ' class="over"' if s.over_target else ""
        body.append(
            f'<tr{over} data-key="{ind.key}" '
            f'data-score="{_data(s.score)}" data-deduction="{_data(s.deduction)}" data-weight="{s.weight:.4f}">'
            f'<td class="k">{ind.goal}-{ind.row}</td><td>{_e(ind.level1)}<br><small>{_e(ind.level2)}</small></td>'
            f"<td>{_e(ind.name)}</td><td>{_e(ind.target_text)}</td><td>{_e(ind.actual_text)}</td>"
            f'<td class="n">{s.weight:.2f}</td><td class="n{self_cls}">{_num(ind.self_score)}</td>'
            f'<td class="n{" rv" if s.reviewer else ""}">{score}</td><td>{RULE_LABELS.get(s.rule, s.rule)}</td>'
            f'<td class="n">{_pct(s.deviation, signed=True) if s.deviation is not None else ""}</td>'
            f"<td>{'<br>'.join(notes)}</td></tr>"
        )
    if not rv.card.indicators:
        body.append('<tr><td colspan="11">表中没有可读取的绩效指标。</td></tr>')
    weights_note = (
        "分值取自表中“分值”列。"
        if rv.filing.has_weights
        else "表中无分值列，按评分方案将一级指标权重平均分配。"
    )
    figure = ""
    if chart and rv.card.indicators:
        from evalkit.report import charts

        figure = png_img(charts.to_png(charts.indicator_scores(rv)), "各项指标得分图")
    return (
        f'<div class="ek"><h2>{HEADINGS["indicators"]}</h2>'
        f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
        f'<p class="note">{weights_note}标“复核”的得分为复核人决定；红色自评分与复核得分不一致；'
        f"底色标出完成值远高于目标值的指标（偏离度超过{rv.profile.over_target.threshold:.0%}）。</p>{figure}</div>"
    )


def findings_html(rv: Review) -> str:
    """The findings, errors first: severity, code, family, place, message."""
    if not rv.findings:
        return f'<div class="ek"><h2>{HEADINGS["findings"]}</h2><p>未发现问题。</p></div>'
    rows = "".join(
        f'<tr data-code="{_e(f.code)}"><td class="{f.severity}">{SEVERITY_LABELS.get(f.severity, f.severity)}</td>'
        f"<td>{_e(f.code)}</td><td>{_e(FAMILY_LABELS.get(f.family, f.family))}</td>"
        f"<td>{_e(f.where)}</td><td>{_e(f.message)}</td></tr>"
        for f in rv.findings
    )
    counts = "，".join(f"{SEVERITY_LABELS[s]}{rv.count(s)}项" for s in ("error", "warning", "info"))
    return (
        f'<div class="ek"><h2>{HEADINGS["findings"]}</h2><p class="note">共{len(rv.findings)}项：{counts}。</p>'
        "<table><thead><tr><th>级别</th><th>代码</th><th>类别</th><th>位置</th><th>内容</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def decisions_html(rv: Review, history: int = 10) -> str:
    """The reviewer's opinion, decisions by indicator, and the latest saves of the history."""
    d = rv.decisions
    names = {s.indicator.key: s for s in rv.card.indicators}
    parts = [f'<div class="ek"><h2>{HEADINGS["decisions"]}</h2>']
    if not d.items and not d.opinion:
        parts.append("<p>本单位尚无复核人决定，得分均按评分规则计算。</p></div>")
        return "".join(parts)
    if d.reviewer:
        parts.append(f'<p class="meta">复核人：{_e(d.reviewer)}</p>')
    if d.opinion:
        parts.append(f"<blockquote>{_e(d.opinion)}</blockquote>")
    rows = []
    for key, item in d.items.items():
        s = names.get(key)
        name = f"{s.indicator.goal}-{s.indicator.row} {s.indicator.name}" if s else f"{key}（表中无此指标）"
        what = []
        if item.tier:
            what.append(f"等次：{TIER_LABELS.get(item.tier, item.tier)}")
        if item.score is not None:
            what.append(f"得分：{item.score:g}")
        if item.deduction:
            what.append(f"扣分：{item.deduction:g}")
        if item.target is not None:
            what.append(f"目标值改为：{_e(item.target)}")
        if item.actual is not None:
            what.append(f"完成值改为：{_e(item.actual)}")
        why = [_e(x) for x in (item.reason, item.comment) if x]
        rows.append(
            f"<tr><td>{_e(name)}</td><td class='rv'>{'；'.join(what) or '—'}</td><td>{'<br>'.join(why)}</td></tr>"
        )
    if rows:
        parts.append(
            "<table><thead><tr><th>指标</th><th>复核决定</th><th>理由 / 备注</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    if d.history:
        recent = d.history[-history:][::-1]
        items = "".join(
            f"<tr><td class='k'>{_e(_when(h.get('when', '')))}</td><td>{_e(h.get('who', ''))}</td>"
            f"<td>{_e(h.get('what', ''))}</td></tr>"
            for h in recent
        )
        parts.append(
            f"<h3>保存记录（最近{len(recent)}次）</h3><table><thead><tr><th>时间</th><th>复核人</th><th>内容</th></tr>"
            f"</thead><tbody>{items}</tbody></table>"
        )
    parts.append("</div>")
    return "".join(parts)


def _when(text: Any) -> str:
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text)


def footer_html(rv: Review) -> str:
    """Where the numbers come from: evalkit version, profile, source file, generation date."""
    from evalkit import __version__

    source = f"；填报来源 {_e(Path(rv.filing.source).name)}" if rv.filing.source else ""
    return (
        f'<div class="ek"><footer>由 evalkit {__version__} 生成于 {datetime.now():%Y-%m-%d}；'
        f"评分方案 {_e(rv.profile.name)}{source}。得分按评分规则重新计算，只在合计时四舍五入到两位小数。"
        "</footer></div>"
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

    def save_result(self, path: str | os.PathLike[str] | None, **run: Any) -> Path | None:
        """Write the unit's result JSON (atomically) where the batch asked; nothing when path is empty."""
        if not path:
            return None
        doc = result_document(self.rv, **run)
        return atomic_write_text(path, json.dumps(doc, ensure_ascii=False, indent=1))

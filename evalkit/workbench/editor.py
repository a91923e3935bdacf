"""The interactive review workbench: an ipywidgets app for one unit at a time in JupyterLab.

Pick a year, a unit from ``parameters/<year>/`` and a profile; see the score card, budget block,
indicator table and findings; record a decision per indicator (qualitative tier and its score
inside the tier's range, a deduction with its required reason, a comment) and a disposition per
finding (采纳 / 不采纳 with its reason). The score card follows every change. “保存复核意见” writes
``parameters/<year>/<unit-id>.review.yaml`` through :func:`evalkit.workbench.store.save_decisions`
(atomic, history, safe against a second open copy), with the profile and the reviewer.

Nothing the reviewer typed is changed behind their back: a score outside the tier's range or an
unreadable number gets a message on its row and blocks the save; switching unit keeps the unsaved
edits of the unit left (they come back when it is chosen again).

Everything is plain Python: tests drive the app by setting widget values and clicking buttons.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w

from evalkit.checks import SEVERITY_LABELS, Finding
from evalkit.errors import EvalkitError
from evalkit.model import Filing
from evalkit.pipeline import Review, review
from evalkit.report import sections as report
from evalkit.scoring.decisions import (
    DISPOSITION_LABELS,
    HANDLED,
    OPINION_LABELS,
    PENDING,
    SET_ASIDE,
    TIER_LABELS,
    Decision,
    Decisions,
    FindingDecision,
    decisions_path,
    load_decisions,
    row_label,
)
from evalkit.scoring.profiles import DEFAULT_PROFILE, Profile, load_profile, profile_dirs
from evalkit.scoring.rules import RULE_LABELS, IndicatorScore
from evalkit.workbench.store import save_decisions

# The drop-downs' "no decision" entries have a value of their own: a None value shows a blank box.
RULE = "rule"
TIER_OPTIONS = [("按规则计分", RULE), *((label, tier) for tier, label in TIER_LABELS.items())]
DISPOSITION_OPTIONS = [("待定", PENDING), ("采纳", "upheld"), ("不采纳", SET_ASIDE)]
_SMALL = {"description_width": "initial"}
_TOLERANCE = 0.005  # half a unit of the 2 decimals shown: "2.67" is inside a range ending at 2.6667


def fmt2(value: float) -> str:
    """A number as the fields show it: 2 decimals."""
    return f"{value:.2f}"


def fmt_time(text: Any) -> str:
    """An ISO timestamp of the history as a reviewer reads it: ``2026-12-01 20:50``."""
    try:
        return datetime.fromisoformat(str(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(text)


def parse_number(text: str) -> float | None:
    """A number typed in a field (full-width digits and spaces allowed); None when unreadable."""
    import unicodedata

    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "")
    if not cleaned:
        return None
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def units_in(folder: str | os.PathLike[str]) -> list[Path]:
    """The unit filings of a ``parameters/<year>/`` folder (``*.yaml`` except decisions files)."""
    p = Path(folder)
    if not p.is_dir():
        return []
    return sorted(f for f in p.glob("*.yaml") if not f.name.endswith(".review.yaml"))


def years_in(parameters: str | os.PathLike[str]) -> list[str]:
    """Year folders of ``parameters/``, latest first."""
    p = Path(parameters)
    if not p.is_dir():
        return []
    return sorted((d.name for d in p.iterdir() if d.is_dir() and d.name.isdigit()), reverse=True)


def profile_names() -> list[str]:
    """Profile names found in the profile folders (the default first)."""
    names = {f.stem for d in profile_dirs() if d.is_dir() for f in d.glob("*.y*ml")}
    return sorted(names, key=lambda n: (n != DEFAULT_PROFILE, n))


def _msg(text: str, error: bool = True) -> str:
    color = "#b42318" if error else "#1a5fb4"
    return f"<span style='color:{color}'>{escape(text)}</span>" if text else ""


def _put(widget: w.Widget, name: str, value: Any) -> None:
    """Set a widget's trait only when it differs (each assignment that changes it is a comm message)."""
    if getattr(widget, name) != value:
        setattr(widget, name, value)


def _chart_rows(rv: Review) -> tuple[Any, ...]:
    """What :func:`evalkit.report.charts.indicator_scores` draws: the rows with their labels, weights,
    final scores and reviewer marks (a cheap signature: the chart is redrawn only when it changes)."""
    return tuple(
        (s.indicator.goal, s.indicator.row, s.indicator.name, s.weight, s.score, s.deduction, s.reviewer)
        for s in rv.card.indicators
    )


def _chart_budget(rv: Review) -> tuple[Any, ...]:
    """What :func:`evalkit.report.charts.budget` draws: the budget figures, rate and score."""
    return dataclasses.astuple(rv.card.budget)


class IndicatorEditor:
    """The decision widgets of one indicator row."""

    def __init__(self, score: IndicatorScore, profile: Profile) -> None:
        ind = score.indicator
        self.key = ind.key
        self.name = row_label(ind.goal, ind.row, ind.name)
        self.weight = score.weight
        self.profile = profile
        self.rule_score = score.rule_score
        self._score = score.rule_score  # the exact score (the field shows it with 2 decimals)
        self._kept: Decision = Decision()  # corrected target/actual from the file, kept as they are
        self._quiet = False
        self.label = w.HTML(layout=w.Layout(width="100%"))
        self.tier = w.Dropdown(options=TIER_OPTIONS, value=RULE, description="等次", style=_SMALL)
        self.tier.layout.width = "170px"
        self.score = w.Text(
            value=fmt2(score.rule_score), description="得分", style=_SMALL, continuous_update=False
        )
        self.score.layout.width = "140px"
        self.score.disabled = True
        self.deduction = w.Text(value=fmt2(0.0), description="扣分", style=_SMALL, continuous_update=False)
        self.deduction.layout.width = "140px"
        self.range = w.HTML()
        self.reason = w.Text(
            placeholder="扣分理由（扣分时必填，写明依据的复核口径）",
            layout=w.Layout(width="48%"),
            continuous_update=False,
        )
        self.comment = w.Text(placeholder="复核备注", layout=w.Layout(width="48%"), continuous_update=False)
        self.message = w.HTML()
        self.row = w.VBox(
            [
                self.label,
                w.HBox(
                    [self.tier, self.score, self.deduction, self.range], layout=w.Layout(align_items="center")
                ),
                w.HBox([self.reason, self.comment], layout=w.Layout(justify_content="space-between")),
                self.message,
            ],
            layout=w.Layout(border_bottom="1px solid #e5e7eb", padding="4px 0"),
        )
        self.row.add_class("ek-indicator")
        self.row.add_class(f"ek-row-{self.key}")
        self.tier.observe(self._tier_changed, "value")
        self.score.observe(self._score_typed, "value")
        self.note = ""  # what the last tier change did to the score (shown until the next change)
        self.show(score)

    @property
    def busy(self) -> bool:
        """True while the editor itself moves its score field (a tier change, a reload, a refresh)."""
        return self._quiet

    def reset(self, score: IndicatorScore, profile: Profile) -> None:
        """Point the row's widgets at another indicator of the same key (another unit or profile).

        Reusing the widgets of a row costs a fraction of building them (about 30 widget models a
        row); :meth:`load` then puts the decision in, as it does for a new row.
        """
        ind = score.indicator
        assert ind.key == self.key
        self.name = row_label(ind.goal, ind.row, ind.name)
        self.weight = score.weight
        self.profile = profile
        self.rule_score = score.rule_score
        self._score = score.rule_score
        self._kept = Decision()
        self.note = ""
        self.show(score)

    # ------------------------------------------------------------------ values
    def bounds(self) -> tuple[float, float] | None:
        """The score range of the chosen tier (None when scored by the rule)."""
        if self.tier.value == RULE:
            return None
        low, high = self.profile.tier_range(self.tier.value)
        return (low * self.weight, high * self.weight)

    def _set_score(self, value: float) -> None:
        self._score = value
        self._quiet = True
        try:
            self.score.value = fmt2(value)
        finally:
            self._quiet = False

    def _tier_changed(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        tier = change["new"]
        self.note = ""
        if tier == RULE:
            self.score.disabled = True
            self._set_score(self.rule_score)
        else:
            self.score.disabled = False
            low, high = self.bounds()  # type: ignore[misc]
            current = self._score if change["old"] != RULE else self.rule_score
            if current is None:
                current = self.rule_score
            if low - _TOLERANCE <= current <= high + _TOLERANCE:
                self._set_score(current)  # a score inside the new tier's range stays
            else:
                nearest = low if current < low else high
                self._set_score(nearest)
                self.note = f"得分由{fmt2(current)}调整为{fmt2(nearest)}（“{TIER_LABELS[tier]}”等次范围的最近值），尚未保存"
        self._show_range()

    def _score_typed(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        self.note = ""
        value = parse_number(change["new"])
        if value is not None:
            self._score = value

    def _show_range(self) -> None:
        b = self.bounds()
        _put(
            self.range,
            "value",
            f"<small>范围 {fmt2(b[0])}–{fmt2(b[1])}</small>"
            if b
            else f"<small>按规则 {fmt2(self.rule_score)}</small>",
        )

    def errors(self) -> list[str]:
        """What keeps this row from being saved, in the reviewer's words (empty when fine)."""
        out = []
        if self.tier.value != RULE:
            value = parse_number(self.score.value)
            b = self.bounds()
            if value is None:
                out.append(f"得分“{self.score.value}”不是数值")
            elif b and not (b[0] - _TOLERANCE <= value <= b[1] + _TOLERANCE):
                out.append(
                    f"得分{fmt2(value)}超出“{TIER_LABELS[self.tier.value]}”等次范围{fmt2(b[0])}–{fmt2(b[1])}，请修改"
                )
        deduction = parse_number(self.deduction.value)
        if deduction is None:
            if self.deduction.value.strip():
                out.append(f"扣分“{self.deduction.value}”不是数值")
        elif deduction < 0:
            out.append("扣分不能为负数")
        elif deduction and not self.reason.value.strip():
            out.append("有扣分但未写扣分理由")
        return out

    def decision(self) -> Decision:
        """The decision the widgets hold (empty when nothing is decided)."""
        tier = None if self.tier.value == RULE else self.tier.value
        value = parse_number(self.score.value)
        deduction = parse_number(self.deduction.value)
        return Decision(
            tier=tier,
            score=(self._score if value is not None else None) if tier is not None else None,
            deduction=max(deduction or 0.0, 0.0),
            reason=self.reason.value,
            comment=self.comment.value,
            target=self._kept.target,
            actual=self._kept.actual,
        )

    def load(self, decision: Decision | None) -> None:
        """Put a stored decision into the widgets (exactly: a score of 0 stays 0)."""
        d = decision or Decision()
        self._kept = Decision(target=d.target, actual=d.actual)
        self._quiet = True
        try:
            self.tier.value = d.tier or RULE
        finally:
            self._quiet = False
        self.score.disabled = d.tier is None
        self._set_score(d.score if (d.tier is not None and d.score is not None) else self._tier_default(d))
        self.deduction.value = fmt2(d.deduction)
        self.reason.value = d.reason
        self.comment.value = d.comment
        self.note = ""
        self._show_range()

    def _tier_default(self, d: Decision) -> float:
        if d.tier is None:
            return self.rule_score
        return self.weight * self.profile.tier_range(d.tier)[1]  # as scoring reads a tier alone

    def show(self, score: IndicatorScore) -> None:
        """Refresh the row's label from the latest score (rule, rule score, final score)."""
        ind = score.indicator
        self.rule_score = score.rule_score
        over = f"<span class='warning'>　↑偏离度{score.deviation:+.0%}</span>" if score.over_target else ""
        final = score.score - score.deduction
        mark = " <span class='rv'>（复核）</span>" if score.reviewer else ""
        deducted = f"（扣分{fmt2(score.deduction)}）" if score.deduction else ""
        _put(
            self.label,
            "value",
            f"<div class='ek' style='line-height:1.3'><b>{escape(self.name)}</b>{over}<br>"
            f"<small>{escape(ind.target_text)} → {escape(ind.actual_text)}；"
            f"{RULE_LABELS.get(score.rule, score.rule)} {fmt2(score.rule_score)}/{fmt2(score.weight)}；"
            f"最终得分 {fmt2(final)}{deducted}{mark}</small></div>",
        )
        if self.tier.value == RULE:
            self._set_score(score.rule_score)
        self._show_range()
        problems = self.errors()
        _put(self.message, "value", _msg("；".join(problems)) or _msg(self.note, error=False))

    def widgets(self) -> list[w.ValueWidget]:
        """The value widgets of the row's decision (tier, score, deduction, reason, comment)."""
        return [self.tier, self.score, self.deduction, self.reason, self.comment]


class FindingEditor:
    """A finding with its disposition (待定 / 采纳 / 不采纳 and the reason)."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        self.key, self.code, self.where = finding.key, finding.code, finding.where
        self.text = w.HTML(layout=w.Layout(width="100%"))
        self.choice = w.Dropdown(options=DISPOSITION_OPTIONS, value=PENDING, description="处置", style=_SMALL)
        self.choice.layout.width = "150px"
        self.reason = w.Text(
            placeholder="不采纳理由（不采纳时必填）", layout=w.Layout(width="70%"), continuous_update=False
        )
        self.message = w.HTML()
        self.row = w.VBox(
            [
                self.text,
                w.HBox([self.choice, self.reason], layout=w.Layout(align_items="center")),
                self.message,
            ],
            layout=w.Layout(border_bottom="1px solid #e5e7eb", padding="4px 0"),
        )
        self.row.add_class("ek-finding")
        self.row.add_class(f"ek-finding-{finding.code}")

    def reset(self, finding: Finding) -> None:
        """Point the widgets at another finding of the same code (reused across units and profiles)."""
        assert finding.code == self.code
        self.finding = finding
        self.key, self.where = finding.key, finding.where

    def show(self, derived: str, reason: str = "") -> None:
        """Refresh the text and the derived state (已扣分 for a handled over-target finding)."""
        f = self.finding
        state = ""
        if self.choice.value == PENDING and derived == HANDLED:
            state = f" <span class='rv'>［{DISPOSITION_LABELS[HANDLED]}：{escape(reason)}］</span>"
        struck = self.choice.value == SET_ASIDE
        body = f"{escape(f.where)}：{escape(f.message)}"
        if struck:
            body = f"<s>{body}</s>"
        _put(
            self.text,
            "value",
            f"<div class='ek'><span class='{f.severity}'>{SEVERITY_LABELS.get(f.severity, f.severity)}</span> "
            f"<b>{escape(f.code)}</b> {body}{state}</div>",
        )
        _put(self.message, "value", _msg("；".join(self.errors())))

    def errors(self) -> list[str]:
        """Why this disposition cannot be saved yet."""
        if self.choice.value == SET_ASIDE and not self.reason.value.strip():
            return ["不采纳须写理由"]
        return []

    def decision(self) -> FindingDecision | None:
        """The recorded disposition (None while 待定)."""
        if self.choice.value == PENDING:
            return None
        return FindingDecision.model_construct(
            key=self.key,
            code=self.code,
            where=self.where,
            disposition=self.choice.value,
            reason=self.reason.value,
            message=self.finding.message,
        )

    def load(self, recorded: FindingDecision | None) -> None:
        """Put a recorded disposition into the widgets."""
        self.choice.value = recorded.disposition if recorded else PENDING
        self.reason.value = recorded.reason if recorded else ""


class Workbench:
    """The review app of one unit; ``display(Workbench(...))`` shows it in JupyterLab."""

    def __init__(
        self,
        unit: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        decisions: str | os.PathLike[str] | None = None,
        parameters: str | os.PathLike[str] | None = None,
        who: str | None = None,
        charts: bool = True,
    ) -> None:
        if parameters is None:
            parameters = Path(unit).resolve().parent.parent if unit else Path("parameters")
        self.parameters = Path(parameters)
        self.charts = charts
        self.filing: Filing | None = None
        self.review: Review | None = None
        self.path: Path | None = None  # the filing
        self.decisions_file: Path | None = None
        # A decisions file given explicitly belongs to the unit given with it, not to the others.
        self._explicit_unit = Path(unit).resolve() if unit and decisions else None
        self._explicit_decisions = Path(decisions) if unit and decisions else None
        self.base = Decisions()  # what is on disk as of the last load or save
        self.drafts: dict[str, Decisions] = {}  # unsaved edits of the units switched away from
        self.editors: dict[str, IndicatorEditor] = {}
        self.finding_editors: list[FindingEditor] = []
        # Row and finding widgets are kept and reused across units and profiles (by indicator key,
        # by finding code): building them is most of the cost of opening a unit.
        self._row_pool: dict[str, IndicatorEditor] = {}
        self._finding_pool: dict[str, list[FindingEditor]] = {}
        self._prof: Profile | None = None  # the profile loaded when the unit or profile was chosen
        self._built: tuple[Decisions, Review] | None = None  # the review _build made, for refresh
        self._scored = False  # self.review holds the current scores (a free-text change needs no re-review)
        self._png: dict[str, dict[tuple[Any, ...], bytes]] = {"indicators": {}, "budget": {}}
        self._quiet = False
        self._who_given = bool(who)

        years = years_in(self.parameters)
        start_year = Path(unit).resolve().parent.name if unit else (years[0] if years else "")
        self.year = w.Dropdown(options=years or [start_year], value=start_year or None, description="年度")
        self.unit = w.Dropdown(options=[], description="单位", layout=w.Layout(width="560px"))
        profiles = profile_names()
        self.default_profile = profile or DEFAULT_PROFILE
        if self.default_profile not in profiles:
            profiles.append(self.default_profile)  # a profile given by path
        self.profile = w.Dropdown(
            options=profiles, value=self.default_profile, description="评分方案", style=_SMALL
        )
        self.who = w.Text(
            value=who or _default_reviewer(),
            description="复核人",
            layout=w.Layout(width="240px"),
            continuous_update=False,
        )
        self.opinion = w.Textarea(
            placeholder="复核意见（总体评价、主要问题、整改建议）",
            layout=w.Layout(width="98%", height="90px"),
            continuous_update=False,
        )
        self.conclusion = w.Textarea(
            placeholder="复核结论（留空则使用报告生成的草稿）",
            layout=w.Layout(width="98%", height="70px"),
            continuous_update=False,
        )
        self.opinion_texts = {
            key: w.Textarea(
                placeholder=f"{label}意见（留空则使用生成的草稿）",
                layout=w.Layout(width="98%", height="60px"),
                continuous_update=False,
            )
            for key, label in OPINION_LABELS.items()
        }
        self.save_button = w.Button(description="保存复核意见", button_style="primary", icon="save")
        self.save_button.layout.width = "290px"  # room for “（有未保存的修改）”: never cut short
        self.status = w.HTML()
        self.card = w.HTML()
        self.budget = w.HTML()
        self.table = w.HTML()
        self.findings = w.HTML()
        self.record = w.HTML()
        self.budget_chart = w.Image(format="png", layout=w.Layout(max_width="760px"))
        self.indicator_chart = w.Image(format="png", layout=w.Layout(max_width="760px"))
        self.editor_box = w.VBox()
        self._intro = w.HTML(
            "<div class='ek note'>每项指标：选择等次后可在该等次范围内填写得分（保留两位小数）；"
            "完成值远高于目标值（↑）时可扣分，扣分须写理由。修改即时计分，点“保存复核意见”写入文件。</div>"
        )
        self._no_findings = w.HTML("<p>未发现问题。</p>")
        self.severity_filter = w.Dropdown(
            options=[("全部级别", ""), *((label, s) for s, label in SEVERITY_LABELS.items())],
            value="",
            description="级别",
            style=_SMALL,
        )
        self.code_filter = w.Dropdown(options=[("全部代码", "")], value="", description="代码", style=_SMALL)
        self.finding_count = w.HTML()
        self.finding_box = w.VBox()
        tabs = w.Tab(
            children=[
                w.VBox(
                    [
                        self.editor_box,
                        w.HTML("<b>复核意见</b>"),
                        self.opinion,
                        w.HTML("<b>复核结论</b>"),
                        self.conclusion,
                        *(
                            box
                            for key, label in OPINION_LABELS.items()
                            for box in (w.HTML(f"<b>{label}</b>"), self.opinion_texts[key])
                        ),
                    ]
                ),
                w.VBox(
                    [
                        w.HBox([self.severity_filter, self.code_filter, self.finding_count]),
                        self.finding_box,
                    ]
                ),
                w.VBox([self.table, self.indicator_chart]),
                w.VBox([self.budget, self.budget_chart]),
                self.record,
            ]
        )
        for i, title in enumerate(("复核决定", "复核发现", "绩效指标", "预算执行", "复核记录")):
            tabs.set_title(i, title)
        self.tabs = tabs
        self.widget = w.VBox(
            [
                w.HTML(f"<style>{report.css()}</style>"),
                w.HBox([self.year, self.unit, self.profile]),
                w.HBox([self.who, self.save_button, self.status], layout=w.Layout(align_items="center")),
                self.card,
                tabs,
            ]
        )
        self.widget.add_class("ek-workbench")
        self._fill_units(unit)
        self.year.observe(lambda _: self._fill_units(None), "value")
        self.unit.observe(self._unit_changed, "value")
        self.profile.observe(lambda _: self._profile_changed(), "value")
        for text in (self.opinion, self.conclusion, *self.opinion_texts.values()):
            text.observe(lambda _: self._update(rescore=False), "value")
        self.severity_filter.observe(lambda _: self._filter(), "value")
        self.code_filter.observe(lambda _: self._filter(), "value")
        self.save_button.on_click(lambda _: self.save())
        if self.unit.value:
            self.load_unit(self.unit.value)

    # ------------------------------------------------------------------ loading
    def _fill_units(self, selected: str | os.PathLike[str] | None) -> None:
        files = units_in(self.parameters / str(self.year.value or ""))
        options = [(f.stem, str(f)) for f in files]
        if selected and str(Path(selected)) not in {v for _, v in options}:
            options.insert(0, (Path(selected).stem, str(Path(selected))))
        self.unit.options = options
        if selected:
            self.unit.value = str(Path(selected))
        elif options:
            self.unit.value = options[0][1]

    def _unit_changed(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            return
        left = self.path
        if left is not None and self.filing is not None and self.is_dirty():
            # Unsaved edits are kept for when the unit is chosen again, never dropped.
            self.drafts[str(left)] = self.current_decisions()
        self.load_unit(change["new"])
        if left is not None and str(left) in self.drafts:
            self._message(f"“{left.stem}”有未保存的修改，已保留；切换回该单位可继续编辑并保存。", error=False)

    def load_unit(self, path: str | os.PathLike[str]) -> None:
        """Open a unit: read its filing and saved decisions (or its unsaved draft), score it."""
        from evalkit.readers import read_filing

        self.path = Path(path)
        try:
            self.filing = read_filing(self.path)
            if self._explicit_decisions and self._explicit_unit == self.path.resolve():
                self.decisions_file = self._explicit_decisions
            else:
                self.decisions_file = decisions_path(self.path)
            self.base = load_decisions(self.decisions_file)
        except EvalkitError as exc:
            self.filing = None
            self._message(f"无法打开：{exc}", error=True)
            return
        draft = self.drafts.pop(str(self.path), None)
        shown = draft or self.base
        self._quiet = True
        try:
            if shown.profile:
                if shown.profile not in self.profile.options:
                    self.profile.options = [*self.profile.options, shown.profile]
                self.profile.value = shown.profile
            else:
                self.profile.value = self.default_profile
            if self.base.reviewer and not self._who_given:
                self.who.value = self.base.reviewer  # the reviewer is remembered from the file
        finally:
            self._quiet = False
        self._build(shown)
        self.refresh()
        self._message(
            f"已打开 {self.path.name}"
            + (f"；已载入 {len(self.base.items)} 项指标复核决定" if self.base.items else "")
            + ("；恢复了未保存的修改" if draft else ""),
            error=False,
        )

    def _build(self, decisions: Decisions) -> None:
        """(Re)build the editors for the current filing and profile, holding ``decisions``."""
        assert self.filing is not None
        profile = self._prof = load_profile(self.profile.value)
        rv = review(self.filing, profile, decisions)
        self.editors = {s.indicator.key: self._row(s, profile) for s in rv.card.indicators}
        used: dict[str, int] = {}
        self.finding_editors = [self._finding(f, used) for f in rv.findings]
        self._show_decisions(decisions)
        self._built = (decisions, rv)
        self._scored = False
        self.editor_box.children = [self._intro, *[e.row for e in self.editors.values()]]
        codes = sorted({f.code for f in rv.findings})
        self.code_filter.options = [("全部代码", ""), *((c, c) for c in codes)]
        self.code_filter.value = ""
        self.finding_box.children = [fe.row for fe in self.finding_editors] or [self._no_findings]
        self._filter()

    def _row(self, score: IndicatorScore, profile: Profile) -> IndicatorEditor:
        """The editor of an indicator row: the kept one of its key, else a new one wired to refresh."""
        key = score.indicator.key
        editor = self._row_pool.get(key)
        if editor is not None:
            editor.reset(score, profile)
            return editor
        editor = self._row_pool[key] = IndicatorEditor(score, profile)

        def rescore(_: dict[str, Any]) -> None:
            if not editor.busy:  # the tier's own observer moved the score: the tier's refresh follows
                self._update(rescore=True)

        for widget in (editor.tier, editor.score, editor.deduction, editor.reason):
            widget.observe(rescore, "value")  # the reason is in the card and the O101 message
        editor.comment.observe(lambda _: self._update(rescore=False), "value")
        return editor

    def _finding(self, finding: Finding, used: dict[str, int]) -> FindingEditor:
        """The editor of a finding: a kept one of its code not used yet, else a new one."""
        pool = self._finding_pool.setdefault(finding.code, [])
        i = used[finding.code] = used.get(finding.code, -1) + 1
        if i < len(pool):
            pool[i].reset(finding)
            return pool[i]
        fe = FindingEditor(finding)
        fe.choice.observe(lambda _: self._update(rescore=True), "value")
        fe.reason.observe(lambda _: self._update(rescore=False), "value")
        pool.append(fe)
        return fe

    def _show_decisions(self, decisions: Decisions) -> None:
        """Put ``decisions`` into every row, finding and text field, without re-scoring per field."""
        self._quiet = True
        try:
            for key, editor in self.editors.items():
                editor.load(decisions.get(key))
            for fe in self.finding_editors:
                fe.load(decisions.finding(fe.key))
            self._load_texts(decisions)
        finally:
            self._quiet = False

    def _load_texts(self, decisions: Decisions) -> None:
        self.opinion.value = decisions.opinion
        self.conclusion.value = decisions.conclusion
        for key, box in self.opinion_texts.items():
            box.value = decisions.opinions.get(key, "")

    def _profile_changed(self) -> None:
        if self._quiet or self.filing is None:
            return
        keep = self.current_decisions()
        self._build(keep)  # weights and tier ranges follow the profile
        self.refresh()

    def _profile(self) -> Profile:
        # Loaded when the unit or the profile is chosen, not on every change.
        if self._prof is None:
            self._prof = load_profile(self.profile.value)
        return self._prof

    def _filter(self) -> None:
        shown = 0
        for fe in self.finding_editors:
            visible = (
                not self.severity_filter.value or fe.finding.severity == self.severity_filter.value
            ) and (not self.code_filter.value or fe.code == self.code_filter.value)
            fe.row.layout.display = None if visible else "none"
            shown += visible
        self.finding_count.value = f"<small>显示 {shown} / {len(self.finding_editors)} 项</small>"

    # ------------------------------------------------------------------ state
    def current_decisions(self) -> Decisions:
        """The decisions the widgets hold now (the saved history is kept from the file)."""
        items = {k: e.decision() for k, e in self.editors.items()}
        items = {k: d for k, d in items.items() if not d.is_empty()}
        # Decisions on disk for keys this filing no longer has are kept untouched.
        for key, d in self.base.items.items():
            if key not in self.editors:
                items[key] = d
        findings = [d for fe in self.finding_editors if (d := fe.decision()) is not None]
        present = {fe.key for fe in self.finding_editors}
        findings += [f for f in self.base.findings if f.key not in present]  # findings gone since
        return Decisions.model_construct(
            unit=self.path.stem if self.path else "",
            reviewer=self.base.reviewer,
            first_reviewer=self.base.first_reviewer,
            profile=self.profile.value or "",
            opinion=self.opinion.value,
            conclusion=self.conclusion.value,
            opinions={k: box.value for k, box in self.opinion_texts.items() if box.value},
            items=items,
            findings=findings,
            history=list(self.base.history),
        )

    def is_dirty(self, now: Decisions | None = None) -> bool:
        """True when the widgets hold something the file does not (``now``: their decisions, if built)."""
        now, base = (self.current_decisions() if now is None else now), self.base
        return (
            not _same_scoring(now, base)
            or now.opinion != base.opinion
            or now.conclusion != base.conclusion
            or now.opinions != base.opinions
            or (now.profile != (base.profile or self.default_profile))
        )

    def labels(self) -> dict[str, str]:
        """Indicator keys → row labels (``g1r6`` → ``1-6 新增粮食产能``)."""
        return {k: e.name for k, e in self.editors.items()}

    def refresh(self) -> Review | None:
        """Re-score with the current decisions and update the card, tables, charts and the save button."""
        return self._update(rescore=True)

    def _update(self, rescore: bool) -> Review | None:
        """Bring everything shown up to date with the widgets.

        ``rescore=False`` is for a free-text change that no score, finding or chart depends on (a
        comment, a finding's reason, the opinions): the last review is kept with the new decisions,
        and only what shows the text changes. Charts are redrawn only when what they draw changed.
        """
        if self._quiet or self.filing is None:
            return self.review
        now = self.current_decisions()
        if not rescore and self._scored and self.review is not None:
            rv = dataclasses.replace(self.review, decisions=now)
        elif self._built is not None and _same_scoring(now, self._built[0]):
            rv = dataclasses.replace(self._built[1], decisions=now)  # just reviewed by _build
        else:
            try:
                rv = review(self.filing, self._profile(), now)
            except EvalkitError as exc:
                self._scored = False
                self._message(str(exc), error=True)
                return self.review
        self._built = None
        self._scored = True
        self.review = rv
        _put(self.card, "value", report.header_html(rv))
        _put(self.budget, "value", report.budget_html(rv, chart=False))
        _put(self.table, "value", report.indicators_html(rv, chart=False))
        _put(self.findings, "value", report.findings_html(rv))
        _put(self.record, "value", report.decisions_html(rv))
        for s in rv.card.indicators:
            if s.indicator.key in self.editors:
                self.editors[s.indicator.key].show(s)
        by_key = {f.key: f for f in rv.findings}
        for fe in self.finding_editors:
            f = by_key.get(fe.key, fe.finding)
            fe.finding = f
            d = rv.disposition(f)
            fe.show(d.status, d.reason)
        if self.charts:
            self._draw_charts(rv)
        self._show_dirty(now)
        return rv

    def _draw_charts(self, rv: Review) -> None:
        from evalkit.report import charts

        self._chart(
            self.indicator_chart, "indicators", _chart_rows(rv), lambda: charts.indicator_scores_png(rv)
        )
        if rv.card.budget.rate is not None:
            self._chart(self.budget_chart, "budget", _chart_budget(rv), lambda: charts.budget_png(rv))
        else:
            _put(self.budget_chart, "value", b"")  # no rate: no chart (not the last unit's)

    def _chart(self, image: w.Image, kind: str, signature: tuple[Any, ...], draw: Any) -> None:
        """Show the chart of ``signature``: drawn once, kept for the last few signatures (switching
        back to a unit, profile or decision shows its chart again without drawing it)."""
        kept = self._png[kind]
        png = kept.pop(signature, None)
        if png is None:
            png = draw()
        kept[signature] = png  # most recent last
        while len(kept) > 8:
            kept.pop(next(iter(kept)))
        _put(image, "value", png)

    def _show_dirty(self, now: Decisions | None = None) -> None:
        dirty = self.is_dirty(now)
        others = len(self.drafts)
        _put(self.save_button, "description", "保存复核意见（有未保存的修改）" if dirty else "保存复核意见")
        _put(self.save_button, "button_style", "warning" if dirty else "primary")
        _put(self.save_button, "tooltip", f"另有{others}个单位有未保存的修改" if others else "")

    def problems(self) -> list[str]:
        """What keeps the decisions from being saved, each naming its row or finding."""
        out = [f"{e.name}：{msg}" for e in self.editors.values() for msg in e.errors()]
        out += [f"发现{fe.code}（{fe.where}）：{msg}" for fe in self.finding_editors for msg in fe.errors()]
        return out

    def missing_reasons(self) -> list[str]:
        """Row labels with a deduction but no reason (a save is refused until they have one)."""
        return [
            e.name
            for e in self.editors.values()
            if (parse_number(e.deduction.value) or 0) > 0 and not e.reason.value.strip()
        ]

    def save(self) -> Decisions | None:
        """Save the decisions (merged with any concurrent save); None when refused."""
        if self.path is None or self.decisions_file is None:
            self._message("请先选择单位。", error=True)
            return None
        problems = self.problems()
        if problems:
            self._message("未保存：" + "；".join(problems) + "。", error=True)
            return None
        who = self.who.value.strip() or _default_reviewer()
        mine = self.current_decisions()
        try:
            merged = save_decisions(self.decisions_file, mine, who=who, base=self.base, labels=self.labels())
        except (EvalkitError, OSError) as exc:
            self._message(f"保存失败：{exc}", error=True)
            return None
        # Another copy may have saved other indicators meanwhile: show the merged state.
        self.base = merged
        self._show_decisions(merged)
        self.refresh()
        entry = merged.history[-1]
        self._message(f"已保存到 {self.decisions_file.name}（{fmt_time(entry['when'])}，{who}）", error=False)
        return merged

    def _message(self, text: str, error: bool = False) -> None:
        color = "#b42318" if error else "#1a7f37"
        self.status.value = f"<span class='ek-status' style='color:{color}'>{escape(text)}</span>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def _same_scoring(a: Decisions, b: Decisions) -> bool:
    """True when two sets of decisions hold the same indicator decisions and finding dispositions."""
    return {k: d for k, d in a.items.items() if not d.is_empty()} == {
        k: d for k, d in b.items.items() if not d.is_empty()
    } and {f.key: f.model_dump() for f in a.findings} == {f.key: f.model_dump() for f in b.findings}


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "复核人"


def app(
    unit: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    decisions: str | os.PathLike[str] | None = None,
    parameters: str | os.PathLike[str] | None = None,
) -> Workbench:
    """The workbench for a notebook cell: opens ``unit`` (or the first unit of the latest year)."""
    return Workbench(unit=unit, profile=profile or None, decisions=decisions or None, parameters=parameters)

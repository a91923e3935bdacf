"""The interactive review workbench: an ipywidgets app for one unit at a time in JupyterLab.

Pick a year, a unit from ``parameters/<year>/`` and a profile; see the score card, budget block,
indicator table and findings; record a decision per indicator (qualitative tier and its score
inside the tier's range, a deduction with its required reason, a comment). The score card and the
charts follow every change. “保存复核意见” writes ``parameters/<year>/<unit-id>.review.yaml`` through
:func:`evalkit.workbench.store.save_decisions` (atomic, history, safe against a second open copy).

Everything is plain Python: tests drive the app by setting widget values and clicking the button.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w

from evalkit.errors import EvalkitError
from evalkit.model import Filing
from evalkit.pipeline import Review, review
from evalkit.report import sections as report
from evalkit.scoring.decisions import TIER_LABELS, Decision, Decisions, decisions_path, load_decisions
from evalkit.scoring.profiles import DEFAULT_PROFILE, Profile, load_profile, profile_dirs
from evalkit.scoring.rules import RULE_LABELS, IndicatorScore
from evalkit.workbench.store import save_decisions

TIER_OPTIONS = [("按规则计分", None), *((label, tier) for tier, label in TIER_LABELS.items())]
_SMALL = {"description_width": "initial"}


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


def _set_range(widget: w.BoundedFloatText, low: float, high: float, value: float) -> None:
    # Widen first so no intermediate state has min > max or clamps the value we set.
    widget.min = min(widget.min, low)
    widget.max = max(widget.max, high)
    widget.value = value
    widget.min, widget.max = low, high


class IndicatorEditor:
    """The decision widgets of one indicator row."""

    def __init__(self, score: IndicatorScore, profile: Profile) -> None:
        ind = score.indicator
        self.key = ind.key
        self.weight = score.weight
        self.profile = profile
        self.label = w.HTML(layout=w.Layout(width="34%"))
        self.tier = w.Dropdown(options=TIER_OPTIONS, value=None, description="等次", style=_SMALL)
        self.tier.layout.width = "150px"
        self.score = w.BoundedFloatText(
            value=score.rule_score, min=0.0, max=score.weight, step=0.1, description="得分", style=_SMALL
        )
        self.score.layout.width = "110px"
        self.score.disabled = True
        self.deduction = w.BoundedFloatText(
            value=0.0, min=0.0, max=score.weight, step=0.1, description="扣分", style=_SMALL
        )
        self.deduction.layout.width = "110px"
        self.reason = w.Text(placeholder="扣分理由（扣分时必填）", layout=w.Layout(width="180px"))
        self.comment = w.Text(placeholder="复核备注", layout=w.Layout(width="180px"))
        self.row = w.HBox(
            [self.label, self.tier, self.score, self.deduction, self.reason, self.comment],
            layout=w.Layout(border_bottom="1px solid #e5e7eb", padding="2px 0", align_items="center"),
        )
        self.tier.observe(self._tier_changed, "value")
        self.show(score)

    def _tier_changed(self, change: dict[str, Any]) -> None:
        tier = change["new"]
        if tier is None:
            self.score.disabled = True
            _set_range(self.score, 0.0, self.weight, self.score.value)
            return
        low, high = self.profile.tier_range(tier)
        self.score.disabled = False
        # A new tier starts at its top, as scoring does until the reviewer chooses a score.
        _set_range(
            self.score,
            round(low * self.weight, 4),
            round(high * self.weight, 4),
            round(high * self.weight, 4),
        )

    def show(self, score: IndicatorScore) -> None:
        """Refresh the row's label from the latest score (rule, rule score, current score)."""
        ind = score.indicator
        over = f"<span class='warning'>　↑偏离度{score.deviation:+.0%}</span>" if score.over_target else ""
        final = score.score - score.deduction
        mark = " <span class='rv'>（复核）</span>" if score.reviewer else ""
        self.label.value = (
            f"<div class='ek' style='line-height:1.3'><b>{ind.goal}-{ind.row} {escape(ind.name)}</b>{over}<br>"
            f"<small>{escape(ind.target_text)} → {escape(ind.actual_text)}；"
            f"{RULE_LABELS.get(score.rule, score.rule)} {score.rule_score:.2f}/{score.weight:.2f}；"
            f"现得分 {final:.2f}{mark}</small></div>"
        )
        if self.tier.value is None:
            self.score.value = score.rule_score

    def decision(self) -> Decision:
        """The decision the widgets hold (empty when nothing is decided)."""
        tier = self.tier.value
        return Decision(
            tier=tier,
            score=float(self.score.value) if tier is not None else None,
            deduction=float(self.deduction.value or 0.0),
            reason=self.reason.value.strip(),
            comment=self.comment.value.strip(),
        )

    def load(self, decision: Decision | None) -> None:
        """Put a stored decision into the widgets."""
        d = decision or Decision()
        self.tier.value = d.tier
        if d.tier is not None and d.score is not None:
            self.score.value = d.score
        self.deduction.value = d.deduction
        self.reason.value = d.reason
        self.comment.value = d.comment

    def widgets(self) -> list[w.ValueWidget]:
        """The value widgets whose changes re-score the unit."""
        return [self.tier, self.score, self.deduction, self.reason, self.comment]


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
        self.editors: dict[str, IndicatorEditor] = {}
        self._quiet = False

        years = years_in(self.parameters)
        start_year = Path(unit).resolve().parent.name if unit else (years[0] if years else "")
        self.year = w.Dropdown(options=years or [start_year], value=start_year or None, description="年度")
        self.unit = w.Dropdown(options=[], description="单位", layout=w.Layout(width="520px"))
        profiles = profile_names()
        chosen = profile or DEFAULT_PROFILE
        if chosen not in profiles:
            profiles.append(chosen)  # a profile given by path
        self.profile = w.Dropdown(options=profiles, value=chosen, description="评分方案", style=_SMALL)
        self.who = w.Text(
            value=who or _default_reviewer(), description="复核人", layout=w.Layout(width="220px")
        )
        self.opinion = w.Textarea(
            placeholder="复核意见（总体评价、主要问题、整改建议）",
            layout=w.Layout(width="98%", height="70px"),
        )
        self.save_button = w.Button(description="保存复核意见", button_style="primary", icon="save")
        self.status = w.HTML()
        self.card = w.HTML()
        self.budget = w.HTML()
        self.table = w.HTML()
        self.findings = w.HTML()
        self.budget_chart = w.Image(format="png", layout=w.Layout(max_width="760px"))
        self.indicator_chart = w.Image(format="png", layout=w.Layout(max_width="760px"))
        self.editor_box = w.VBox()
        tabs = w.Tab(
            children=[
                w.VBox([self.editor_box, w.HTML("<b>复核意见</b>"), self.opinion]),
                w.VBox([self.table, self.indicator_chart]),
                w.VBox([self.budget, self.budget_chart]),
                self.findings,
            ]
        )
        for i, title in enumerate(("复核决定", "绩效指标", "预算执行", "复核发现")):
            tabs.set_title(i, title)
        self.tabs = tabs
        self.widget = w.VBox(
            [
                w.HTML(f"<style>{report.css()}</style>"),
                w.HBox([self.year, self.unit, self.profile]),
                w.HBox([self.who, self.save_button, self.status]),
                self.card,
                tabs,
            ]
        )
        self._fill_units(unit)
        self.year.observe(lambda _: self._fill_units(None), "value")
        self.unit.observe(lambda ch: ch["new"] and self.load_unit(ch["new"]), "value")
        self.profile.observe(lambda _: self.refresh(), "value")
        self.opinion.observe(lambda _: self.refresh(), "value")
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

    def load_unit(self, path: str | os.PathLike[str]) -> None:
        """Open a unit: read its filing and saved decisions, rebuild the editors, score it."""
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
        profile = self._profile()
        scores = review(self.filing, profile, self.base).card.indicators
        self.editors = {s.indicator.key: IndicatorEditor(s, profile) for s in scores}
        self._load_editors(self.base)
        for editor in self.editors.values():
            for widget in editor.widgets():
                widget.observe(lambda _: self.refresh(), "value")
        self.editor_box.children = [
            w.HTML(
                "<div class='ek note'>每项指标：选择等次后可在该等次范围内调整得分；"
                "完成值远高于目标值（↑）时可扣分，扣分须写理由。修改即时计分，点“保存复核意见”写入文件。</div>"
            ),
            *[e.row for e in self.editors.values()],
        ]
        self.refresh()
        self._message(
            f"已打开 {self.path.name}"
            + (f"；已载入 {len(self.base.items)} 项复核决定" if self.base.items else "")
        )

    def _load_editors(self, decisions: Decisions) -> None:
        self._quiet = True
        try:
            for key, editor in self.editors.items():
                editor.load(decisions.get(key))
            self.opinion.value = decisions.opinion
        finally:
            self._quiet = False

    def _profile(self) -> Profile:
        return load_profile(self.profile.value)

    # ------------------------------------------------------------------ state
    def current_decisions(self) -> Decisions:
        """The decisions the widgets hold now (the saved history is kept from the file)."""
        items = {k: e.decision() for k, e in self.editors.items()}
        items = {k: d for k, d in items.items() if not d.is_empty()}
        # Decisions on disk for keys this filing no longer has are kept untouched.
        for key, d in self.base.items.items():
            if key not in self.editors:
                items[key] = d
        return Decisions(
            unit=self.path.stem if self.path else "",
            reviewer=self.base.reviewer,
            opinion=self.opinion.value.strip(),
            items=items,
            history=list(self.base.history),
        )

    def refresh(self) -> Review | None:
        """Re-score with the current decisions and update the card, tables and charts."""
        if self._quiet or self.filing is None:
            return self.review
        try:
            rv = review(self.filing, self._profile(), self.current_decisions())
        except EvalkitError as exc:
            self._message(str(exc), error=True)
            return self.review
        self.review = rv
        self.card.value = report.header_html(rv)
        self.budget.value = report.budget_html(rv, chart=False)
        self.table.value = report.indicators_html(rv, chart=False)
        self.findings.value = report.findings_html(rv)
        for s in rv.card.indicators:
            if s.indicator.key in self.editors:
                self.editors[s.indicator.key].show(s)
        if self.charts:
            from evalkit.report import charts

            self.indicator_chart.value = charts.to_png(charts.indicator_scores(rv))
            if rv.card.budget.rate is not None:
                self.budget_chart.value = charts.to_png(charts.budget(rv))
        return rv

    def missing_reasons(self) -> list[str]:
        """Indicator keys with a deduction but no reason (a save is refused until they have one)."""
        return [k for k, e in self.editors.items() if e.deduction.value and not e.reason.value.strip()]

    def save(self) -> Decisions | None:
        """Save the decisions (merged with any concurrent save); None when refused."""
        if self.path is None or self.decisions_file is None:
            self._message("请先选择单位。", error=True)
            return None
        missing = self.missing_reasons()
        if missing:
            names = "、".join(f"{self.editors[k].key}" for k in missing)
            self._message(f"未保存：{names} 有扣分但未写扣分理由。", error=True)
            return None
        who = self.who.value.strip() or _default_reviewer()
        mine = self.current_decisions()
        mine = replace(mine, reviewer=who if not self.base.reviewer else mine.reviewer)
        try:
            merged = save_decisions(self.decisions_file, mine, who=who, base=self.base)
        except (EvalkitError, OSError) as exc:
            self._message(f"保存失败：{exc}", error=True)
            return None
        # Another copy may have saved other indicators meanwhile: show the merged state.
        self.base = merged
        self._load_editors(merged)
        self.refresh()
        entry = merged.history[-1]
        self._message(f"已保存到 {self.decisions_file.name}（{entry['when']}，{who}）")
        return merged

    def _message(self, text: str, error: bool = False) -> None:
        color = "#b42318" if error else "#1a7f37"
        self.status.value = f"<span style='color:{color}'>{escape(text)}</span>"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


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

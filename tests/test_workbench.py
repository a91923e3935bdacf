"""The widget workbench driven from Python: set widget values, read the score, click save."""

from __future__ import annotations

import shutil
from pathlib import Path

import ipywidgets as w
import pytest
import yaml

from evalkit.pipeline import review
from evalkit.report.sections import decisions_html, findings_html, header_html, indicators_html
from evalkit.scoring.decisions import Decision, Decisions, load_decisions
from evalkit.workbench.editor import Workbench

ROOT = Path(__file__).resolve().parent.parent
CULTURE = "示例_某区文化和旅游局_公共文化服务提升项目"
HEALTH = "示例_某区卫生健康局_部门整体支出"
FARM = "示例_某区农业农村局_高标准农田建设项目"


@pytest.fixture
def params(tmp_path: Path) -> Path:
    dest = tmp_path / "parameters"
    shutil.copytree(ROOT / "parameters", dest, ignore=shutil.ignore_patterns("*.lock"))
    return dest


def unit(params: Path, name: str) -> Path:
    return params / "2024" / f"{name}.yaml"


def test_opens_unit_with_saved_decisions(params: Path) -> None:
    wb = Workbench(unit=unit(params, CULTURE), charts=False)
    assert wb.review is not None and wb.review.total == 95.40
    assert wb.editors["g1r5"].tier.value == "partial" and wb.editors["g1r5"].score.value == "7.50"
    assert wb.editors["g1r1"].deduction.value == "2.00"  # number fields show 2 decimals
    assert 'data-total="95.40"' in wb.card.value
    assert CULTURE in {label for label, _ in wb.unit.options}
    assert "mof-2020" in wb.profile.options
    assert not wb.is_dirty() and wb.save_button.description == "保存复核意见"


def test_tier_keeps_a_score_in_range_and_moves_one_outside_to_the_nearest_bound(params: Path) -> None:
    wb = Workbench(unit=unit(params, FARM), charts=False)
    row = wb.editors["g1r8"]  # 工程管护机制是否建立: yes/no, rule score 10 of 10
    assert row.tier.value == "rule" and row.score.value == "10.00" and row.score.disabled
    row.tier.value = "partial"  # 10 is above 部分达成's 6–8: the nearest bound, shown, not yet saved
    assert row.score.value == "8.00" and "调整为8.00" in row.message.value
    row.tier.value = "achieved"  # 8 lies in 达成's 8–10: kept
    assert row.score.value == "8.00"
    row.tier.value = "not_achieved"
    assert row.score.value == "6.00"
    row.score.value = "0"  # 0 is a score
    assert wb.review.total == round(97.60 - 10, 2)
    row.score.value = "7"  # outside 未达成's 0–6: a message, the value stays as typed
    assert row.score.value == "7" and "超出“未达成”等次范围0.00–6.00" in row.message.value
    assert wb.save() is None and "1-8 工程管护机制是否建立" in wb.status.value
    assert not unit(params, FARM).with_suffix(".review.yaml").exists()


def test_a_zero_score_round_trips_and_scores(params: Path) -> None:
    """A 未达成 row scored 0 comes back as 0 (it came back as the tier's top before)."""
    path = unit(params, FARM)
    wb = Workbench(unit=path, charts=False, who="王五")
    row = wb.editors["g1r8"]
    row.tier.value = "not_achieved"
    row.score.value = "0"
    assert wb.save() is not None
    data = yaml.safe_load(path.with_suffix(".review.yaml").read_text(encoding="utf-8"))
    assert data["items"]["g1r8"] == {"tier": "not_achieved", "score": 0.0}
    again = Workbench(unit=path, charts=False)
    assert again.editors["g1r8"].score.value == "0.00" and again.editors["g1r8"].tier.value == "not_achieved"
    assert again.review.total == review(path, decisions=path.with_suffix(".review.yaml")).total == 87.60
    assert again.review.grade == "良"


def test_deduction_needs_reason_then_saves_with_row_labels(params: Path) -> None:
    wb = Workbench(unit=unit(params, HEALTH), charts=False, who="李四")
    editor = wb.editors["g1r1"]
    editor.deduction.value = "1.5"
    assert wb.review.card.deductions == 1.5
    assert "有扣分但未写扣分理由" in editor.message.value
    assert wb.save() is None and "扣分理由" in wb.status.value
    assert f"{editor.name}" in wb.status.value and "g1r1" not in wb.status.value
    path = unit(params, HEALTH).with_suffix(".review.yaml")
    assert not path.exists()
    editor.reason.value = "目标值偏低"
    editor.comment.value = "建议提高目标"
    wb.opinion.value = "总体情况良好"
    assert wb.is_dirty() and "未保存" in wb.save_button.description
    wb.save_button.click()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["items"] == {"g1r1": {"deduction": 1.5, "reason": "目标值偏低", "comment": "建议提高目标"}}
    assert data["opinion"] == "总体情况良好" and data["reviewer"] == "李四"
    assert data["first_reviewer"] == "李四" and data["profile"] == "mof-2020"
    (entry,) = data["history"]
    assert entry["who"] == "李四" and entry["items"] == ["g1r1"]
    assert entry["what"].startswith(editor.name + " 扣分1.50（目标值偏低）")
    assert "已保存" in wb.status.value and not wb.is_dirty()
    # The saved file gives the same score as the widgets showed.
    assert review(unit(params, HEALTH), decisions=path).total == wb.review.total


def test_finding_dispositions_and_the_handled_over_target(params: Path) -> None:
    path = unit(params, FARM)
    wb = Workbench(unit=path, charts=False, who="王五")
    over = next(fe for fe in wb.finding_editors if fe.code == "O101")
    assert "请核实并按偏离度酌情扣分" in over.text.value
    wb.editors["g1r6"].deduction.value = "2"
    wb.editors["g1r6"].reason.value = "目标值明显偏低，按偏离度调减"
    over = next(fe for fe in wb.finding_editors if fe.code == "O101")
    assert "复核已扣分2.00" in over.text.value and "已扣分" in over.text.value
    late = next(fe for fe in wb.finding_editors if fe.code == "D102")
    late.choice.value = "set_aside"
    assert "不采纳须写理由" in late.message.value and wb.save() is None
    late.reason.value = "已核实验收单，11月28日完工"
    assert "<s>" in late.text.value
    assert wb.save() is not None
    saved = load_decisions(path.with_suffix(".review.yaml"))
    (fd,) = saved.findings
    assert (fd.key, fd.code, fd.disposition, fd.reason) == (
        "D102@g1r4",
        "D102",
        "set_aside",
        "已核实验收单，11月28日完工",
    )
    rv = review(path, decisions=path.with_suffix(".review.yaml"))
    states = {f.code: rv.disposition(f).status for f in rv.findings}
    assert states["D102"] == "set_aside" and states["O101"] == "handled" and states["S101"] == "pending"
    assert rv.status == "复核中"
    html = findings_html(rv)
    assert "已核实验收单，11月28日完工" in html and "<s>" in html
    doc = rv.to_json()
    assert {f["code"]: f["disposition"] for f in doc["findings"]}["D102"] == "set_aside"
    assert doc["review_status"] == "复核中"


def test_history_and_report_name_rows_by_label(params: Path) -> None:
    path = unit(params, CULTURE)
    wb = Workbench(unit=path, charts=False, who="乙")
    wb.editors["g1r6"].comment.value = "补充"
    assert wb.save() is not None
    html = decisions_html(wb.review)
    assert "g1r" not in html  # the sample's old history entry is relabelled too
    assert "1-6 " in html and "2025-04-10 15:30" in html


def test_unsaved_edits_survive_switching_units(params: Path) -> None:
    wb = Workbench(unit=unit(params, CULTURE), charts=False)
    wb.editors["g1r6"].comment.value = "还没保存"
    wb.unit.value = str(unit(params, HEALTH))
    assert "未保存的修改" in wb.status.value and str(unit(params, CULTURE)) in wb.drafts
    assert wb.editors["g1r5"].tier.value == "rule"
    wb.unit.value = str(unit(params, CULTURE))
    assert wb.editors["g1r6"].comment.value == "还没保存" and wb.is_dirty()
    assert "未保存" in wb.save_button.description


def test_profile_and_reviewer_are_saved_and_remembered(params: Path) -> None:
    path = unit(params, HEALTH)
    first = Workbench(unit=path, charts=False, who="甲")
    first.profile.value = "province-80-70-60"
    assert first.review.profile.name == "province-80-70-60" and first.is_dirty()
    assert first.save() is not None
    again = Workbench(unit=path, charts=False)
    assert again.profile.value == "province-80-70-60" and again.who.value == "甲"
    assert again.review.profile.name == "province-80-70-60"
    # The batch (and `evalkit review` without --profile) score with the saved profile.
    assert review(path, decisions=path.with_suffix(".review.yaml")).profile.name == "province-80-70-60"
    second = Workbench(unit=path, charts=False, who="乙")
    second.opinion.value = "乙的意见"
    assert second.save() is not None
    saved = load_decisions(path.with_suffix(".review.yaml"))
    assert (saved.reviewer, saved.first_reviewer) == ("乙", "甲")
    assert [h["who"] for h in saved.history] == ["甲", "乙"]


def test_findings_filter_by_severity_and_code(params: Path) -> None:
    wb = Workbench(unit=unit(params, FARM), charts=False)
    total = len(wb.finding_editors)
    wb.severity_filter.value = "error"
    shown = [fe for fe in wb.finding_editors if fe.row.layout.display != "none"]
    assert shown and all(fe.finding.severity == "error" for fe in shown) and len(shown) < total
    wb.severity_filter.value = ""
    wb.code_filter.value = "O101"
    shown = [fe for fe in wb.finding_editors if fe.row.layout.display != "none"]
    assert [fe.code for fe in shown] == ["O101"] and f"1 / {total}" in wb.finding_count.value


def test_two_open_copies_save_without_losing_anything(params: Path) -> None:
    path = unit(params, CULTURE)
    first = Workbench(unit=path, charts=False, who="甲")
    second = Workbench(unit=path, charts=False, who="乙")
    first.editors["g1r6"].tier.value = "partial"
    first.editors["g1r6"].score.value = "7"
    second.editors["g1r8"].deduction.value = "1"
    second.editors["g1r8"].reason.value = "满意度100%无调查佐证"
    second.editors["g1r5"].comment.value = "乙补充备注"
    assert first.save() is not None
    assert second.save() is not None  # saved after the first, from the same starting point
    saved = load_decisions(path.with_suffix(".review.yaml"))
    assert set(saved.items) == {"g1r1", "g1r5", "g1r6", "g1r8"}
    assert saved.items["g1r6"] == Decision(tier="partial", score=7.0)
    assert saved.items["g1r5"].tier == "partial" and saved.items["g1r5"].comment == "乙补充备注"
    assert saved.items["g1r1"].deduction == 2.0  # the sample's own decision is untouched
    assert [h["who"] for h in saved.history][-2:] == ["甲", "乙"]
    # The second copy now shows the first one's decision, and both score as the file does.
    assert second.editors["g1r6"].tier.value == "partial"
    assert second.review.total == review(path, decisions=path.with_suffix(".review.yaml")).total


def test_switching_unit_and_profile(params: Path) -> None:
    wb = Workbench(unit=unit(params, CULTURE), charts=True)
    wb.unit.value = str(unit(params, HEALTH))
    assert wb.path == unit(params, HEALTH) and "g1r5" in wb.editors
    assert wb.editors["g1r5"].tier.value == "rule" and wb.editors["g1r5"].tier.label == "按规则计分"
    mof = wb.review.grade
    wb.profile.value = "province-80-70-60"
    assert wb.review.profile.name == "province-80-70-60"
    assert mof == "优" and wb.review.grade == "优"
    assert bytes(wb.indicator_chart.value).startswith(b"\x89PNG")
    expected = review(unit(params, HEALTH), decisions=Decisions())
    assert expected.total == review(unit(params, HEALTH)).total


def test_the_batch_plans_each_unit_with_its_saved_profile(params: Path, tmp_path: Path) -> None:
    from evalkit.batch.plan import plan_units

    wb = Workbench(unit=unit(params, HEALTH), charts=False, who="甲")
    wb.profile.value = "province-80-70-60"
    assert wb.save() is not None

    def plan(profile: str | None) -> dict[str, object]:
        tasks = plan_units(
            params, tmp_path, "2024", profile, ROOT / "notebooks" / "review.ipynb", tmp_path, "k", tmp_path
        )
        return {t.unit_id: t for t in tasks}

    saved, told = plan(None), plan("mof-2020")
    assert saved[HEALTH].profile == str((params / "profiles" / "province-80-70-60.yaml").resolve())
    assert saved[CULTURE].profile == str((params / "profiles" / "mof-2020.yaml").resolve())  # none saved
    assert told[HEALTH].profile == str((params / "profiles" / "mof-2020.yaml").resolve())  # unless told
    assert saved[HEALTH].inputs_hash != told[HEALTH].inputs_hash  # the profile is part of the skip key


class _Drawn:
    """Counts the charts the workbench draws (to_png calls), and how many were the budget chart."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from evalkit.report import charts

        self.pngs = 0
        self.budgets = 0
        to_png = charts.to_png

        def counting_png(fig, *args, **kwargs):
            self.pngs += 1
            self.budgets += any(ax.get_title(loc="left").startswith("预算执行率") for ax in fig.axes)
            return to_png(fig, *args, **kwargs)

        monkeypatch.setattr(charts, "to_png", counting_png)

    def reset(self) -> None:
        self.pngs = self.budgets = 0


def test_free_text_changes_redraw_no_chart_and_the_report_follows(
    params: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = _Drawn(monkeypatch)
    wb = Workbench(unit=unit(params, FARM), charts=True)
    assert drawn.pngs == 2 and drawn.budgets == 1  # opening draws both charts
    indicator_png, budget_png = wb.indicator_chart.value, wb.budget_chart.value
    drawn.reset()
    row = wb.editors["g1r6"]
    row.comment.value = "核对了验收单"
    assert "复核备注：核对了验收单" in wb.table.value and "核对了验收单" in wb.record.value
    assert wb.is_dirty() and "未保存" in wb.save_button.description
    row.reason.value = "目标值偏低"  # no deduction yet: the reason changes no score
    late = next(fe for fe in wb.finding_editors if fe.code == "D102")
    late.choice.value = "set_aside"
    assert "不采纳须写理由" in late.message.value
    late.reason.value = "已核实验收单"
    assert late.message.value == "" and "已核实验收单" in wb.findings.value
    wb.opinion.value = "总体良好"
    assert (
        wb.review.decisions.opinion == "总体良好"
        and wb.review.decisions.items["g1r6"].comment == "核对了验收单"
    )
    assert drawn.pngs == 0 and drawn.budgets == 0
    assert wb.indicator_chart.value == indicator_png and wb.budget_chart.value == budget_png
    # What the workbench shows is what a fresh review of the same decisions gives.
    fresh = review(wb.filing, wb.review.profile, wb.current_decisions())
    assert wb.card.value == header_html(fresh) and wb.findings.value == findings_html(fresh)
    assert wb.record.value == decisions_html(fresh) and wb.table.value == indicators_html(fresh, chart=False)


def test_a_score_change_redraws_the_indicator_chart_only(
    params: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = _Drawn(monkeypatch)
    wb = Workbench(unit=unit(params, FARM), charts=True)
    before, budget_png = wb.indicator_chart.value, wb.budget_chart.value
    drawn.reset()
    row = wb.editors["g1r8"]
    row.tier.value = "partial"  # 10 → 8: the score moves
    assert drawn.pngs == 1 and drawn.budgets == 0
    assert wb.review.total == round(97.60 - 2, 2) and 'data-total="95.60"' in wb.card.value
    assert "最终得分 8.00" in row.label.value
    after_tier = wb.indicator_chart.value
    assert after_tier != before and bytes(after_tier).startswith(b"\x89PNG")
    row.score.value = "7"
    assert drawn.pngs == 2 and drawn.budgets == 0 and 'data-total="94.60"' in wb.card.value
    assert wb.indicator_chart.value != after_tier and wb.budget_chart.value == budget_png
    wb.editors["g1r6"].deduction.value = "1"
    assert drawn.pngs == 3 and drawn.budgets == 0 and 'data-total="93.60"' in wb.card.value
    row.score.value = "7.00"  # the same score typed again: nothing drawn
    assert drawn.pngs == 3


def test_a_tier_change_reviews_once_and_text_changes_not_at_all(
    params: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.workbench import editor as editor_module

    calls = []
    real = editor_module.review
    monkeypatch.setattr(editor_module, "review", lambda *a, **k: calls.append(1) or real(*a, **k))
    wb = Workbench(unit=unit(params, FARM), charts=False)
    assert len(calls) == 1  # opening: the editors' review serves the first display too
    calls.clear()
    wb.editors["g1r8"].tier.value = "partial"  # the tier moves the score too: one review, not two
    assert len(calls) == 1
    calls.clear()
    wb.editors["g1r8"].comment.value = "备注"
    wb.opinion.value = "意见"
    wb.conclusion.value = "结论"
    assert calls == []
    wb.editors["g1r8"].reason.value = "理由"  # in the score card (deduction reason): re-reviewed
    assert len(calls) == 1


def test_every_text_field_updates_on_enter_or_blur_not_per_keystroke(params: Path) -> None:
    wb = Workbench(unit=unit(params, FARM), charts=False)

    def texts(widget):
        if isinstance(widget, (w.Text, w.Textarea)):
            yield widget
        for child in getattr(widget, "children", ()):
            yield from texts(child)

    found = list(texts(wb.widget))
    assert wb.who in found and wb.opinion in found and wb.editors["g1r1"].reason in found
    assert len(found) > 4 * len(wb.editors)
    assert [t for t in found if t.continuous_update] == []


def test_switching_back_and_forth_reuses_rows_and_shows_each_unit(params: Path) -> None:
    wb = Workbench(unit=unit(params, CULTURE), charts=False)
    culture = {k: (e.name, e.tier.value, e.score.value) for k, e in wb.editors.items()}
    first_row = wb.editors["g1r1"]
    wb.unit.value = str(unit(params, FARM))
    assert wb.editors["g1r1"] is first_row  # the same widgets, pointed at the other unit
    farm = Workbench(unit=unit(params, FARM), charts=False)
    assert {k: (e.name, e.tier.value, e.score.value) for k, e in wb.editors.items()} == {
        k: (e.name, e.tier.value, e.score.value) for k, e in farm.editors.items()
    }
    assert [fe.text.value for fe in wb.finding_editors] == [fe.text.value for fe in farm.finding_editors]
    assert wb.card.value == farm.card.value and not wb.is_dirty()
    wb.unit.value = str(unit(params, CULTURE))
    assert {k: (e.name, e.tier.value, e.score.value) for k, e in wb.editors.items()} == culture
    assert wb.review.total == 95.40 and wb.editors["g1r1"].deduction.value == "2.00"

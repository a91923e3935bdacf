"""The widget workbench driven from Python: set widget values, read the score, click save."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from evalkit.pipeline import review
from evalkit.scoring.decisions import Decision, Decisions, load_decisions
from evalkit.workbench.editor import Workbench

ROOT = Path(__file__).resolve().parent.parent
CULTURE = "示例_某区文化和旅游局_公共文化服务提升项目"
HEALTH = "示例_某区卫生健康局_部门整体支出"


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
    assert wb.editors["g1r5"].tier.value == "partial" and wb.editors["g1r5"].score.value == 7.5
    assert wb.editors["g1r1"].deduction.value == 2.0
    assert 'data-total="95.40"' in wb.card.value
    assert CULTURE in {label for label, _ in wb.unit.options}
    assert "mof-2020" in wb.profile.options


def test_tier_and_score_update_live(params: Path) -> None:
    wb = Workbench(unit=unit(params, HEALTH), charts=True)
    before = wb.review.total
    editor = wb.editors["g1r5"]  # 居民健康素养水平, qualitative (weight 10)
    assert editor.score.disabled
    editor.tier.value = "not_achieved"
    assert (editor.score.min, editor.score.max, editor.score.value) == (0.0, 6.0, 6.0)
    editor.score.value = 4.5
    editor.score.value = 9.0  # outside the tier's range: the widget keeps it inside
    assert editor.score.value == 6.0
    editor.score.value = 4.5
    expected = review(
        unit(params, HEALTH), decisions=Decisions(items={"g1r5": Decision(tier="not_achieved", score=4.5)})
    )
    assert wb.review.total == expected.total == round(before - 8.0 + 4.5, 2)
    assert f'data-total="{expected.total:.2f}"' in wb.card.value
    assert bytes(wb.indicator_chart.value).startswith(b"\x89PNG")


def test_deduction_needs_reason_then_saves(params: Path) -> None:
    wb = Workbench(unit=unit(params, HEALTH), charts=False, who="李四")
    editor = wb.editors["g1r1"]
    editor.deduction.value = 1.5
    assert wb.review.card.deductions == 1.5
    assert wb.save() is None and "扣分理由" in wb.status.value
    path = unit(params, HEALTH).with_suffix(".review.yaml")
    assert not path.exists()
    editor.reason.value = "目标值偏低"
    editor.comment.value = "建议提高目标"
    wb.opinion.value = "总体情况良好"
    wb.save_button.click()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["items"] == {"g1r1": {"deduction": 1.5, "reason": "目标值偏低", "comment": "建议提高目标"}}
    assert data["opinion"] == "总体情况良好" and data["reviewer"] == "李四"
    (entry,) = data["history"]
    assert entry["who"] == "李四" and entry["items"] == ["g1r1"] and "扣分1.5" in entry["what"]
    assert "已保存" in wb.status.value
    # The saved file gives the same score as the widgets showed.
    assert review(unit(params, HEALTH), decisions=path).total == wb.review.total


def test_two_open_copies_save_without_losing_anything(params: Path) -> None:
    path = unit(params, CULTURE)
    first = Workbench(unit=path, charts=False, who="甲")
    second = Workbench(unit=path, charts=False, who="乙")
    first.editors["g1r6"].tier.value = "partial"
    first.editors["g1r6"].score.value = 7.0
    second.editors["g1r8"].deduction.value = 1.0
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
    wb = Workbench(unit=unit(params, CULTURE), charts=False)
    wb.unit.value = str(unit(params, HEALTH))
    assert wb.path == unit(params, HEALTH) and "g1r5" in wb.editors
    assert wb.editors["g1r5"].tier.value is None
    mof = wb.review.grade
    wb.profile.value = "province-80-70-60"
    assert wb.review.profile.name == "province-80-70-60"
    assert mof == "优" and wb.review.grade == "优"

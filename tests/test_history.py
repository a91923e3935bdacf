"""Last year beside this year: the 2023/2024 sample pair, O102 (指标值设置偏低 against last year's
actual, both figures in the message), matching by id or by name and kind, and the profile margin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from checks_support import Case, case_id, cases, context, ind, make

from evalkit.checks import CATALOGUE, catalogue
from evalkit.pipeline import review
from evalkit.report import conclusion as cc
from evalkit.scoring.profiles import load_profile

ROOT = Path(__file__).resolve().parent.parent
P2024 = ROOT / "parameters" / "2024"
CULTURE = "示例_某区文化和旅游局_公共文化服务提升项目"
SANITATION = "示例_某区城市管理局_环卫保洁服务项目"


def _pair(target: str, last: str | None, name: str = "阅读推广活动场次", level2: str = "数量指标") -> Case:
    """This year's filing with one row's target, and last year's with that row's actual (None: no last year)."""

    def case() -> object:
        this = make([ind(name, target, "60场", level2=level2)])
        prev = None if last is None else make([ind(name, "≥30场", last, level2=level2)])
        return this, prev

    case.__name__ = f"{target}-{last}"
    return case


FIRES: dict[str, list[Case]] = {
    "O102": [
        _pair("≥40场", "52场"),
        _pair("40场", "40.5场"),
        _pair("≤5元", "4.2元", "生均补助成本", "成本指标"),
        _pair("<2%", "1.2%", "投诉率", "质量指标"),
    ]
}
QUIET: dict[str, list[Case]] = {
    "O102": [
        _pair("≥40场", None),  # no last year
        _pair("≥40场", "40场"),  # equal to last year's actual
        _pair("≥40场", "35场"),
        _pair("≥40%", "52场"),  # another unit: not comparable
        _pair("达成预期指标", "达成预期指标"),
        _pair("≤5元", "5.5元", "生均补助成本", "成本指标"),
    ]
}


def _run(case: Case) -> list:
    this, prev = case()
    catalogue()
    ctx = context(this)
    ctx.cache["previous"] = prev
    return list(CATALOGUE["O102"].func(ctx))


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    found = _run(case)
    assert found and all(f.code == code and f.family == "over_target" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert _run(case) == []


def _o102(rv) -> list:
    return [f for f in rv.findings if f.code == "O102"]


def test_sample_pair_flags_targets_below_last_years_actual() -> None:
    rv = review(P2024 / f"{CULTURE}.yaml")
    found = {f.where: f.message for f in _o102(rv)}
    msg = found["目标1 第1行（送戏下乡场次）"]
    assert "≥60场" in msg and "2023年实际完成值128场" in msg and "指标值设置偏低" in msg
    assert "目标1 第8行（群众满意度）" in found  # ≥90% against 95% last year
    assert len(found) == 2  # the rows whose target just equals last year's actual are not flagged


def test_a_ceiling_above_last_years_actual_is_flagged() -> None:
    rv = review(P2024 / f"{SANITATION}.yaml")
    msgs = [f.message for f in _o102(rv)]
    assert any("目标上限≤6.5元高于2023年实际值6.3元" in m for m in msgs)
    assert not any("新能源" in m for m in msgs)  # 30% last year, ≥30% now: not lower


def test_no_last_year_means_no_finding_and_the_seed_stays() -> None:
    rv = review(P2024 / "武汉市蔡甸区红十字会.yaml")
    assert not _o102(rv) and cc.last_year(rv) is None
    assert rv.total == 99.28 and rv.grade == "优"


def test_matched_by_name_and_kind_when_the_file_is_renamed(tmp_path: Path) -> None:
    for year in ("2023", "2024"):
        (tmp_path / year).mkdir()
    shutil.copy(P2024 / f"{CULTURE}.yaml", tmp_path / "2024" / "culture.yaml")
    shutil.copy(ROOT / "parameters" / "2023" / f"{CULTURE}.yaml", tmp_path / "2023" / "other-name.yaml")
    rv = review(tmp_path / "2024" / "culture.yaml")
    assert len(_o102(rv)) == 2
    last = cc.last_year(rv, outputs=None)
    assert last is not None and last.year == 2023 and last.actuals["g1r1"] == "128场"
    assert last.source.endswith("other-name.yaml")
    # another kind of unit with the same name is not the same unit
    data = yaml.safe_load((tmp_path / "2023" / "other-name.yaml").read_text(encoding="utf-8"))
    data["unit"]["kind"] = "部门整体"
    (tmp_path / "2023" / "other-name.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    assert not _o102(review(tmp_path / "2024" / "culture.yaml"))


def test_margin_setting_tolerates_a_small_drop(tmp_path: Path) -> None:
    path = tmp_path / "lenient.yaml"
    path.write_text("name: lenient\nextends: mof-2020\nhistory:\n  target_margin: 0.1\n", encoding="utf-8")
    rv = review(P2024 / f"{CULTURE}.yaml", profile=load_profile(path))
    # 90 vs 95 is within 10 %; 60 vs 128 is not
    assert [f.where for f in _o102(rv)] == ["目标1 第1行（送戏下乡场次）"]


def test_last_year_review_uses_its_result_json_when_the_batch_left_one(tmp_path: Path) -> None:
    rv = review(P2024 / f"{CULTURE}.yaml")
    (tmp_path / "2023").mkdir()
    (tmp_path / "2023" / f"{CULTURE}.json").write_text(
        '{"year": 2023, "total": 88.5, "grade": "良", "indicators": [{"name": "送戏下乡场次", "actual": "120场"}]}',
        encoding="utf-8",
    )
    last = cc.last_year(rv, outputs=tmp_path)
    assert (
        last.total == 88.5
        and last.actuals == {"g1r1": "120场"}
        and last.change(rv.total) == round(rv.total - 88.5, 2)
    )
    assert "上年度（2023年）复核得分88.5分" in cc.draft_conclusion(rv, last)


def test_an_alias_bomb_in_last_years_folder_is_skipped(tmp_path: Path) -> None:
    # Matching by name reads each file's unit block: through the bounded loader, so a file that
    # expands a few lines into millions of items is passed over, not expanded.
    from evalkit.checks.history import _index

    levels = ["  a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdef", "bcdefg", strict=True):
        levels.append(f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    (tmp_path / "bomb.yaml").write_text("unit:\n" + "\n".join(levels) + "\n  name: [*g, *g, *g]\ngoals: []\n")
    (tmp_path / "ok.yaml").write_text("unit:\n  name: 某单位\n  kind: 项目\ngoals: []\n")
    assert _index(str(tmp_path), 1) == {("某单位", "项目"): str(tmp_path / "ok.yaml")}

"""复核口径 as data: the example profile's rules propose a 复核得分 per affected row with the rule
cited (K101 findings); upheld proposals become deductions whose reason cites the rule."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from checks_support import Case, case_id, cases

from evalkit.errors import ProfileError
from evalkit.pipeline import review
from evalkit.scoring import caliber
from evalkit.scoring.decisions import Decisions
from evalkit.scoring.profiles import load_profile

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "parameters" / "2024" / "武汉市蔡甸区红十字会.yaml"
NUTRITION = ROOT / "parameters" / "2024" / "示例_某区教育局_学生营养改善计划项目.yaml"


def _seed(profile: str) -> Case:
    def case() -> object:
        return review(SEED, profile=profile)

    case.__name__ = profile
    return case


FIRES: dict[str, list[Case]] = {"K101": [_seed("caliber-example")]}
QUIET: dict[str, list[Case]] = {"K101": [_seed("mof-2020"), _seed("province-80-70-60")]}


@pytest.mark.parametrize(("code", "case"), cases(FIRES), ids=case_id)
def test_fires(code: str, case: Case) -> None:
    rv = case()
    found = [f for f in rv.findings if f.code == code]
    assert found and len(found) == len(rv.proposals) and all(f.family == "caliber" for f in found)


@pytest.mark.parametrize(("code", "case"), cases(QUIET), ids=case_id)
def test_quiet(code: str, case: Case) -> None:
    assert [f for f in case().findings if f.code == code] == []


def test_example_profile_loads_and_the_default_has_no_rules() -> None:
    prof = load_profile("caliber-example")
    assert [r.id for r in prof.caliber] == ["K1", "K2", "K3", "K4", "K5"]
    assert prof.weights == load_profile("mof-2020").weights  # extends the default
    assert load_profile("mof-2020").caliber == ()


def test_proposals_on_the_seed_cite_their_rules_and_change_nothing_until_upheld() -> None:
    rv = review(SEED, profile="caliber-example")
    assert rv.total == 99.28  # proposals only
    by_row = {p.key: p for p in rv.proposals}
    sat = by_row["g1r10"]  # satisfaction without a survey (E101) → 0
    assert sat.rule.id == "K1" and sat.proposed == 0 and sat.current == pytest.approx(5.0)
    approx = by_row["g2r2"]  # 30余 (V103, info) → minus 30 %
    assert approx.rule.id == "K4" and approx.deduction == pytest.approx(0.3 * approx.weight)
    keep = by_row["g1r2"]  # far over target, above 130 %: not deducted
    assert keep.rule.keep and keep.deduction == 0
    k101 = [f for f in rv.findings if f.code == "K101"]
    assert len(k101) == len(rv.proposals)
    assert any(
        "依据复核口径K1“满意度无调查资料的计0分”" in f.message and "5.00调整为0.00" in f.message for f in k101
    )
    assert {f.severity for f in k101 if "不扣分" in f.message} == {"info"}


def test_upheld_proposals_become_deductions_citing_the_rule() -> None:
    rv = review(SEED, profile="caliber-example")
    upheld = [p for p in rv.proposals if p.rule.id in ("K1", "K4")]
    card = caliber.apply(rv.card, upheld, rv.profile)
    expected = round(rv.card.total - sum(p.deduction for p in upheld), 2)
    assert card.total == expected and card.grade == rv.profile.grade(expected)
    row = next(s for s in card.indicators if s.indicator.key == "g1r10")
    assert row.deduction == pytest.approx(5.0) and row.reviewer
    assert "依据复核口径K1“满意度无调查资料的计0分”" in row.deduction_reason
    untouched = next(s for s in card.indicators if s.indicator.key == "g1r2")
    assert untouched.deduction == 0


def test_a_rule_on_the_row_finding_and_its_severity(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nextends: mof-2020\ncaliber:\n"
        "  - {id: X1, title: 未说明偏差原因扣30%, when: {codes: [R101]}, deduct: 0.3}\n",
        encoding="utf-8",
    )
    rv = review(NUTRITION, profile=path)
    keys = {p.key for p in rv.proposals}
    flagged = {f"g{f.place[1]}r{f.place[2]}" for f in rv.findings if f.code == "R101"}
    scored = {s.indicator.key for s in rv.card.indicators if s.score - s.deduction > 0}
    assert keys == flagged & scored and keys  # a row already at 0 gets no proposal
    for p in rv.proposals:
        assert p.proposed == pytest.approx(max(p.current - 0.3 * p.weight, 0))


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("{id: X, title: t, when: {codes: [E101]}, score: 0, deduct: 0.5}", "只能设一个"),
        ("{id: X, title: t, when: {}, score: 0}", "至少要有一个条件"),
        ("{id: X, title: t, when: {severity: [error]}, score: 0}", "severity 只能与"),
        ("{id: X, title: t, when: {codes: [E101]}, score: 2}", "caliber.0.score"),
        ("{id: X, title: t, when: {codez: [E101]}, score: 0}", "codez"),
    ],
)
def test_bad_rules_are_refused_with_the_file_and_the_place(tmp_path: Path, rule: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\ncaliber:\n  - {rule}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and words in str(err.value)


class _Upheld(Decisions):
    """Decisions with finding dispositions (as the workbench records them): upheld by (code, where)."""

    def __init__(self, upheld: set[tuple[str, str]]) -> None:
        super().__init__()
        self._upheld = upheld

    def finding(self, code: str, where: str | None = None) -> object | None:  # (key) or (code, where)
        return SimpleNamespace(disposition="upheld") if (code, where) in self._upheld else None


def test_the_review_applies_the_proposals_the_reviewer_upheld() -> None:
    before = review(SEED, profile="caliber-example")
    sat = [f for f in before.findings if f.code == "K101" and "K1" in f.message]
    chosen = {(f.code, f.where) for f in sat[:1]}
    after = review(SEED, profile="caliber-example", decisions=_Upheld(chosen))
    assert after.total == round(before.total - 5.0, 2)
    row = next(s for s in after.card.indicators if s.indicator.key == "g1r10")
    assert "依据复核口径K1" in row.deduction_reason
    doc = after.to_json()
    item = next(i for i in doc["indicators"] if i["key"] == "g1r10")
    assert item["deduction"] == 5.0 and "依据复核口径K1“满意度无调查资料的计0分”" in item["deduction_reason"]
    # the other satisfaction row's proposal was not upheld: its score stands
    other = next(s for s in after.card.indicators if s.indicator.key == "g2r6")
    assert other.deduction == 0

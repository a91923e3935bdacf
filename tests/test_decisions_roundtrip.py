"""Decisions round-trip exactly: whatever a reviewer can enter — 0 included, fractions, empty and
long text, any characters — is saved and read back unchanged, and scores the same total.

A property test (hypothesis, 500 generated decision sets) plus the cases the rules refuse."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import DecisionsError
from evalkit.pipeline import review, row_key
from evalkit.readers import read_filing
from evalkit.scoring.decisions import (
    OPINION_LABELS,
    Decision,
    Decisions,
    FindingDecision,
    decisions_from_dict,
    disposition,
    dump_decisions,
    load_decisions,
)
from evalkit.scoring.profiles import load_profile
from evalkit.scoring.rules import score_filing
from evalkit.workbench.store import save_decisions

ROOT = Path(__file__).resolve().parent.parent
FARM = ROOT / "parameters" / "2024" / "示例_某区农业农村局_高标准农田建设项目.yaml"
FILING = read_filing(FARM)
FINDINGS = review(FILING).findings  # where they are does not depend on the decisions
KEYS = [ind.key for ind in FILING.indicators] + ["g9r1"]  # g9r1: a row the filing does not have
EXAMPLES = 500

text = st.text(max_size=30) | st.text(min_size=200, max_size=400)  # any characters, empty, long
reason = st.text(min_size=1, max_size=40).filter(lambda s: s.strip())
number = st.floats(min_value=0, max_value=20, allow_nan=False, allow_infinity=False)
scores = st.one_of(st.just(0.0), number, st.integers(0, 20).map(float))


@st.composite
def decision(draw: st.DrawFn) -> Decision:
    deduction = draw(st.one_of(st.just(0.0), number))
    return Decision(
        tier=draw(st.sampled_from([None, "achieved", "partial", "not_achieved"])),
        score=draw(st.one_of(st.none(), scores)),
        deduction=deduction,
        reason=draw(reason) if deduction else draw(text),
        comment=draw(text),
        target=draw(st.one_of(st.none(), text)),
        actual=draw(st.one_of(st.none(), text)),
    )


@st.composite
def finding(draw: st.DrawFn) -> FindingDecision:
    disposition = draw(st.sampled_from(["upheld", "set_aside"]))
    key = draw(st.sampled_from([f.key for f in FINDINGS] + ["N201@p3", "X999"]))
    return FindingDecision(
        key=key,
        code=key.split("@")[0],
        where=draw(text),
        disposition=disposition,
        reason=draw(reason) if disposition == "set_aside" else draw(text),
        message=draw(text),
    )


@st.composite
def decisions(draw: st.DrawFn) -> Decisions:
    found = draw(st.lists(finding(), max_size=5, unique_by=lambda f: f.key))
    return Decisions(
        unit=draw(text),
        reviewer=draw(text),
        first_reviewer=draw(text),
        profile=draw(st.sampled_from(["", "mof-2020", "province-80-70-60"])),
        opinion=draw(text),
        conclusion=draw(text),
        opinions=draw(st.dictionaries(st.sampled_from(list(OPINION_LABELS)), text, max_size=3)),
        items=draw(st.dictionaries(st.sampled_from(KEYS), decision(), max_size=len(KEYS))),
        findings=found,
        history=draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "who": text,
                        "when": st.just("2026-12-01T20:50:00+08:00"),
                        "what": text,
                        "items": st.lists(st.sampled_from(KEYS)),
                    }
                ),
                max_size=3,
            )
        ),
    )


def _without_empty(d: Decisions) -> Decisions:
    # An empty decision is no decision: the file leaves it out (what it means stays the same).
    return d.model_copy(update={"items": {k: v for k, v in d.items.items() if not v.is_empty()}})


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decisions())
def test_save_load_equal_and_same_total(d: Decisions) -> None:
    # The file's text reads back to equal decisions ...
    back = decisions_from_dict(yaml.safe_load(dump_decisions(d)), "property.review.yaml")
    assert back == _without_empty(d)
    # ... and so does a save through the workbench's store, on disk.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "u.review.yaml"
        saved = save_decisions(path, d, who=d.reviewer or "复核人")
        loaded = load_decisions(path)
    assert loaded == saved
    assert loaded.items == _without_empty(d).items and loaded.findings == d.findings
    assert (loaded.opinion, loaded.conclusion, loaded.opinions, loaded.profile) == (
        d.opinion,
        d.conclusion,
        d.opinions,
        d.profile,
    )
    # Scoring the loaded decisions gives the same total, grade and findings' dispositions.
    before, after = _scored(d), _scored(loaded)
    assert before == after


def _scored(d: Decisions) -> tuple[float, str, list[object]]:
    card = score_filing(FILING, load_profile(d.profile or None), d)
    deductions = {s.indicator.key: s.deduction for s in card.indicators}
    states = [
        disposition(f.key, f.code, d, key := row_key(f), deductions.get(key or "", 0.0)) for f in FINDINGS
    ]
    return (card.total, card.grade, states)


def test_the_property_test_runs_at_least_500_examples() -> None:
    assert test_save_load_equal_and_same_total.hypothesis.inner_test  # a hypothesis test
    assert EXAMPLES >= 500


def test_a_zero_score_is_kept() -> None:
    d = Decisions(items={"g1r8": Decision(tier="not_achieved", score=0.0)})
    data = yaml.safe_load(dump_decisions(d))
    assert data["items"]["g1r8"] == {"tier": "not_achieved", "score": 0.0}
    assert review(FILING, decisions=decisions_from_dict(data)).total == 87.60


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            {"g1r2": {"deduction": -1, "reason": "x"}},
            "目标1 第2行（items.g1r2） 扣分（deduction）：不能为负数",
        ),
        ({"g1r2": {"score": -0.5}}, "目标1 第2行（items.g1r2） 得分（score）：不能为负数"),
        ({"g1r2": {"deduction": 1.5}}, "目标1 第2行（items.g1r2）：有扣分 1.5 但未写扣分理由"),
        ({"g1r2": {"score": ".nan"}}, "目标1 第2行（items.g1r2） 得分（score）：应为"),
        ({"g1r2": {"tier": "好"}}, "等次（tier）：取值不在可选范围内"),
        ({"g1r2": {"scores": 1}}, "scores：未知字段"),
    ],
)
def test_refused_values_name_the_place_in_the_findings_words(items: dict, expected: str) -> None:
    data = yaml.safe_load(yaml.safe_dump({"items": items}))
    with pytest.raises(DecisionsError, match=r"u\.review\.yaml") as err:
        decisions_from_dict(data, "u.review.yaml")
    assert expected in str(err.value)


def test_every_error_is_reported_not_only_the_first() -> None:
    data = {
        "items": {"g1r2": {"deduction": -1, "reason": "x"}, "g2r3": {"tier": "好"}},
        "findings": [{"key": "D102@g1r4", "disposition": "set_aside"}],
    }
    with pytest.raises(DecisionsError) as err:
        decisions_from_dict(data, "u.review.yaml")
    text = str(err.value)
    assert "3处错误" in text and "目标1 第2行" in text and "目标2 第3行" in text
    assert "第1项发现处置：不采纳须写理由" in text


def test_files_written_before_the_format_mark_still_load() -> None:
    old = ROOT / "parameters" / "2024" / "示例_某区文化和旅游局_公共文化服务提升项目.review.yaml"
    raw = yaml.safe_load(old.read_text(encoding="utf-8"))
    assert "format" not in raw  # as written by the first workbench
    d = load_decisions(old)
    assert d.items["g1r5"] == Decision(tier="partial", score=7.5, comment=raw["items"]["g1r5"]["comment"])
    assert d.findings == [] and d.profile == "" and d.first_reviewer == ""
    assert dump_decisions(d).startswith("format: evalkit-review/2\n")

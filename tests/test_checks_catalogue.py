"""The catalogue itself: codes, families, descriptions, importer codes, the generated docs."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from evalkit.checks import (
    CATALOGUE,
    CHECK_FAILED,
    FAMILIES,
    Check,
    Context,
    at_row,
    catalogue,
    catalogue_markdown,
    run_checks,
)
from evalkit.cli import cli
from evalkit.errors import ProfileError
from evalkit.model import Finding, Problem
from evalkit.pipeline import review

ROOT = Path(__file__).resolve().parent.parent
LETTERS = {
    "arithmetic": "A",
    "formula": "F",
    "self_score": "S",
    "over_target": "O",
    "missing_reason": "R",
    "value": "V",
    "structure": "T",
    "narrative": "N",
    "date": "D",
    "evidence": "E",
    "internal": "X",
    "caliber": "K",
}
TEST_MODULES = [
    "test_checks_arithmetic",
    "test_checks_dates",
    "test_checks_evidence",
    "test_checks_formula",
    "test_checks_narrative",
    "test_checks_over_target",
    "test_checks_plausibility",
    "test_checks_reasons",
    "test_checks_self_score",
    "test_checks_structure",
    "test_checks_values",
    "test_history",
    "test_caliber",
]


def test_every_family_has_checks() -> None:
    families = {c.family for c in catalogue() if not c.code.startswith("IMPORT_")}
    assert families == set(FAMILIES)


def test_codes_are_stable_and_say_their_family() -> None:
    for c in catalogue():
        if c.code.startswith("IMPORT_"):
            continue
        assert re.fullmatch(r"[A-Z]1\d\d", c.code), c.code
        assert c.code[0] == LETTERS[c.family], c.code


def test_every_check_has_a_title_and_a_one_line_description() -> None:
    for c in catalogue():
        assert c.title and c.description, c.code
        assert "\n" not in c.description


def test_every_importer_code_is_listed() -> None:
    emitted: set[str] = set()
    for path in (ROOT / "evalkit" / "readers").glob("*.py"):
        emitted |= set(re.findall(r"^(IMPORT_[A-Z_]+)\s*=", path.read_text(encoding="utf-8"), re.M))
    assert emitted and emitted <= set(CATALOGUE)


def test_importer_problem_is_one_finding_with_the_listed_family(tmp_path: Path) -> None:
    seed = ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt"
    text = seed.read_text(encoding="utf-8").replace("\t202.98\n", "\t二百零三\n", 1)
    path = tmp_path / "bad_budget.txt"
    path.write_text(text, encoding="utf-8")
    found = [f for f in review(path).findings if f.code == "IMPORT_NUMBER"]
    assert len(found) == 1
    entry = CATALOGUE["IMPORT_NUMBER"]
    assert (found[0].family, found[0].severity) == (entry.family, entry.severity)


def test_run_checks_reports_a_fact_once() -> None:
    rv = review(ROOT / "tests" / "data" / "clean_department.txt")
    problem = Problem("IMPORT_ROW_SHORT", "structure", "warning", "目标1 第2行只有3个单元格", "目标1 第2行")
    rv.filing.problems = [problem, Problem(**problem.__dict__)]
    found = run_checks(Context(rv.filing, rv.profile, rv.card))
    assert [f.code for f in found] == ["IMPORT_ROW_SHORT"] and found[0].place == (2, 1, 2)


def test_every_check_has_a_firing_and_a_quiet_case() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for name in TEST_MODULES:
        module = importlib.import_module(name)
        fires |= {code for code, cases in module.FIRES.items() if cases}
        quiet |= {code for code, cases in module.QUIET.items() if cases}
    own = {c.code for c in catalogue() if c.kind == "check" and c.family != "internal"}
    assert own - fires == set()
    assert own - quiet == set()


def test_docs_are_generated_from_the_catalogue() -> None:
    docs = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert docs == catalogue_markdown() + "\n", (
        "docs/checks.md is stale: run `evalkit checks --markdown > docs/checks.md`"
    )


def test_cli_lists_and_documents_the_catalogue() -> None:
    result = CliRunner().invoke(cli, ["checks"])
    assert result.exit_code == 0
    for c in catalogue():
        assert c.code in result.output and c.title in result.output
    result = CliRunner().invoke(cli, ["checks", "--markdown"])
    assert result.exit_code == 0 and result.output == catalogue_markdown() + "\n"


@pytest.mark.parametrize("severity", ["error", "warning", "info"])
def test_severities_are_used(severity: str) -> None:
    assert any(c.severity == severity for c in catalogue())


def test_review_sorts_findings_and_fails_only_on_request() -> None:
    project = str(ROOT / "tests" / "data" / "project_sample.txt")
    runner = CliRunner()
    result = runner.invoke(cli, ["review", project, "--json"])
    assert result.exit_code == 0
    findings = json.loads(result.output)["findings"]
    order = [("error", "warning", "info").index(f["severity"]) for f in findings]
    assert order == sorted(order) and findings[0]["code"] in CATALOGUE
    # the fixture's inflated self-score: recomputed 98.28 against a declared 98.5
    assert {"S101", "S105"} <= {f["code"] for f in findings}
    assert runner.invoke(cli, ["review", project, "--fail-on", "error"]).exit_code == 1
    seed = str(ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt")
    assert runner.invoke(cli, ["review", seed, "--fail-on", "error"]).exit_code == 0
    assert runner.invoke(cli, ["review", seed, "--fail-on", "warning"]).exit_code == 1


# --- one finding model, selection by the profile, isolation --------------------------------------


@pytest.fixture
def seed_review():
    return review(ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt")


def _rerun(rv, **checks) -> list:
    profile = rv.profile.model_copy(update={"checks": rv.profile.checks.model_copy(update=checks)})
    return run_checks(Context(rv.filing, profile, rv.card))


def test_a_check_that_raises_is_a_finding_and_the_review_goes_on(seed_review, monkeypatch) -> None:
    before = {f.code for f in seed_review.findings}

    def broken(ctx):
        yield Finding("A199", "arithmetic", "error", "一半")
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(CATALOGUE, "A199", Check("A199", "arithmetic", "error", "测试用", broken))
    found = _rerun(seed_review)
    failed = [f for f in found if f.code == CHECK_FAILED]
    assert len(failed) == 1 and "A199" in failed[0].message and "ZeroDivisionError" in failed[0].message
    assert failed[0].params == {"check": "A199", "error": "ZeroDivisionError", "detail": "division by zero"}
    assert "A199" not in {f.code for f in found}  # the half-done check's findings are not kept
    assert {f.code for f in found} - {CHECK_FAILED} == before


def test_profile_ignores_selects_and_regrades(seed_review) -> None:
    codes = [f.code for f in seed_review.findings]
    assert "D101" in codes and "N101" in codes
    found = _rerun(seed_review, ignore=("D101",), severity={"N101": "error"})
    assert "D101" not in {f.code for f in found}
    assert {f.severity for f in found if f.code == "N101"} == {"error"}
    assert found[0].code == "N101"  # re-graded to error, it sorts first
    only = _rerun(seed_review, select=("narrative",), ignore=("N105",))
    assert {f.code for f in only} == {"N101", "N102", "N104"}
    # a code beats its family: selected by code under an ignored family
    back = _rerun(seed_review, select=("ALL", "N101"), ignore=("narrative",))
    assert {f.code for f in back if f.family == "narrative"} == {"N101"}


def test_profile_can_ignore_importer_codes(tmp_path: Path) -> None:
    seed = ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt"
    path = tmp_path / "bad_budget.txt"
    path.write_text(
        seed.read_text(encoding="utf-8").replace("\t202.98\n", "\t二百零三\n", 1), encoding="utf-8"
    )
    rv = review(path)
    assert "IMPORT_NUMBER" in {f.code for f in rv.findings}
    assert "IMPORT_NUMBER" not in {f.code for f in _rerun(rv, ignore=("IMPORT_",))}


def test_preview_and_retired_codes(seed_review, monkeypatch) -> None:
    def fires(code):
        return lambda ctx: [Finding(code, "date", "info", "测试用检查", "表头")]

    for code, lifecycle in (("D198", "preview"), ("D199", "retired")):
        entry = Check(code, "date", "info", code, fires(code), lifecycle=lifecycle)
        monkeypatch.setitem(CATALOGUE, code, entry)
    assert not {"D198", "D199"} & {f.code for f in _rerun(seed_review)}
    assert {"D198"} == {"D198", "D199"} & {f.code for f in _rerun(seed_review, select=("ALL", "D198"))}
    assert {"D198"} == {"D198", "D199"} & {f.code for f in _rerun(seed_review, preview=True)}
    assert "D199" not in {f.code for f in _rerun(seed_review, select=("D199",))}


@pytest.mark.parametrize(
    ("setting", "value"),
    [("select", ("ALL", "Q999")), ("ignore", ("nonsense",)), ("severity", {"Z101": "info"})],
)
def test_unknown_code_in_profile_is_an_error_naming_the_setting(seed_review, setting, value) -> None:
    with pytest.raises(ProfileError, match=rf"checks\.{setting}"):
        _rerun(seed_review, **{setting: value})


def test_importer_codes_take_family_and_severity_from_the_catalogue(seed_review) -> None:
    problem = Problem("IMPORT_HIDDEN", message="隐藏单元格有内容", where="工作表“自评表”")
    seed_review.filing.problems = [problem]
    found = [f for f in _rerun(seed_review) if f.code == "IMPORT_HIDDEN"]
    entry = CATALOGUE["IMPORT_HIDDEN"]
    assert [(f.family, f.severity) for f in found] == [(entry.family, entry.severity)]


def test_location_is_structured_one_based_and_said_in_the_same_words() -> None:
    ind = review(ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt").filing.goals[0].indicators[2]
    f = Finding(
        "V101",
        "value",
        "error",
        "目标值“abc”无法识别",
        at=at_row(ind, "target"),
        loc=ind.loc,
        input="abc",
        params={"text": "abc"},
    )
    assert f.where == f"目标1 第3行（{ind.name}） 目标值" and f.place == (2, 1, 3)
    data = f.to_json()
    assert data["loc"]["goal"] == 1 and data["loc"]["row"] == 3 and data["loc"]["field"] == "target"
    assert data["loc"]["source"] == {"file": "000_e048286feab7bdae.txt", "line": ind.loc.line}
    assert data["key"] == "V101@g1r3.target" and data["input"] == "abc" and data["params"] == {"text": "abc"}
    # the historical positional form still works and derives the structured location
    old = Finding("IMPORT_ROW_SHORT", "structure", "warning", "行太短", "目标2 第5行")
    assert old.at is not None and (old.at.goal, old.at.row, old.place) == (2, 5, (2, 2, 5))
    cell = Finding("IMPORT_NUMBER", "value", "error", "“十”不是可读的数字", "目标1 第2行 分值")
    assert cell.at is not None and cell.at.key == "g1r2.weight" and cell.where == "目标1 第2行 分值"


def test_review_json_findings_keep_the_stable_keys_and_add_location(seed_path: Path) -> None:
    data = json.loads(CliRunner().invoke(cli, ["review", str(seed_path), "--json"]).output)
    by_code = {f["code"]: f for f in data["findings"]}
    d101 = by_code["D101"]
    assert list(d101)[:5] == ["code", "family", "severity", "message", "where"]
    assert d101["loc"]["part"] == "unit" and d101["loc"]["source"]["line"] > 0
    n101 = next(f for f in data["findings"] if f["code"] == "N101")
    assert n101["loc"]["part"] == "narrative" and f"第{n101['loc']['paragraph']}段" in n101["where"]


def test_checks_code_explains_one(seed_path: Path) -> None:
    result = CliRunner().invoke(cli, ["checks", "import_number"])
    assert result.exit_code == 0
    assert "IMPORT_NUMBER" in result.output and "Why it matters: The budget rate" in result.output
    assert "由导入程序发出" in result.output
    a103 = CliRunner().invoke(cli, ["checks", "A103"]).output
    assert "checks.rate_tolerance（默认 0.01）" in a103
    missing = CliRunner().invoke(cli, ["checks", "Q999"])
    assert missing.exit_code == 2 and "Q999" in missing.output and "Traceback" not in missing.output


def test_every_stable_code_is_documented_in_full() -> None:
    for c in catalogue():
        if c.lifecycle == "stable":
            assert c.description and c.why and c.example, f"{c.code}: add Why: and Example: to its docstring"
    assert "cost_keywords" in CATALOGUE["V106"].settings  # declared in the docstring
    assert "checks.rate_tolerance" in CATALOGUE["A103"].settings  # found in its source
    docs = catalogue_markdown()
    assert "### IMPORT_NUMBER — 数字单元格无法识别" in docs and "**Why it matters.**" in docs

"""Scoring profiles: lookup by name or path, inheritance, validation that names the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ProfileError
from evalkit.scoring.profiles import load_profile


def test_default_profile_values() -> None:
    p = load_profile()
    assert p.name == "mof-2020"
    assert p.budget.points == 10
    assert (p.weights.output, p.weights.benefit, p.weights.satisfaction) == (50, 30, 10)
    assert p.max_total == 100
    assert p.over_target.threshold == 0.5
    assert p.over_target.auto_deduction == 0


def test_variant_extends_default() -> None:
    p = load_profile("province-80-70-60")
    assert p.reverse_formula == "ratio"
    assert p.grades == {"优": 80, "良": 70, "中": 60, "差": 0}
    assert p.weights.output == 50  # inherited


def test_profile_by_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\nextends: mof-2020\nover_target:\n  threshold: 1.0\n", encoding="utf-8")
    p = load_profile(path)
    assert p.name == "mine" and p.over_target.threshold == 1.0 and p.budget.points == 10


def test_unknown_profile_lists_available() -> None:
    with pytest.raises(ProfileError, match="mof-2020"):
        load_profile("no-such-profile")


def test_invalid_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nbudget:\n  points: ten\n", encoding="utf-8")
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert "budget.points" in str(exc.value) and "bad.yaml" in str(exc.value)


def test_typo_in_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("name: typo\nweigths:\n  output: 40\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="weigths"):
        load_profile(path)


def test_check_selection_settings_default_to_every_stable_code() -> None:
    c = load_profile().checks
    assert (c.select, c.ignore, c.severity, c.preview) == (("ALL",), (), {}, False)


def test_check_selection_is_inherited_and_validated(tmp_path: Path) -> None:
    path = tmp_path / "quiet.yaml"
    path.write_text(
        "name: quiet\nextends: mof-2020\nchecks:\n  ignore: [D101, narrative]\n  severity: {O101: info}\n",
        encoding="utf-8",
    )
    p = load_profile(path)
    assert p.checks.ignore == ("D101", "narrative") and p.checks.severity == {"O101": "info"}
    assert p.checks.rate_tolerance == 0.01  # the rest of checks: inherited
    path.write_text("name: bad\nchecks:\n  severity: {O101: fatal}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"checks\.severity\.O101"):
        load_profile(path)

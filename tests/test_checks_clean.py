"""Clean filings (a department-wide and a project table with nothing wrong) yield no finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.pipeline import review

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("name", ["clean_department.txt", "clean_project.txt"])
def test_clean_filing_has_no_warning_or_error(name: str) -> None:
    rv = review(DATA / name)
    assert [(f.code, f.where, f.message) for f in rv.findings if f.severity != "info"] == []
    assert rv.findings == []


def test_clean_filings_are_read_in_full() -> None:
    # The quiet result means something only if the checks had figures to compare.
    from evalkit.prose.reading import read_narrative

    for name, statements in (("clean_department.txt", 10), ("clean_project.txt", 10)):
        rv = review(DATA / name)
        reading = read_narrative(rv.filing)
        assert len(reading.statements) >= statements and reading.budget and reading.goals

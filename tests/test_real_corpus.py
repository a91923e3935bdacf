"""The corpus of real filings (tests/data/real/): every filing read, scored and checked as a careful
reviewer would (the expectations are worked out by hand from RULES.md, beside each filing).

The figures are those ``python tests/corpus_table.py`` prints. Per file: it is read (no exit 2) and
no error-severity finding falls on a row the expectation marks clean. Over the corpus the
project's targets are 98 % of the indicator rows scoring right (within 0.01) and 90 % of the
expected findings reported; the floors below are what main reaches today and only ever rise
(the rows and findings still missed are listed by the script, with the check that owns them).
"""

from __future__ import annotations

import pytest
from corpus_table import REAL, filings, measure, table

FILES = filings(REAL)
ROWS_FLOOR = 0.98  # the target
FINDINGS_FLOOR = 0.84  # target 0.90: the misses are V104, E101, A107, T109, V101, T102 (see the script)
pytestmark = pytest.mark.skipif(not FILES, reason="no corpus in tests/data/real")


@pytest.fixture(scope="module")
def results():
    return [measure(path, expect) for path, expect in FILES]


@pytest.mark.parametrize(("path", "expect"), FILES, ids=[p.name for p, _ in FILES])
def test_filing_is_read_without_false_errors(path, expect) -> None:
    result = measure(path, expect)
    assert result.read, result.error
    assert result.false_errors == 0, result.false


def test_indicator_rows_score_right(results) -> None:
    rows = sum(r.rows for r in results)
    right = sum(r.rows_right for r in results)
    assert rows and right / rows >= ROWS_FLOOR, table(results)


def test_expected_findings_are_reported(results) -> None:
    expected = sum(r.findings for r in results)
    hit = sum(r.findings_hit for r in results)
    assert expected and hit / expected >= FINDINGS_FLOOR, table(results)

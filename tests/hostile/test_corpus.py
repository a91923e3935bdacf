"""The hostile-input corpus (tests/hostile/corpus.py), one assertion per input on what the user sees.

Run alone with ``pytest -m hostile``; the table of inputs: ``python tests/hostile/corpus.py --list``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import Case, Seen, cases, run_corpus

pytestmark = [pytest.mark.hostile, pytest.mark.slow]

CASES = cases()


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Seen]:
    # Every command of the corpus, a few at a time (they are separate processes), and one batch run.
    return run_corpus(tmp_path_factory.mktemp("hostile"))


def test_corpus_is_large_and_covers_every_item() -> None:
    assert len(CASES) >= 60
    assert {1, 2, 3, 6, 7, 8, 10} <= {c.item for c in CASES}
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_input(case: Case, seen: dict[str, Seen]) -> None:
    s = seen[case.id]
    assert case.check(s), f"{case.what}: expected {case.expect}; saw {s.brief()}"


def test_nothing_written_outside_the_case_folders(seen: dict[str, Seen]) -> None:
    # Every case ran in its own folder under one base: nothing may appear beside them.
    base = next(iter(seen.values())).folder.parent
    expected = {c.id for c in CASES if not c.batch} | {"batch-project"}
    assert {p.name for p in base.iterdir()} == expected
    assert not list(Path(base).glob("*/victim/*.tmp"))

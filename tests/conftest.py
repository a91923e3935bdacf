"""Shared fixtures: the bundled sample filings."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "samples" / "seed" / "000_e048286feab7bdae.txt"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def seed_path() -> Path:
    return SEED


@pytest.fixture
def project_path() -> Path:
    return DATA / "project_sample.txt"

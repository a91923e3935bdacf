"""Shared fixtures: the bundled sample filings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(autouse=True)
def _fast_tests_start_no_kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # `pytest -m "not slow"` is the fast suite: a test that starts a Jupyter kernel must say so.
    if request.node.get_closest_marker("slow") or request.node.get_closest_marker("browser"):
        return
    from jupyter_client.provisioning import local_provisioner

    def refuse(*_args: object, **_kwargs: object) -> None:
        pytest.fail("this test starts a Jupyter kernel: mark it @pytest.mark.slow")

    from evalkit.batch import zygote

    monkeypatch.setattr(local_provisioner, "launch_kernel", refuse)
    monkeypatch.setattr(zygote, "fork_kernel", refuse)  # a kernel forked by the run's zygote


@pytest.fixture(scope="module")
def kernel_name() -> str:
    """The report kernel spec (written once per test module)."""
    from evalkit.batch.kernels import ensure_kernel

    return ensure_kernel()


@pytest.fixture
def warm(kernel_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A warm executor, closed after the test (tests that use it start a kernel: mark them slow)."""
    from evalkit.batch.executors import ExecutorSpec, WarmExecutor

    # Agg, as CI sets it: figures stay open across cells (the inline backend closes them itself).
    monkeypatch.setenv("MPLBACKEND", "Agg")
    executor = WarmExecutor(ExecutorSpec("warm", kernel_name, restart_every=50, timeout=60))
    yield executor
    executor.close()

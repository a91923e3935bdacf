"""Kernels forked from the run's zygote (evalkit.batch.zygote) behave like launched kernels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from batch_support import copy_project, normalized

from evalkit.batch import kernels, zygote
from evalkit.batch.runner import run_batch

pytestmark = [
    pytest.mark.slow,  # every test here starts kernels
    pytest.mark.skipif(not zygote.supported(), reason="kernels are forked on Linux only"),
]

FACTS = textwrap.dedent(
    """
    import json, os, sys
    preloaded = "evalkit.report.charts" in sys.modules
    import matplotlib
    print(json.dumps({
        "backend": matplotlib.get_backend(),
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "session_leader": os.getpid() == os.getsid(0),
        "ppid": os.getppid(),
        "marker": os.environ.get("EVALKIT_TEST_MARKER"),
        "zygote_env": os.environ.get("EVALKIT_ZYGOTE"),
        "preloaded": preloaded,
        "argv0": os.path.basename(sys.argv[0]),
    }))
    """
)


def facts(kernel: kernels.Kernel) -> dict:
    out: list[str] = []

    def hook(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = kernels.run_sync(kernel.kc.execute_interactive(FACTS, output_hook=hook, timeout=60))
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(out))


def gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(pid, 0); the zygote reaps its kernels at once.
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            if f.read().split(")")[-1].split()[0] == "Z":
                return True
        time.sleep(0.05)
    return False


@pytest.fixture
def zyg(monkeypatch: pytest.MonkeyPatch) -> Iterator[zygote.Zygote]:
    with zygote.Zygote.start() as z:
        monkeypatch.setenv(zygote.ENV, z.address)
        yield z


def test_a_forked_kernel_is_like_a_launched_one(
    zyg: zygote.Zygote, kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVALKIT_TEST_MARKER", "从请求来的环境")
    forked, _ = kernels.start(kernel_name, tmp_path)
    try:
        seen = facts(forked)
    finally:
        kernels.shutdown(forked)
    monkeypatch.setenv(zygote.ENV, zygote.OFF)
    launched, _ = kernels.start(kernel_name, tmp_path)
    try:
        usual = facts(launched)
    finally:
        kernels.shutdown(launched)
    assert seen["ppid"] == zyg.proc.pid and usual["ppid"] == os.getpid()
    assert seen["preloaded"] and not usual["preloaded"]  # what the zygote is for
    for key in ("backend", "cwd", "path0", "session_leader", "marker", "argv0"):
        assert seen[key] == usual[key], key
    assert seen["cwd"] == str(tmp_path) and seen["marker"] == "从请求来的环境"
    assert seen["zygote_env"] is None  # a report kernel is not told where to fork kernels


def test_a_killed_kernel_is_seen_dead_and_reaped(
    zyg: zygote.Zygote, kernel_name: str, tmp_path: Path
) -> None:
    kernel, _ = kernels.start(kernel_name, tmp_path)
    try:
        pid = kernel.pid
        assert pid is not None and kernel.is_alive()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while kernel.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not kernel.is_alive()
        assert gone(pid)
    finally:
        kernels.shutdown(kernel)


def test_shutdown_ends_the_kernel(zyg: zygote.Zygote, kernel_name: str, tmp_path: Path) -> None:
    kernel, _ = kernels.start(kernel_name, tmp_path)
    pid = kernel.pid
    assert pid is not None
    kernels.shutdown(kernel)
    assert gone(pid)


def test_a_kernel_ends_with_the_process_that_asked_for_it(zyg: zygote.Zygote, tmp_path: Path) -> None:
    # A launched kernel dies with its worker (JPY_PARENT_PID); a forked one watches the worker.
    code = textwrap.dedent(
        f"""
        import sys, time
        from evalkit.batch import kernels
        k, _ = kernels.start(kernels.ensure_kernel(), {str(tmp_path)!r})
        print(k.pid, flush=True)
        time.sleep(120)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ)
    try:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        assert gone(pid), "the kernel outlived the process that asked for it"
    finally:
        owner.kill()
        owner.wait()


def test_closing_the_zygote_ends_its_kernels(
    kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    z = zygote.Zygote.start()
    monkeypatch.setenv(zygote.ENV, z.address)
    kernel, _ = kernels.start(kernel_name, tmp_path)
    pid = kernel.pid
    assert pid is not None
    z.close()
    try:
        assert z.proc.returncode == 0
        assert gone(pid)
        assert not z.folder.exists()
    finally:
        kernels.shutdown(kernel)


def test_without_a_zygote_the_kernel_is_launched(
    kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zygote that died (or never came up) is not the unit's failure.
    monkeypatch.setenv(zygote.ENV, str(tmp_path / "no-such.sock"))
    kernel, retries = kernels.start(kernel_name, tmp_path)
    try:
        assert retries == 0
        assert facts(kernel)["ppid"] == os.getpid()
    finally:
        kernels.shutdown(kernel)


def test_the_zygote_refuses_what_is_not_a_kernel(zyg: zygote.Zygote) -> None:
    with pytest.raises(RuntimeError, match="ipykernel"):
        zygote.fork_kernel(zyg.address, ["/bin/sh", "-c", "echo hi"], dict(os.environ), "/")


@pytest.mark.parametrize("executor", ["warm", "fresh"])
def test_reports_are_the_same_with_and_without_the_zygote(
    executor: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outs = {}
    for mode in ("forked", "launched"):
        root = copy_project(tmp_path / mode)
        if mode == "launched":
            monkeypatch.setenv(zygote.ENV, zygote.OFF)
        result = run_batch(
            year="2024",
            jobs=2,
            parameters=root / "parameters",
            outputs=root / "outputs",
            progress=False,
            executor=executor,
        )
        assert result.exit_code == 0, [o.error for o in result.failed] or result.summary_error
        outs[mode] = root / "outputs" / "2024"
    pages = sorted(p.name for p in outs["forked"].glob("*.html"))
    assert pages and pages == sorted(p.name for p in outs["launched"].glob("*.html"))
    for name in pages:
        assert normalized(outs["forked"] / name) == normalized(outs["launched"] / name), name

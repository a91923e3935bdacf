"""``evalkit run --scheduler``: the batch on a real Dask cluster gives the local run's reports.

A LocalCluster of two worker processes, and a scheduler plus two workers started as separate
processes on loopback (``dask scheduler`` / ``dask worker``), as a two-machine deployment would
run them; a worker killed mid-run loses no unit; a worker that cannot see the folder (hidden
from it in a mount namespace of its own) stops the run at once with a message naming it. The
workers of both run with evalkit's quiet Dask configuration (``cluster.QUIET``), read in a task.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from batch_support import normalized

from evalkit.batch import plan as batch_plan
from evalkit.batch.cluster import QUIET, quiet_environment
from evalkit.batch.runner import run_batch
from evalkit.errors import EvalkitError

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
YEAR = "2024"
UNITS = [
    "武汉市蔡甸区红十字会",
    "示例_某区农业农村局_高标准农田建设项目",
    "示例_某区文化和旅游局_公共文化服务提升项目",
]


@pytest.fixture(autouse=True)
def fixed_code_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other work may edit evalkit while these tests run; both runs must hash the same code.
    monkeypatch.setattr(batch_plan, "code_fingerprint", lambda: "fixed-for-the-cluster-tests")


def workspace(dest: Path, units: list[str] = UNITS) -> Path:
    """A project with a few units of the year (parameters/, notebooks/)."""
    year = dest / "parameters" / YEAR
    year.mkdir(parents=True)
    shutil.copytree(ROOT / "parameters" / "profiles", dest / "parameters" / "profiles")
    for unit in units:
        for src in (ROOT / "parameters" / YEAR).glob(f"{unit}.*yaml"):
            shutil.copy(src, year / src.name)
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    return dest


def run_in(root: Path, **kwargs: object):
    return run_batch(
        year=YEAR,
        parameters=root / "parameters",
        outputs=root / "outputs",
        progress=False,
        force=True,
        **kwargs,
    )


def reports(root: Path) -> dict[str, str]:
    out = root / "outputs" / YEAR
    return {p.name: normalized(p) for p in sorted(out.glob("*.html"))}


def test_local_cluster_gives_the_local_pools_reports(tmp_path: Path) -> None:
    local = workspace(tmp_path / "local")
    cluster = workspace(tmp_path / "cluster")
    pool = run_in(local, jobs=2)
    dask = run_in(cluster, jobs=2, scheduler="local")
    assert pool.exit_code == 0 and dask.exit_code == 0
    assert [o.status for o in dask.outcomes] == ["ok"] * len(UNITS)
    assert dask.jobs == 2  # workers × threads
    mine, theirs = reports(cluster), reports(local)
    assert set(mine) == {f"{u}.html" for u in UNITS} | {"index.html"}
    assert mine == theirs


def _config_in_a_task() -> dict:
    # Runs as a task: what the worker process read, and what its event loop really schedules.
    import dask.config
    from distributed import get_worker

    callbacks = get_worker().periodic_callbacks
    return {
        "config": {key: dask.config.get(key) for key in QUIET},
        "profiler": "profile" in callbacks,
        "tick ms": callbacks["tick"].callback_time,
        "memory ms": callbacks["memory_monitor"].callback_time if "memory_monitor" in callbacks else None,
    }


QUIET_WORKER = {"config": QUIET, "profiler": False, "tick ms": 1000, "memory ms": 1000}


def test_local_cluster_workers_run_with_the_quiet_config() -> None:
    # The config is set around the LocalCluster's start only: it must reach the worker processes
    # (through their nannies) and leave this process's configuration as it was.
    import dask.config

    from evalkit.batch.cluster import connect

    before = {key: dask.config.get(key) for key in QUIET}
    client = connect("local", 2)
    try:
        assert {key: dask.config.get(key) for key in QUIET} == before
        workers = list(client.scheduler_info()["workers"])
        seen = [
            client.submit(_config_in_a_task, pure=False, workers=[w], allow_other_workers=False).result()
            for w in workers
        ]
        assert len(seen) == 2 and seen == [QUIET_WORKER] * 2
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()


def test_deploy_doc_gives_hand_started_workers_the_quiet_config() -> None:
    doc = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name, value in quiet_environment().items():
        assert f"{name}={value}" in doc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_workers(address: str, n: int, timeout: float = 120) -> None:
    from distributed import Client

    with Client(address, timeout="30s", set_as_default=False) as client:
        client.wait_for_workers(n, timeout=timeout)


@pytest.fixture()
def processes(tmp_path: Path) -> Iterator[dict]:
    """A scheduler on loopback; ``add(prefix=[…])`` starts a worker as a process of its own."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    # Started as docs/deploy.md says: with the quiet configuration in the environment. tests/ is
    # on their path so that they can unpickle this module's task functions.
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    env = dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg", **quiet_environment())
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    started: list[subprocess.Popen] = [
        _start(
            [*dask, "--host", "127.0.0.1", "--port", str(port), "--dashboard-address", "127.0.0.1:0"],
            tmp_path / "scheduler.log",
            env,
        )
    ]

    def add(prefix: list[str] = (), name: str = "w") -> subprocess.Popen:
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1"]
        cmd = [*prefix, *worker, "--name", name, "--dashboard-address", "127.0.0.1:0"]
        proc = _start(cmd, tmp_path / f"worker-{name}.log", env)
        started.append(proc)
        return proc

    try:
        yield {"address": address, "add": add}
    finally:
        for proc in reversed(started):
            _stop(proc)


def test_scheduler_and_workers_as_processes_lose_no_unit_when_a_worker_dies(
    tmp_path: Path, processes
) -> None:
    root = workspace(tmp_path / "ws")
    first = processes["add"](name="a")
    processes["add"](name="b")
    _wait_for_workers(processes["address"], 2)
    from distributed import Client

    with Client(processes["address"], timeout="30s", set_as_default=False) as client:
        assert client.submit(_config_in_a_task, pure=False).result() == QUIET_WORKER

    # Kill one worker process (and its kernel) while the units run: its units go to the other.
    def kill_soon() -> None:
        out = root / "outputs" / YEAR
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(out.glob("*.json")):
            time.sleep(0.2)
        os.killpg(first.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon, daemon=True)
    killer.start()
    result = run_in(root, scheduler=processes["address"])
    killer.join(timeout=5)
    assert first.poll() is not None, "the worker was not killed during the run"
    assert [o.status for o in result.outcomes] == ["ok"] * len(UNITS)
    out = root / "outputs" / YEAR
    assert {p.name for p in out.glob("*.html")} == {f"{u}.html" for u in UNITS} | {"index.html"}
    assert not list(out.glob(".staging-*"))


def test_a_worker_that_cannot_see_the_folder_stops_the_run_at_once(tmp_path: Path, processes) -> None:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to hide a folder from one worker")
    root = workspace(tmp_path / "ws")
    processes["add"](name="sees")
    # This worker lives in a mount namespace where the workspace is covered by an empty tmpfs.
    hide = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        f'mount -t tmpfs tmpfs "{root}" && exec "$@"',
        "sh",
    ]
    processes["add"](prefix=hide, name="blind")
    _wait_for_workers(processes["address"], 2)
    started = time.monotonic()
    with pytest.raises(EvalkitError) as refused:
        run_in(root, scheduler=processes["address"])
    message = str(refused.value)
    assert "无法访问" in message and str((root / "parameters").resolve()) in message
    assert "blind" in message or "tcp://" in message  # names the worker
    assert time.monotonic() - started < 60
    assert not list((root / "outputs" / YEAR).glob("*.html"))  # no unit was sent


class _RecordingExecutor:
    """Stands in for a warm executor: records the thread that started its kernel."""

    def __init__(self) -> None:
        self.started_on: int | None = None
        self.closed = False

    def start(self, cwd: Path) -> None:
        self.started_on = threading.get_ident()

    def close(self) -> None:
        self.closed = True


class _RecordingSpec:
    kernel_name = "evalkit-test"

    def create(self) -> _RecordingExecutor:
        return _RecordingExecutor()


def test_each_thread_starts_its_own_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    # A kernel client is bound to the event loop of the thread that started it: the plugin must
    # start nothing in setup (the worker's event loop) and start each thread's kernel on that thread.
    import dataclasses

    from evalkit.batch import cluster, kernels

    monkeypatch.setattr(kernels, "ensure_kernel", lambda: "evalkit-test")
    monkeypatch.setattr(dataclasses, "replace", lambda spec, **_kw: spec)
    plugin = cluster.WarmKernel(_RecordingSpec(), str(ROOT / "notebooks"))  # type: ignore[arg-type]
    plugin.setup(worker=None)
    assert plugin._executors == {}
    here = plugin.executor()
    assert plugin.executor() is here and here.started_on == threading.get_ident()
    other: list[_RecordingExecutor] = []
    thread = threading.Thread(target=lambda: other.append(plugin.executor()))
    thread.start()
    thread.join()
    assert other[0] is not here and other[0].started_on == thread.ident
    plugin.teardown(worker=None)
    assert here.closed and other[0].closed


def _count_new_loops(dask_worker: object) -> None:  # client.run passes the worker
    import asyncio

    made = {"loops": 0}
    original = asyncio.new_event_loop

    def counting() -> asyncio.AbstractEventLoop:
        made["loops"] += 1
        return original()

    asyncio.new_event_loop = counting  # type: ignore[assignment]
    dask_worker.ek_new_loops = made  # type: ignore[attr-defined]


def _new_loops(dask_worker: object) -> int:
    return dask_worker.ek_new_loops["loops"]  # type: ignore[attr-defined]


def test_units_on_a_worker_reuse_one_event_loop(tmp_path: Path) -> None:
    # Dask runs each task in a fresh copy of its context, where Jupyter keeps a thread's event
    # loop: without the plugin's lasting context, every unit made a new loop for its kernel client.
    from distributed import Client, LocalCluster

    from evalkit.batch import cluster
    from evalkit.batch.executors import ExecutorSpec
    from evalkit.batch.kernels import ensure_kernel

    root = workspace(tmp_path / "w")
    out = root / "outputs" / YEAR
    out.mkdir(parents=True)
    kernel = ensure_kernel()
    nb = root / "notebooks"
    tasks = batch_plan.plan_units(root / "parameters", out, YEAR, None, nb / "review.ipynb", out, kernel, nb)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        client.run(_count_new_loops)
        run = cluster.ClusterRun(client, ExecutorSpec("warm", kernel, 50, 600), nb)  # preheats
        start = next(iter(client.run(_new_loops).values()))
        # Two units a task (as a large run sends them): every unit comes back, each once.
        outcomes = list(run.outcomes(iter(tasks), 2, per_task=2))
        assert sorted(o.unit_id for o in outcomes) == sorted(t.unit_id for t in tasks)
        assert [o.status for o in outcomes] == ["ok"] * len(tasks)
        assert next(iter(client.run(_new_loops).values())) == start  # no loop per unit


def test_large_runs_send_several_units_a_task() -> None:
    from evalkit.batch.cluster import MAX_UNITS_PER_TASK, units_per_task

    # Small runs: one unit a task, so the progress bar moves unit by unit.
    assert units_per_task(6, 2) == 1 and units_per_task(0, 2) == 1
    assert units_per_task(40, 2) == 5
    # Large runs: at most MAX_UNITS_PER_TASK, never fewer than one task a thread.
    assert units_per_task(200, 2) == MAX_UNITS_PER_TASK == units_per_task(5000, 8)
    assert units_per_task(200, 64) == 1


def _kernel_environments(dask_worker: object) -> list[dict[str, str]]:
    from evalkit.batch import cluster

    plugin = dask_worker.plugins[cluster.PLUGIN_NAME]  # type: ignore[attr-defined]
    environs = []
    for executor in plugin._executors.values():
        raw = Path(f"/proc/{executor._kernel.pid}/environ").read_bytes()
        environs.append(dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item))
    return environs


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads a kernel's environment in /proc")
def test_kernels_do_not_inherit_the_nannys_malloc_trim(tmp_path: Path) -> None:
    # Dask's nanny gives its worker MALLOC_TRIM_THRESHOLD_=65536; a kernel with it spent ~7 ms
    # more system CPU a unit than a local run's kernel. The worker keeps it; its kernels do not.
    import dask.config
    from distributed import Client, LocalCluster

    from evalkit.batch import cluster
    from evalkit.batch.executors import ExecutorSpec
    from evalkit.batch.kernels import ensure_kernel

    preset = dask.config.get("distributed.nanny.pre-spawn-environ")
    assert preset.get("MALLOC_TRIM_THRESHOLD_") is not None, "Dask no longer sets it: drop this test"
    kernel = ensure_kernel()
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as lc,
        Client(lc) as client,
    ):
        assert set(client.run(os.environ.get, "OMP_NUM_THREADS").values()) == {"1"}  # the nanny's
        cluster.ClusterRun(client, ExecutorSpec("warm", kernel, 50, 600), ROOT / "notebooks")
        (environs,) = client.run(_kernel_environments).values()
        assert len(environs) == 1 and environs[0]["OMP_NUM_THREADS"] == "1"
        assert "MALLOC_TRIM_THRESHOLD_" not in environs[0]

"""``evalkit run --scheduler ADDRESS``: the units of a year on a Dask distributed cluster.

The contract on files: ``parameters/`` and ``outputs/`` lie on a path that every worker sees
under the same name (a shared mount); the notebooks too. :func:`check_paths` asks every worker
before any unit is sent, so a worker that cannot see the year's folder stops the run at once,
with the worker's address and the path in the message, instead of failing unit after unit.

Each worker thread keeps one warm kernel, as a local pool worker does: :class:`WarmKernel` is a
worker plugin that holds one executor per thread, started by that thread (a preheat task per
worker starts them before the first unit; the executor restarts its kernel every K units and
after an error). Units run one at a time per worker thread; a unit's own
failure is an outcome, not an exception, exactly as in a local run, so Dask only retries what
is lost with a worker (the scheduler re-runs the tasks of a worker that died).

A Dask task carries several units of a large run (:func:`units_per_task`): each task costs its
worker and the client a few milliseconds of messages whatever it does, as much as a tenth of a
unit. A task lost with its worker is run again whole; a unit's outputs are written atomically, so
a unit done twice leaves what it left once.

Dask's own periodic work is turned down for the cluster's life (:data:`QUIET`): each worker and
nanny otherwise samples its task thread's stack every 10 ms, checks its event loop every 20 ms
and its memory every 100 ms, which cost ``--scheduler local`` more CPU per unit than the units'
own bookkeeping. ``--scheduler local`` applies it to every process it starts; workers started by
hand read it from their own configuration (docs/deploy.md).

Only imported with ``--scheduler``: a local run does not import Dask.
"""

from __future__ import annotations

import contextvars
import os
import socket
import threading
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask.config
from distributed import Client, LocalCluster, WorkerPlugin, get_worker, wait

from evalkit.errors import EvalkitError

if TYPE_CHECKING:
    from evalkit.batch.executors import Executor, ExecutorSpec
    from evalkit.batch.plan import UnitTask
    from evalkit.batch.worker import UnitOutcome

PLUGIN_NAME = "evalkit-warm-kernel"
LOCAL = "local"
# Kernel starts and lost workers: a unit is tried this many more times before it is reported failed.
RETRIES = 2
# At most this many units in one Dask task. A task's messages (submit, assignment, "finished", the
# result fetched, the release) cost ~3 ms CPU in the worker and ~4.5 ms in the client (measured in
# bench/README.md, issue 15), 8 % of a warm unit; eight units a task make it 1 %, and a lost task
# re-runs at most eight units (about half a second of one worker).
MAX_UNITS_PER_TASK = 8
# ... and at least this many tasks per worker thread, so that the last tasks of a run spread over
# the workers instead of one worker finishing a long task alone.
MIN_TASKS_PER_THREAD = 4
# Dask configuration for the servers of a batch cluster. Every entry is a periodic callback on a
# server's event loop (or its interval); the defaults suit interactive dashboards, and woke each
# worker ~170 times a second. Measured in bench/README.md (issue 15): a LocalCluster of two
# workers idled at 40 ms CPU per second in its workers and 30 in the client process with Dask's
# defaults, 7 and 9 with these. Retries and lost-worker handling do not read any of them
# (heartbeats and the scheduler's worker TTL are left as they are).
QUIET: dict[str, Any] = {
    # The statistical profiler: samples the running task's stack every 10 ms (for the dashboard's
    # profile page, which a batch run does not show).
    "distributed.worker.profile.enabled": False,
    # Event-loop health check, every 20 ms by default; a loop blocked over 3 s is still reported.
    "distributed.admin.tick.interval": "1s",
    # Worker and nanny memory checks (spill, pause, terminate), every 100 ms by default; a worker
    # holds a few small outcomes (its kernel, a process of its own, is not in its memory).
    "distributed.worker.memory.monitor-interval": "1s",
    # CPU, memory, disk and network counters of each server, every 500 ms by default.
    "distributed.admin.system-monitor.interval": "5s",
    # GIL contention sampling every 1 ms when gilknocker is installed.
    "distributed.admin.system-monitor.gil.enabled": False,
}


# Dask's nannies start each worker with MALLOC_TRIM_THRESHOLD_=65536 (its pre-spawn environment),
# so that a worker holding large arrays hands freed memory back to the system. The worker's kernels
# inherited it: glibc then trims at every turn, and a kernel's unit cost ~7 ms more system CPU than
# in a local run (bench/README.md, issue 15). A kernel is a process of its own; it gets glibc's
# default, as a local run's kernels do. The worker process keeps Dask's setting.
_NANNY_TRIM = "MALLOC_TRIM_THRESHOLD_"


def kernel_environment() -> None:
    """Drop from this worker's environment what Dask's nanny set for the worker alone (above).

    Only a value equal to the one in Dask's pre-spawn configuration is dropped: a threshold set
    some other way (another value) is the operator's, and reaches the kernels.
    """
    preset = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    value = preset.get(_NANNY_TRIM)
    if value is not None and os.environ.get(_NANNY_TRIM) == str(value):
        del os.environ[_NANNY_TRIM]


def quiet_environment() -> dict[str, str]:
    """:data:`QUIET` as the ``DASK_…`` environment variables a ``dask worker`` started by hand reads."""
    return {
        "DASK_" + key.upper().replace(".", "__").replace("-", "_"): str(value) for key, value in QUIET.items()
    }


class ClusterError(EvalkitError):
    """The cluster cannot run the batch (unreachable, or a worker cannot see the files)."""


class WarmKernel(WorkerPlugin):
    """One executor (one warm kernel) per worker thread, started in the thread that uses it.

    The kernel's client is bound to the event loop of the thread that starts it: started in
    ``setup`` (on the worker's own event loop) and used from a task thread, every reply waited on
    another loop and units took a minute each. So ``setup`` starts nothing; :meth:`executor`
    starts the kernel on the task thread's first call, and :meth:`ClusterRun.preheat` makes that
    call on every worker before the first unit.
    """

    name = PLUGIN_NAME

    def __init__(self, spec: ExecutorSpec, cwd: str) -> None:
        self.spec = spec
        self.cwd = cwd
        # Made on the worker (a lock does not pickle): see setup.
        self._executors: dict[int, Executor] = {}
        self._lock: threading.Lock | None = None
        self._contexts: dict[int, contextvars.Context] = {}
        self._zygote: Any = None  # started on the worker, in setup

    def setup(self, worker: Any) -> None:
        from dataclasses import replace

        self._executors, self._lock = {}, threading.Lock()
        self._contexts: dict[int, contextvars.Context] = {}
        from evalkit.batch.kernels import ensure_kernel

        # The kernel spec lives per environment, found through this process's JUPYTER_PATH: a
        # worker started on its own (another host, another Python) writes and finds its own.
        self.spec = replace(self.spec, kernel_name=ensure_kernel())
        kernel_environment()  # before the zygote and kernels inherit it
        from evalkit.batch.zygote import Zygote

        # This worker's kernels (and their restarts) forked from a zygote of its own, as a local
        # run's are from the run's (evalkit.batch.zygote).
        self._zygote = Zygote.for_this_process()

    def executor(self) -> Executor:
        """This thread's executor, its kernel started (and prewarmed) on the first call."""
        ident = threading.get_ident()
        assert self._lock is not None, "the plugin is used before its setup"
        with self._lock:
            executor = self._executors.get(ident)
            fresh = executor is None
            if executor is None:
                executor = self._executors[ident] = self.spec.create()
        if fresh:  # outside the lock: the worker's other threads start theirs meanwhile
            executor.start(Path(self.cwd))
        return executor

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Call ``fn(*args)`` in this thread's own, lasting context (see below)."""
        ident = threading.get_ident()
        context = self._contexts.get(ident)
        if context is None:
            context = self._contexts[ident] = contextvars.copy_context()
        # Dask runs each task in a fresh copy of its event loop's context. Jupyter keeps the event
        # loop a thread's kernel client is bound to in a context variable, so in a fresh context
        # every unit made a new event loop and moved the client's sockets to it. One context per
        # thread, kept across tasks, keeps one loop per kernel client.
        return context.run(fn, *args)

    def teardown(self, worker: Any) -> None:
        executors, self._executors = list(self._executors.values()), {}
        for executor in executors:
            executor.close()
        zyg, self._zygote = self._zygote, None
        if zyg is not None:
            zyg.close()


def connect(address: str, workers: int) -> Client:
    """A client of the scheduler at ``address``; ``local`` starts a LocalCluster of ``workers``."""
    try:
        if address == LOCAL:
            # Processes, one thread each: every worker keeps its own kernel, as the local pool does.
            # No dashboard: its address was never shown to anyone. The nannies and the scheduler
            # read QUIET when they are made, and each nanny hands its configuration to the worker
            # process it starts, so the context need not outlive the start.
            with dask.config.set(QUIET):
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    host="127.0.0.1",
                )
            return Client(cluster, set_as_default=True)
        return Client(address, timeout="20s", set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"无法连接 Dask 调度器 {address}：{exc}") from exc


def worker_threads(client: Client) -> int:
    """Workers × threads: what ``--jobs`` means on a cluster."""
    return sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or 1


def _missing(paths: list[str]) -> tuple[str, list[str]]:
    # Runs on each worker: its host name and the paths it cannot see (or cannot write, for outputs).
    missing = [p for p in paths if not os.path.isdir(p)]
    return socket.gethostname(), missing


def check_paths(client: Client, parameters: Path, out_dir: Path, notebooks: Path) -> None:
    """Raise :class:`ClusterError` naming each worker that cannot see the year's folders."""
    paths = [str(parameters.resolve()), str(out_dir.resolve()), str(notebooks.resolve())]
    answers: dict[str, tuple[str, list[str]]] = client.run(_missing, paths)
    names = {addr: info.get("name", addr) for addr, info in client.scheduler_info()["workers"].items()}
    blind = [
        f"worker {names.get(addr, addr)}（{addr}，主机 {host}）看不到 {'、'.join(miss)}"
        for addr, (host, miss) in answers.items()
        if miss
    ]
    if not answers:
        raise ClusterError("Dask 集群中没有可用的 worker")
    if blind:
        raise ClusterError(
            "以下 worker 无法访问批处理所需的文件夹（参数、输出与笔记本须位于所有 worker 可见的同一路径，"
            "例如共享挂载）：" + "；".join(blind)
        )


def units_per_task(units: int, threads: int) -> int:
    """How many of a run's ``units`` one Dask task carries on a cluster of ``threads`` worker threads.

    One unit a task for small runs (the progress bar moves unit by unit), up to
    :data:`MAX_UNITS_PER_TASK` for large ones, keeping :data:`MIN_TASKS_PER_THREAD` tasks a thread.
    """
    return max(1, min(MAX_UNITS_PER_TASK, units // (max(1, threads) * MIN_TASKS_PER_THREAD)))


def _units_on_worker(tasks: list[UnitTask]) -> list[UnitOutcome]:
    from evalkit.batch.worker import run_unit

    plugin = get_worker().plugins[PLUGIN_NAME]
    return plugin.run(lambda: [run_unit(task, plugin.executor()) for task in tasks])


def _summary_on_worker(render: Callable[[Executor], Path]) -> Path:
    plugin = get_worker().plugins[PLUGIN_NAME]
    return plugin.run(lambda: render(plugin.executor()))


def _preheat_on_worker() -> str:
    plugin = get_worker().plugins[PLUGIN_NAME]
    plugin.run(plugin.executor)
    return get_worker().address


class ClusterRun:
    """The batch's units on a cluster: start the kernels, check the files, stream the outcomes."""

    def __init__(self, client: Client, spec: ExecutorSpec, notebooks: Path) -> None:
        self.client = client
        self.slots = worker_threads(client)
        self.client.register_plugin(WarmKernel(spec, str(notebooks.resolve())), name=PLUGIN_NAME)
        self.preheat()

    def preheat(self) -> None:
        """Start each worker's kernel before the first unit (one task pinned to each worker).

        Best effort: a worker whose kernel does not start fails its first unit as a local run would.
        """
        addresses = list(self.client.scheduler_info()["workers"])
        futures = [
            self.client.submit(
                _preheat_on_worker,
                pure=False,
                workers=[addr],
                allow_other_workers=False,
                key=f"preheat-{addr}",
            )
            for addr in addresses
        ]
        wait(futures)
        for fut in futures:
            fut.release()

    def units_per_task(self, units: int) -> int:
        """Units a task for a run of ``units`` on this cluster (:func:`units_per_task`)."""
        return units_per_task(units, self.slots)

    def outcomes(self, tasks: Iterator[UnitTask], window: int, per_task: int = 1) -> Iterator[UnitOutcome]:
        """Outcomes as units finish, ``per_task`` units a Dask task (see :func:`units_per_task`).

        At most ``window`` tasks are submitted and not yet reported; a task's outcomes come back
        together, in its units' order.
        """
        batches = iter(lambda: list(islice(tasks, per_task)), [])
        pending = {self._submit(batch) for batch in islice(batches, window)}
        while pending:
            done, not_done = wait(list(pending), return_when="FIRST_COMPLETED")
            pending = set(not_done)
            for fut in done:
                yield from fut.result()
                fut.release()
                batch = next(batches, None)
                if batch is not None:
                    pending.add(self._submit(batch))

    def _submit(self, batch: list[UnitTask]) -> Any:
        # pure=False: two runs of the same unit are two runs, never a cached result.
        first = batch[0]
        return self.client.submit(
            _units_on_worker,
            batch,
            pure=False,
            retries=RETRIES,
            key=f"units-{first.unit_id}-{len(batch)}-{id(first)}",
        )

    def summary(self, render: Callable[[Executor], Path]) -> Path:
        """Render the year's summary on a worker (it reads every result; the client stays small)."""
        return self.client.submit(_summary_on_worker, render, pure=False).result()

    def close(self) -> None:
        """Disconnect; a LocalCluster started by :func:`connect` is stopped too."""
        cluster = getattr(self.client, "cluster", None)
        self.client.close()
        if cluster is not None:
            cluster.close()

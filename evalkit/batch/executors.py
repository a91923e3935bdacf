"""Ways to run a unit's notebook: ``warm`` (a kept kernel, reset between units) and ``fresh``.

- ``fresh``: papermill runs each notebook in a kernel of its own. The next kernel boots while the
  current notebook runs, so its start costs CPU but no waiting.
- ``warm`` (the default): one kernel per worker with evalkit, pandas and matplotlib already
  imported (:mod:`evalkit.batch.kernelstate`), reused across notebooks and reset before each one (user
  namespace, figures, rcParams, options, folder); restarted every ``restart_every`` notebooks and
  after any error, timeout or death. Quarto's execute daemon is the model. The notebook runs
  through ``papermill.execute_notebook`` with evalkit's engine for a kept kernel
  (:mod:`evalkit.batch.engine`), so both executors give the same executed notebook.

Both raise what papermill raises: :class:`papermill.exceptions.PapermillExecutionError` for a
cell's error (the executed notebook, with papermill's error markers, is written to ``output``),
``nbclient``'s ``CellTimeoutError`` for a cell over the timeout, ``DeadKernelError`` when the kernel
died on the same notebook twice (once is retried in a new kernel), and
:class:`evalkit.errors.KernelError` when no kernel would start. :meth:`Executor.close` never hangs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.batch import kernels
from evalkit.batch.kernels import KERNEL_NAME, Kernel
from evalkit.errors import KernelError

EXECUTORS = ("warm", "fresh")
DEFAULT_EXECUTOR = "warm"
RESTART_EVERY = 50  # notebooks per warm kernel: bounds what a long-lived kernel can accumulate
CELL_TIMEOUT = 600.0  # seconds per cell; a report cell that takes longer is stuck
DEAD_KERNEL_ATTEMPTS = 2  # a notebook whose kernel died is run once more in a new kernel
_BOOKKEEPING = 60.0  # seconds for a reset or a change of folder inside the kernel

log = logging.getLogger(__name__)

_PREWARM = "__import__('evalkit.batch.kernelstate').batch.kernelstate.prewarm()"
_BEGIN = "__import__('evalkit.batch.kernelstate').batch.kernelstate.begin({cwd!r}, reset={reset!r})"


@dataclass
class Stats:
    """What an executor went through: kernels started, failed starts retried, notebooks re-run."""

    kernels: int = 0
    start_retries: int = 0
    reruns: int = 0


@dataclass(frozen=True)
class ExecutorSpec:
    """How to build an executor (picklable: worker processes build their own from it)."""

    name: str = DEFAULT_EXECUTOR
    kernel_name: str = KERNEL_NAME
    restart_every: int = RESTART_EVERY
    timeout: float | None = CELL_TIMEOUT

    def create(self) -> Executor:
        """A new executor of this kind."""
        if self.name == "warm":
            return WarmExecutor(self)
        if self.name == "fresh":
            return FreshExecutor(self)
        raise ValueError(f"unknown executor {self.name!r}; one of {', '.join(EXECUTORS)}")


class Executor:
    """Runs notebooks one after the other in this process; see the module doc."""

    def __init__(self, spec: ExecutorSpec) -> None:
        self.spec = spec
        self.stats = Stats()

    def start(self, cwd: Path) -> None:
        """Get ready in ``cwd`` ahead of the first notebook (best effort: a failure shows on that notebook)."""

    def execute(
        self, notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path
    ) -> Any:  # pragma: no cover - abstract
        """Run ``notebook`` with ``parameters`` in ``cwd``; returns the executed ``NotebookNode``."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop every kernel this executor started (bounded time; safe to call twice)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FreshExecutor(Executor):
    """A new kernel per notebook, run by ``papermill.execute_notebook``."""

    def __init__(self, spec: ExecutorSpec) -> None:
        super().__init__(spec)
        self._spare: Kernel | None = None

    def _take(self, cwd: Path) -> Kernel:
        spare, self._spare = self._spare, None
        if spare is not None and spare.cwd != str(cwd):
            kernels.shutdown(spare)
            spare = None
        kernel, retries = kernels.start(self.spec.kernel_name, cwd, pending=spare)
        self.stats.kernels += 1
        self.stats.start_retries += retries
        return kernel

    def _prelaunch(self, cwd: Path) -> None:
        # The next notebook's kernel boots while this one runs; it has run nothing when it is used.
        try:
            self._spare = kernels.launch(self.spec.kernel_name, cwd)
        except Exception as exc:  # the next notebook starts (and retries) its own
            log.warning("could not pre-launch a kernel: %s", exc)
            self._spare = None

    def execute(self, notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path) -> Any:
        """Run the notebook with papermill in a kernel that has run nothing before."""
        import papermill as pm
        from nbclient.exceptions import DeadKernelError

        for attempt in range(1, DEAD_KERNEL_ATTEMPTS + 1):
            kernel = self._take(cwd)
            self._prelaunch(cwd)
            try:
                return pm.execute_notebook(
                    str(notebook),
                    str(output),
                    parameters=parameters,
                    kernel_name=self.spec.kernel_name,
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                    cwd=str(cwd),
                    execution_timeout=self.spec.timeout,
                    km=kernel.km,
                )
            except DeadKernelError:
                if attempt == DEAD_KERNEL_ATTEMPTS:
                    raise
                self.stats.reruns += 1
                log.warning("kernel died running %s; running it again in a new kernel", notebook)
            finally:
                kernels.shutdown(kernel)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Stop the pre-launched kernel, if any."""
        spare, self._spare = self._spare, None
        if spare is not None:
            kernels.shutdown(spare)


class WarmExecutor(Executor):
    """One kernel, prewarmed, reused for ``restart_every`` notebooks."""

    # Fewer round trips per notebook (evalkit.batch.engine): consecutive cells share a request.
    # Off: a request per cell, as papermill's own engine sends them (the benchmark's "before").
    # The reset stays a silent request of its own: folding it into the notebook's request saved
    # 1.7 ms CPU a unit (bench/README.md), not worth a second way for a reset to fail.
    batch_cells = True

    def __init__(self, spec: ExecutorSpec) -> None:
        super().__init__(spec)
        self._kernel: Kernel | None = None

    def start(self, cwd: Path) -> None:
        """Start and prewarm the kernel now, in ``cwd`` (best effort)."""
        try:
            self._ensure(cwd)
        except Exception as exc:  # the first notebook will try again and report it
            log.warning("could not start a warm kernel: %s", exc)

    def _ensure(self, cwd: Path) -> Kernel:
        if self._kernel is not None and not self._kernel.is_alive():
            self._discard()
        if self._kernel is None:
            kernel, retries = kernels.start(self.spec.kernel_name, cwd)
            self.stats.kernels += 1
            self.stats.start_retries += retries
            try:
                self._silent(kernel, _PREWARM, timeout=kernels.STARTUP_TIMEOUT)
            except Exception as exc:
                kernels.shutdown(kernel)
                raise KernelError(f"内核预热失败：{type(exc).__name__}：{exc}") from exc
            self._kernel = kernel
        return self._kernel

    def _ready(self, cwd: Path) -> Kernel:
        """The kernel, reset from its last notebook and in ``cwd``; a new one if the reset fails."""
        for attempt in range(2):
            kernel = self._ensure(cwd)
            try:
                self._silent(
                    kernel, _BEGIN.format(cwd=str(cwd), reset=kernel.units > 0), timeout=_BOOKKEEPING
                )
                return kernel
            except Exception as exc:
                if attempt:
                    raise KernelError(f"内核重置失败：{type(exc).__name__}：{exc}") from exc
                log.warning("warm kernel reset failed (%s); starting a new one", exc)
                self._discard()
        raise AssertionError("unreachable")  # pragma: no cover

    def _discard(self) -> None:
        kernel, self._kernel = self._kernel, None
        if kernel is not None:
            kernels.shutdown(kernel)

    def _silent(self, kernel: Kernel, code: str, timeout: float) -> None:
        """Run bookkeeping code in the kernel: no output, no history, no execution count."""
        reply = kernels.run_sync(
            kernel.kc.execute_interactive(
                code,
                silent=True,
                store_history=False,
                allow_stdin=False,
                timeout=timeout,
                output_hook=lambda _msg: None,
            )
        )
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    def execute(self, notebook: Path, output: Path, parameters: dict[str, Any], cwd: Path) -> Any:
        """Run the notebook in the warm kernel (reset first); a new kernel after errors or K units."""
        from nbclient.exceptions import DeadKernelError

        for attempt in range(1, DEAD_KERNEL_ATTEMPTS + 1):
            kernel = self._ready(cwd)
            try:
                nb = self._run(kernel, notebook, output, parameters)
            except DeadKernelError:
                self._discard()
                if attempt == DEAD_KERNEL_ATTEMPTS:
                    raise
                self.stats.reruns += 1
                log.warning("kernel died running %s; running it again in a new kernel", notebook)
                continue
            except BaseException:
                # An error or timeout may leave the kernel half-way through anything: replace it.
                self._discard()
                raise
            kernel.units += 1
            if kernel.units >= self.spec.restart_every:
                self._discard()
            return nb
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, kernel: Kernel, notebook: Path, output: Path, parameters: dict[str, Any]) -> Any:
        import papermill as pm

        from evalkit.batch.engine import ENGINE_NAME

        return pm.execute_notebook(
            str(notebook),
            str(output),
            parameters=parameters,
            engine_name=ENGINE_NAME,
            kernel_name=self.spec.kernel_name,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            cwd=None,  # the kernel is already in the unit's folder (kernelstate.begin)
            execution_timeout=self.spec.timeout,
            start_timeout=kernels.STARTUP_TIMEOUT,
            km=kernel.km,
            kc=kernel.kc,
            batch_cells=self.batch_cells,
        )

    def close(self) -> None:
        """Stop the kernel."""
        self._discard()


def default_jobs() -> int:
    """Worker processes when none are asked for: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return os.cpu_count() or 1

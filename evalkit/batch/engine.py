"""A papermill engine that runs notebooks in a kernel that is already running, and leaves it running.

papermill's default engine (``nbclient``) starts a kernel for each notebook and stops it after.
:class:`KeptKernelEngine` takes the running kernel as two engine arguments — ``km`` (its
``KernelManager``) and ``kc`` (a started client) — so the warm executor can reuse one prewarmed
kernel for many notebooks while papermill keeps doing everything else (parameters, cell metadata,
error markers, the executed notebook). It is registered in papermill's engine registry under
:data:`ENGINE_NAME` and called through the public API::

    papermill.execute_notebook(src, dst, parameters, engine_name=ENGINE_NAME, km=km, kc=kc)

**Fewer round trips.** Each execute request costs both processes CPU (messages, nbclient's polling
tasks, papermill's per-cell bookkeeping) whatever the cell does. So, by default (``batch_cells=True``),
a run of consecutive code cells goes to the kernel as *one* request: a small runner, executed in a
namespace of its own, runs each cell's source with ``InteractiveShell.run_cell`` — the same call
the kernel makes for a request, so each cell keeps its execution count, its ``execute_result``,
its traceback — and publishes a marker (a ``display_data`` of :data:`MARKER_MIME`) before each
cell. The client routes every output that follows a marker onto that marker's cell, so the
executed notebook has each cell's outputs, execution count and papermill metadata on that cell, as
if it had been sent alone. The runner stops at the first cell that fails; that cell carries the
error and papermill reports it as usual (:class:`papermill.exceptions.PapermillExecutionError`
naming the cell by its execution count); later cells do not run. The timeout stays per cell:
a cell that runs longer than ``execution_timeout`` raises ``CellTimeoutError`` naming it. Cells
nbclient does not send (markdown, empty, ``skip-execution``) do not split a run. Cells that cannot
share a request run alone, as nbclient sends them: those with top-level ``await`` (the kernel runs
them on its own event loop) or a ``raises-exception`` tag, and every cell when errors are allowed
(``allow_errors``, ``allow_error_names``), streams are coalesced, or the kernel is not IPython.
``batch_cells=False`` sends every cell alone.

The caller owns the kernel: resetting it between notebooks and stopping it are
:mod:`evalkit.batch.executors`' job.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import Engine, papermill_engines

__all__ = ["ENGINE_NAME", "MARKER_MIME", "KeptKernelEngine", "register"]

ENGINE_NAME = "evalkit-kept-kernel"
MARKER_MIME = "application/x.evalkit-cell+json"  # the runner's marker before each cell
log = logging.getLogger(__name__)

# Runs in the kernel, in a namespace of its own (the user's namespace is not touched), with
# ``cells`` (the sources) and ``mime`` given. run_cell is what the kernel calls for an
# execute request: transforms, magics, the displayed last expression, the execution count and the
# traceback are a cell's own. A marker (display_data, which flushes stdout/stderr first) tells the
# client where each cell's outputs begin.
_RUNNER = """\
from IPython import get_ipython
from IPython.display import publish_display_data
shell = get_ipython()
for index, source in enumerate(cells):
    publish_display_data({mime: {"cell": index, "count": shell.execution_count}})
    if not shell.run_cell(source, store_history=True).success:
        publish_display_data({mime: {"failed": index}})
        break
"""
_ASYNC = re.compile(r"\b(await|async)\b")  # top-level await runs on the kernel's own loop: alone


class _Batch:
    """The code cells of one shared request, and the one its outputs go to now."""

    def __init__(self, indices: list[int], cells: list[Any], passengers: dict[int, list[int]]) -> None:
        self.indices = indices
        self.cells = cells
        self.passengers = passengers  # position -> the cells nbclient skips just before it
        self.position = 0  # the cell outputs go to: the first until a marker moves it
        self.started = False  # the first cell's marker arrived
        self.failed = False
        self.deadline: float | None = None

    @property
    def cell(self) -> Any:
        return self.cells[self.position]

    @property
    def index(self) -> int:
        return self.indices[self.position]


class BatchingClient(PapermillNotebookClient):
    """papermill's notebook client, sending runs of code cells as one request (see the module doc)."""

    def __init__(self, nb_man: Any, batch_cells: bool = True, **kwargs: Any) -> None:
        super().__init__(nb_man, **kwargs)
        self.batch_cells = batch_cells
        self.batch: _Batch | None = None
        self.cell_timeout = self.timeout_func  # a caller's per-cell timeout, if any

    def kind(self, cell: Any) -> str:
        """``batch``: may share a request; ``skipped``: nbclient does not send it (markdown, an
        empty or skip-tagged cell); ``alone``: a request of its own (see the module doc)."""
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or not cell.source.strip() or self.skip_cells_with_tag in tags:
            return "skipped"
        # Errors that let the notebook go on, streams merged per cell, top-level await, or a
        # kernel that is not IPython: nbclient's own way.
        if (
            not self.batch_cells
            or self.allow_errors
            or self.allow_error_names
            or self.coalesce_streams
            or "raises-exception" in tags
            or _ASYNC.search(cell.source)
            or self.kernel_language() != "python"
        ):
            return "alone"
        return "batch"

    def kernel_language(self) -> str:
        """The kernel's language from its spec ("" when unknown)."""
        try:
            return str(self.km.kernel_spec.language).lower()
        except Exception:
            return ""

    def runs(self) -> list[list[int]]:
        """The cells' indices in order, grouped: a run of batchable cells, with the skipped cells
        between them, shares a request; every other cell is a group of its own."""
        groups: list[list[int]] = []
        run: list[int] = []
        between: list[int] = []  # skipped cells after the run's last batchable one
        for index, cell in enumerate(self.nb.cells):
            kind = self.kind(cell)
            if kind == "batch":
                run += [*between, index]
                between = []
            elif kind == "skipped" and run:
                between.append(index)
            else:
                if run:
                    groups.append(run)
                groups += [[i] for i in between]
                run, between = [], []
                groups.append([index])
        if run:
            groups.append(run)
        groups += [[i] for i in between]
        return groups

    def timeout_of(self, cell: Any) -> float | None:
        """Seconds the cell may run (None: no limit), as nbclient decides it."""
        timeout = self.cell_timeout(cell) if self.cell_timeout is not None else self.timeout
        return timeout if timeout and timeout > 0 else None

    def papermill_execute_cells(self) -> None:
        """Run the cells as papermill does, with one request per run of batchable cells."""
        from nbclient.exceptions import CellExecutionError

        for group in self.runs():
            index = group[0]
            cell = self.nb.cells[index]
            if self.kind(cell) == "batch":
                if self._execute_run(group):
                    break
                continue
            # papermill's own loop body (PapermillNotebookClient.papermill_execute_cells).
            try:
                self.nb_man.cell_start(cell, index)
                self.execute_cell(cell, index)
            except CellExecutionError as ex:
                self.nb_man.cell_exception(self.nb.cells[index], cell_index=index, exception=ex)
                break
            finally:
                self.nb_man.cell_complete(self.nb.cells[index], cell_index=index)

    def _execute_run(self, group: list[int]) -> bool:
        """Run a group of :meth:`runs` as one request; True if one of its cells failed."""
        from nbclient.exceptions import CellExecutionError

        indices: list[int] = []
        passengers: dict[int, list[int]] = {}
        for i in group:
            if self.kind(self.nb.cells[i]) == "batch":
                indices.append(i)
            else:
                passengers.setdefault(len(indices), []).append(i)
        batch = _Batch(indices, [self.nb.cells[i] for i in indices], passengers)
        failure: CellExecutionError | None = None
        try:
            self._send(batch)
        except CellExecutionError as ex:  # the request itself failed (an interrupt, …)
            failure = ex
        except BaseException:  # a timeout or a dead kernel: papermill's metadata, then raise
            if not batch.started:
                self.nb_man.cell_start(batch.cell, batch.index)
            self.nb_man.cell_complete(batch.cell, cell_index=batch.index)
            raise
        if not batch.started:
            self.nb_man.cell_start(batch.cell, batch.index)
        elif not batch.failed:
            from nbclient.client import timestamp

            self._finish(batch, timestamp())
        if failure is not None or batch.failed:
            if failure is None:
                errors = [o for o in batch.cell.outputs if o.output_type == "error"]
                content = errors[-1] if errors else {"ename": "CellExecutionError", "evalue": ""}
                failure = CellExecutionError.from_cell_and_msg(batch.cell, content)
            self.nb_man.cell_exception(batch.cell, cell_index=batch.index, exception=failure)
        self.nb_man.cell_complete(batch.cell, cell_index=batch.index)
        return failure is not None

    def _send(self, batch: _Batch) -> None:
        from jupyter_core.utils import run_sync
        from nbformat.v4 import new_code_cell

        sources = [c.source for c in batch.cells]
        request = new_code_cell(f"exec({_RUNNER!r}, {{'cells': {sources!r}, 'mime': {MARKER_MIME!r}}})")
        first = batch.index
        held = self.nb.cells[first]
        self.batch = batch
        try:
            run_sync(self._async_send)(batch, request, first)
        finally:
            self.batch = None
            self.nb.cells[first] = held  # nbclient puts the cell it sent at its index

    async def _async_send(self, batch: _Batch, request: Any, first: int) -> None:
        """Send the request and wait, with each cell's own deadline (nbclient's would span all)."""
        from nbclient.exceptions import CellTimeoutError

        before = asyncio.all_tasks()
        per_cell = self.timeout_of(batch.cell)
        batch.deadline = None if per_cell is None else time.monotonic() + per_cell
        self.timeout_func = lambda cell: None if cell is request else self.timeout_of(cell)
        task = asyncio.ensure_future(self.async_execute_cell(request, first, store_history=False))
        try:
            while True:
                wait = None if batch.deadline is None else max(0.0, batch.deadline - time.monotonic())
                done, _ = await asyncio.wait({task}, timeout=wait)
                if done:
                    task.result()
                    return
                if batch.deadline is not None and time.monotonic() >= batch.deadline:
                    # nbclient's own tasks for this request (output and liveness polls) end too.
                    for other in asyncio.all_tasks() - before:
                        if other is not asyncio.current_task():
                            other.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    timeout = self.timeout_of(batch.cell) or 0
                    raise CellTimeoutError.error_from_timeout_and_cell(
                        "Cell execution timed out", int(timeout), batch.cell
                    )
        finally:
            self.timeout_func = self.cell_timeout

    def process_message(self, msg: dict[str, Any], cell: Any, cell_index: int) -> Any:
        """Route a message of a shared request to the cell it belongs to (else nbclient's own)."""
        batch = self.batch
        if batch is None or msg["msg_type"] in ("status", "execute_input"):
            # The request's own state stays on it (its idle status ends the request).
            return super().process_message(msg, cell, cell_index)
        data = msg["content"].get("data") or {}
        if msg["msg_type"] == "display_data" and MARKER_MIME in data:
            self._marker(batch, data[MARKER_MIME], msg)
            return None
        return super().process_message(msg, batch.cell, batch.index)

    def _marker(self, batch: _Batch, marker: dict[str, Any], msg: dict[str, Any]) -> None:
        from nbclient.client import timestamp

        stamp = timestamp(msg)
        if "failed" in marker:
            batch.failed = True
            self._finish(batch, stamp)
            return
        position = int(marker["cell"])
        if batch.started:
            self._finish(batch, stamp)
            self.nb_man.cell_complete(batch.cell, cell_index=batch.index)
        for skipped in batch.passengers.get(position, ()):  # papermill's metadata, as it passes them
            self.nb_man.cell_start(self.nb.cells[skipped], skipped)
            self.nb_man.cell_complete(self.nb.cells[skipped], cell_index=skipped)
        batch.position = position
        batch.started = True
        cell = batch.cell
        self.nb_man.cell_start(cell, batch.index)
        # As nbclient prepares a cell it sends: no old outputs, its count, fresh timing.
        cell.outputs = []
        self.clear_before_next_output = False
        cell.execution_count = marker.get("count")
        if self.record_timing:
            cell.metadata["execution"] = {"iopub.status.busy": stamp, "iopub.execute_input": stamp}
        timeout = self.timeout_of(cell)
        batch.deadline = None if timeout is None else time.monotonic() + timeout

    def _finish(self, batch: _Batch, stamp: str) -> None:
        if self.record_timing and batch.started:
            timing = batch.cell.metadata.setdefault("execution", {})
            timing["shell.execute_reply"] = timing["iopub.status.idle"] = stamp


class KeptKernelEngine(Engine):
    """Executes a notebook in a given, running kernel: neither starts nor stops one."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        km: Any = None,
        kc: Any = None,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        batch_cells: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Execute ``nb_man``'s notebook in the kernel of ``km``, talking to it through ``kc``.

        ``batch_cells``: consecutive code cells share one request (the module doc; False: a
        request per cell, as papermill's own engine sends them).
        """
        if km is None or kc is None or not km.has_kernel:
            raise ValueError(f"engine {ENGINE_NAME!r} needs a running kernel: pass km= and kc=")
        client = BatchingClient(
            nb_man,
            batch_cells=batch_cells,
            km=km,
            kernel_name=kernel_name,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            log=log,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        # nbclient makes a client only when it has none, and stops the kernel only when it made
        # the manager itself: given both, it runs the cells and leaves the kernel as it found it.
        # (``kc`` is set after construction: nbclient's __init__ clears it.)
        client.kc = kc
        return client.execute()


def register() -> str:
    """Add the engine to papermill's registry (idempotent); returns its name."""
    papermill_engines.register(ENGINE_NAME, KeptKernelEngine)
    return ENGINE_NAME


register()

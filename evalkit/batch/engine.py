"""A papermill engine that runs notebooks in a kernel that is already running, and leaves it running.

papermill's default engine (``nbclient``) starts a kernel for each notebook and stops it after.
:class:`KeptKernelEngine` takes the running kernel as two engine arguments — ``km`` (its
``KernelManager``) and ``kc`` (a started client) — so the warm executor can reuse one prewarmed
kernel for many notebooks while papermill keeps doing everything else (parameters, cell metadata,
error markers, the executed notebook). It is registered in papermill's engine registry under
:data:`ENGINE_NAME` and called through the public API::

    papermill.execute_notebook(src, dst, parameters, engine_name=ENGINE_NAME, km=km, kc=kc)

The caller owns the kernel: resetting it between notebooks and stopping it are
:mod:`evalkit.batch.executors`' job.
"""

from __future__ import annotations

import logging
from typing import Any

from papermill.engines import Engine, papermill_engines

__all__ = ["ENGINE_NAME", "KeptKernelEngine", "register"]

ENGINE_NAME = "evalkit-kept-kernel"
log = logging.getLogger(__name__)


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
        **kwargs: Any,
    ) -> Any:
        """Execute ``nb_man``'s notebook in the kernel of ``km``, talking to it through ``kc``."""
        from papermill.clientwrap import PapermillNotebookClient

        if km is None or kc is None or not km.has_kernel:
            raise ValueError(f"engine {ENGINE_NAME!r} needs a running kernel: pass km= and kc=")
        client = PapermillNotebookClient(
            nb_man,
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

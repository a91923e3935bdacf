"""Jupyter kernels for the batch: a private kernel spec, starts that retry, shutdowns that never hang.

- :func:`ensure_kernel` writes the ``evalkit-python3`` spec (this interpreter, no history database,
  no output cache: a report kernel keeps nothing between cells that it does not need).
- :func:`launch` starts a kernel process without waiting for it, so a caller can boot the next
  kernel while the current one works; :func:`connect` waits until it answers. :func:`start` does
  both and retries a kernel that fails to come up (a TCP port race, "Address already in use",
  or a kernel that dies while booting) with new ports.
- On POSIX the kernels talk over IPC sockets in a private folder, not TCP ports: there is no port
  to race for, and no other local user can reach the kernel.
- :func:`shutdown` kills the kernel and waits a bounded time: a batch never hangs on a kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.batch import zygote
from evalkit.errors import KernelError
from evalkit.fileio import atomic_write_text

KERNEL_NAME = "evalkit-python3"
START_ATTEMPTS = 3  # a start that fails this often is the unit's failure, not a race
STARTUP_TIMEOUT = 60.0  # seconds for a kernel to answer kernel_info
SHUTDOWN_TIMEOUT = 5.0  # seconds to wait for a killed kernel before giving up on it
TRANSPORT_ENV = "EVALKIT_KERNEL_TRANSPORT"  # "tcp" or "ipc"; default ipc on POSIX
_MAX_IPC_PATH = 90  # AF_UNIX paths are limited to ~104-108 bytes; ports add a suffix

log = logging.getLogger(__name__)


def ensure_kernel(kernel_dir: Path | None = None) -> str:
    """A kernel spec that runs *this* interpreter (where evalkit is installed); returns its name.

    A fresh clone may have no ``python3`` spec, or one pointing at another Python without
    evalkit. The spec is written to a private folder put first on ``JUPYTER_PATH`` (inherited by
    the worker processes), so no user-wide Jupyter setting is touched; the folder's name carries a
    hash of ``sys.prefix`` and ``sys.executable``, so each environment has its own.
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    # One folder per environment: two checkouts (two venvs) running at once must not share one
    # spec, or one run's kernels would start with the other's Python and code.
    env = hashlib.sha256(f"{sys.prefix}\0{sys.executable}".encode()).hexdigest()[:12]
    base = kernel_dir or Path(tempfile.gettempdir()) / f"evalkit-jupyter-{uid}-{env}"
    spec_dir = base / "kernels" / KERNEL_NAME
    spec = {
        "argv": [
            sys.executable,
            "-Xfrozen_modules=off",  # silences the debugger's frozen-modules warning on stderr
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",  # no log chatter (shutdown interrupts, TCP) over the bar
            # Many kernels at once would contend for one history.sqlite ("database is locked"),
            # and a report never reads In/Out: no history, no output cache.
            "--HistoryManager.enabled=False",
            "--InteractiveShell.cache_size=0",
        ],
        "display_name": "Python 3 (evalkit)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    text = json.dumps(spec, indent=1)
    target = spec_dir / "kernel.json"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        atomic_write_text(target, text)
    paths = os.environ.get("JUPYTER_PATH", "")
    extra = [str(base), *_inherited_data_dirs()]
    missing = [p for p in extra if p not in paths.split(os.pathsep)]
    if missing:
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (*missing, paths) if p)
    return KERNEL_NAME


def _inherited_data_dirs() -> list[str]:
    # A virtual environment made with --system-site-packages imports nbconvert from the base
    # Python, but Jupyter looks for nbconvert's templates under the venv's own share/jupyter:
    # point it at the base installation's (only when the venv has none of its own).
    own = Path(sys.prefix) / "share" / "jupyter"
    base = Path(sys.base_prefix) / "share" / "jupyter"
    if sys.prefix == sys.base_prefix or (own / "nbconvert" / "templates" / "base").is_dir():
        return []
    return [str(base)] if (base / "nbconvert" / "templates" / "base").is_dir() else []


def transport() -> str:
    """``ipc`` on POSIX (no TCP port to race for), ``tcp`` on Windows or when the env asks for it."""
    wanted = os.environ.get(TRANSPORT_ENV, "").strip().lower()
    if wanted in ("tcp", "ipc"):
        return wanted if os.name == "posix" or wanted == "tcp" else "tcp"
    return "ipc" if os.name == "posix" else "tcp"


def run_sync(coro: Any) -> Any:
    """Run a coroutine on the thread's Jupyter event loop (the one nbclient's sync calls use)."""
    from jupyter_core.utils import run_sync as _run_sync

    async def _await() -> Any:
        return await coro

    return _run_sync(_await)()


def _manager_class() -> type:
    from jupyter_client.manager import AsyncKernelManager

    class TrackingKernelManager(AsyncKernelManager):
        """Remembers the clients it hands out: nbclient leaves open those of a kernel it does not own."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.handed_out: list[Any] = []

        def client(self, **kwargs: Any) -> Any:
            kc = super().client(**kwargs)
            self.handed_out.append(kc)
            return kc

    return TrackingKernelManager


_MANAGER_CLASS: type | None = None


@dataclass
class Kernel:
    """A started kernel: its manager (``km``), a connected client (``kc``) once ready, its folder."""

    km: Any
    cwd: str
    folder: Path | None = None
    kc: Any = None
    started: float = field(default_factory=time.monotonic)
    units: int = 0  # units run in it (the warm executor restarts it every K)

    @property
    def pid(self) -> int | None:
        """The kernel's process id, while it has one."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    def is_alive(self) -> bool:
        """True while the kernel process runs."""
        try:
            return bool(run_sync(self.km.is_alive()))
        except Exception:
            return False


def launch(
    kernel_name: str,
    cwd: str | os.PathLike[str],
    mode: str | None = None,
    _zygote: bool = True,
    **manager_options: Any,
) -> Kernel:
    """Start a kernel process in ``cwd`` without waiting for it to answer (see :func:`connect`).

    ``mode`` is the transport (default :func:`transport`); ``manager_options`` are further
    ``KernelManager`` settings (``ip``, ``shell_port``, …).
    """
    global _MANAGER_CLASS
    if _MANAGER_CLASS is None:
        _MANAGER_CLASS = _manager_class()
    mode = mode or transport()
    folder = None
    kwargs: dict[str, Any] = {"kernel_name": kernel_name, "transport": mode, **manager_options}
    if mode == "ipc":
        # A private folder per kernel: the sockets' names cannot collide with another kernel's.
        folder = Path(tempfile.mkdtemp(prefix="ek-"))
        if len(str(folder)) > _MAX_IPC_PATH:
            shutil.rmtree(folder, ignore_errors=True)
            folder = Path(tempfile.mkdtemp(prefix="ek-", dir="/tmp"))
        kwargs["connection_file"] = str(folder / "k.json")
    km = _MANAGER_CLASS(**kwargs)
    kernel = Kernel(km=km, cwd=str(cwd), folder=folder)
    sock = zygote.address() if _zygote else None
    if sock is not None:
        # Forked from the run's zygote (evalkit.batch.zygote): its imports are done already.
        km.provisioner = zygote.provisioner(km, sock)
    try:
        run_sync(km.start_kernel(cwd=str(cwd)))
    except (OSError, RuntimeError) as exc:
        shutdown(kernel)
        if sock is None:
            raise
        # No zygote to fork from (it died, or never came up): a kernel started the usual way.
        log.warning("could not fork a kernel from the zygote (%s); starting one", exc)
        return launch(kernel_name, cwd, mode, _zygote=False, **manager_options)
    except BaseException:
        shutdown(kernel)
        raise
    return kernel


def connect(kernel: Kernel, timeout: float = STARTUP_TIMEOUT) -> Kernel:
    """Wait until a launched kernel answers ``kernel_info``; raises if it died or did not answer."""
    kc = kernel.km.client()
    # No heartbeat thread: the manager watches the process, and nbclient polls it for death.
    kc.start_channels(hb=False)
    kernel.kc = kc
    run_sync(kc.wait_for_ready(timeout=timeout))
    return kernel


def start(
    kernel_name: str,
    cwd: str | os.PathLike[str],
    attempts: int = START_ATTEMPTS,
    timeout: float = STARTUP_TIMEOUT,
    pending: Kernel | None = None,
) -> tuple[Kernel, int]:
    """A ready kernel in ``cwd`` and how many failed starts were retried to get it.

    ``pending`` is a kernel already launched by :func:`launch` (used first). A start that fails —
    a port taken between choosing it and binding it ("Address already in use"), a kernel that
    dies while booting or does not answer — is retried with a new kernel; after ``attempts``
    failures :class:`~evalkit.errors.KernelError` says why.
    """
    last: BaseException | None = None
    for attempt in range(attempts):
        kernel = pending if pending is not None and attempt == 0 else None
        try:
            kernel = kernel or launch(kernel_name, cwd)
            return connect(kernel, timeout), attempt
        except Exception as exc:  # a failed start is retried: the next one gets new ports
            last = exc
            log.warning("kernel start failed (attempt %d of %d): %s", attempt + 1, attempts, exc)
            if kernel is not None:
                shutdown(kernel)
            time.sleep(0.05 * (attempt + 1))
    raise KernelError(f"内核启动失败（重试{attempts}次）：{type(last).__name__}：{last}") from last


def shutdown(kernel: Kernel, timeout: float = SHUTDOWN_TIMEOUT) -> None:
    """Stop a kernel: close its clients, kill the process, wait at most ``timeout``; never raises."""
    clients = [kernel.kc, *getattr(kernel.km, "handed_out", [])]
    for kc in dict.fromkeys(c for c in clients if c is not None):
        with contextlib.suppress(Exception):  # a client of a dead kernel may fail to close
            kc.stop_channels()
    kernel.kc = None
    try:
        # A report kernel holds nothing worth a graceful goodbye (no history): kill it at once.
        run_sync(asyncio.wait_for(kernel.km.shutdown_kernel(now=True), timeout))
    except Exception as exc:
        log.warning("kernel shutdown did not finish (%s); killing pid %s", type(exc).__name__, kernel.pid)
        _kill(kernel)
        with contextlib.suppress(Exception):
            run_sync(asyncio.wait_for(kernel.km.cleanup_resources(), timeout))
    if kernel.folder is not None:
        shutil.rmtree(kernel.folder, ignore_errors=True)


def _kill(kernel: Kernel) -> None:
    proc = getattr(getattr(kernel.km, "provisioner", None), "process", None)
    if proc is None:
        return
    with contextlib.suppress(OSError):  # already gone
        proc.kill()
    with contextlib.suppress(Exception):  # reap it, so no zombie is left behind
        proc.wait(timeout=2)

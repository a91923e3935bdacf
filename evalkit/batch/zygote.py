"""Report kernels forked from one preloaded process instead of each started from nothing.

A report kernel spends about 1.2 CPU-seconds before its first unit: 0.4 starting ipykernel
(importing IPython, zmq, tornado…) and 0.75 importing evalkit's report stack, matplotlib and the
CJK font (the prewarm). A warm worker pays that once per kernel and again at every restart; the
fresh executor pays it for every unit. The *zygote* is one process per run that does those imports
once and then, on request, forks a child that becomes a kernel: ``ipykernel``'s own application,
started with the command line, environment and folder the kernel manager asked for, in a new
session, exactly as if it had been launched. A forked kernel answers in ~0.15 CPU-s.

- :class:`Zygote` starts the template process (``python -m evalkit.batch.zygote SOCKET``) and ends
  it; it binds its socket before importing, so kernels may be asked for at once (they are forked
  once the imports are done). It ends, killing its kernels, when its owner closes it or dies.
- :func:`provisioner` gives a kernel manager a Jupyter kernel provisioner that asks the zygote for the kernel
  process instead of ``Popen``-ing it, and watches it through a pidfd (the kernel is the zygote's
  child, not this process's).
- :func:`address` is where this process's kernels come from (``EVALKIT_ZYGOTE``, set by the
  orchestrator and inherited by its workers); ``EVALKIT_ZYGOTE=off`` turns zygotes off.

Linux only (fork from a process with no threads, pidfds, descriptor passing); elsewhere kernels
start as before. A zygote that cannot be reached is not an error: the kernel is launched normally.
A forked kernel exits when the process that asked for it dies (it watches that process's pidfd),
as a launched kernel does through ``JPY_PARENT_PID``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ENV = "EVALKIT_ZYGOTE"
OFF = "off"
_MAX_REQUEST = 1 << 20  # bytes: a command line and an environment
_LAUNCHER = "ipykernel_launcher"

log = logging.getLogger(__name__)

__all__ = ["ENV", "ForkedProcess", "Zygote", "address", "fork_kernel", "provisioner", "supported"]


def supported() -> bool:
    """True where kernels can be forked from a zygote (Linux with pidfds) and it is not turned off."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and hasattr(socket, "send_fds")
        and os.environ.get(ENV, "").strip().lower() != OFF
    )


def address() -> str | None:
    """The socket of this process's zygote, or None (no zygote: kernels are launched normally)."""
    value = os.environ.get(ENV, "").strip()
    if not value or value.lower() == OFF or not supported():
        return None
    return value


# --------------------------------------------------------------------------------------- owner side
class Zygote:
    """A running zygote process; :meth:`close` ends it and its kernels."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: Path) -> None:
        self.proc = proc
        self.folder = folder
        self.address = str(folder / "z.sock")
        self.exported = False  # EVALKIT_ZYGOTE set to this one by for_this_process
        self.previous: str | None = None  # the value it had before, put back on close

    @classmethod
    def start(cls) -> Zygote:
        """Start a zygote; returns at once (it binds its socket first, then imports)."""
        folder = Path(tempfile.mkdtemp(prefix="ekz-"))
        sock = folder / "z.sock"
        # -Xfrozen_modules=off as in the kernel spec: the forked kernels inherit the interpreter.
        proc = subprocess.Popen(
            [sys.executable, "-Xfrozen_modules=off", "-m", "evalkit.batch.zygote", str(sock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        # "bound" on its stdout once the socket exists: a kernel asked for later queues there.
        line = proc.stdout.readline()
        proc.stdout.close()
        if line.strip() != b"bound":
            proc.kill()
            proc.wait()
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError("zygote did not start")
        return cls(proc, folder)

    @classmethod
    def for_this_process(cls) -> Zygote | None:
        """Start a zygote and point this process (and those it starts later) at it through
        ``EVALKIT_ZYGOTE``; :meth:`close` puts the variable back. None where kernels cannot be
        forked (not Linux, ``EVALKIT_ZYGOTE=off``) or the zygote fails to start: kernels are then
        launched the usual way."""
        if not supported():
            return None
        try:
            zyg = cls.start()
        except Exception as exc:
            log.warning("could not start the kernel zygote: %s", exc)
            return None
        zyg.previous = os.environ.get(ENV)
        zyg.exported = True
        os.environ[ENV] = zyg.address
        return zyg

    def close(self, timeout: float = 5.0) -> None:
        """End the zygote (it kills its kernels) and wait for it; never raises."""
        if self.exported:
            self.exported = False
            if self.previous is None:
                os.environ.pop(ENV, None)
            else:
                os.environ[ENV] = self.previous
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()  # end of its control pipe: it stops
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ForkedProcess:
    """The parts of ``subprocess.Popen`` a kernel manager uses, for a kernel that is not our child.

    Liveness comes from a pidfd the zygote opened right after the fork (so the number cannot
    name another process); the exit status belongs to the zygote, so ``returncode`` is -1 once
    the kernel is gone.
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, pidfd: int) -> None:
        self.pid = pid
        self._pidfd: int | None = pidfd
        self.returncode: int | None = None

    def _gone(self, timeout: float | None) -> bool:
        import select

        if self.returncode is not None:
            return True
        assert self._pidfd is not None
        poller = select.poll()
        poller.register(self._pidfd, select.POLLIN)
        if poller.poll(None if timeout is None else max(0, int(timeout * 1000))):
            self.returncode = -1
            os.close(self._pidfd)
            self._pidfd = None
            return True
        return False

    def poll(self) -> int | None:
        """None while the kernel runs."""
        return self.returncode if self._gone(0) else None

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has exited."""
        if not self._gone(timeout):
            raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0)
        return -1

    def send_signal(self, signum: int) -> None:
        """Signal the kernel (unless it is gone)."""
        if self.poll() is None and self._pidfd is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signum)

    def kill(self) -> None:
        """SIGKILL."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM."""
        self.send_signal(signal.SIGTERM)

    def __del__(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                os.close(self._pidfd)


def fork_kernel(
    sock: str, cmd: list[str], env: dict[str, str], cwd: str, timeout: float = 60.0
) -> ForkedProcess:
    """Ask the zygote at ``sock`` for a kernel running ``cmd`` (an ``ipykernel_launcher`` command
    line) with ``env`` in ``cwd``; raises OSError or RuntimeError when it cannot give one."""
    if _LAUNCHER not in cmd:
        raise RuntimeError(f"not an ipykernel command line: {cmd[:4]}")
    request = json.dumps({"cmd": cmd, "env": env, "cwd": cwd, "owner": os.getpid()}).encode()
    if len(request) >= _MAX_REQUEST:
        raise RuntimeError("kernel request too large")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(timeout)  # the zygote answers once its imports are done
        conn.connect(sock)
        conn.sendall(request + b"\n")
        data, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
    if not fds:
        raise RuntimeError(f"zygote refused: {data.decode(errors='replace')[:200]}")
    return ForkedProcess(int(json.loads(data)["pid"]), fds[0])


def _provisioner_class() -> type:
    from jupyter_client.provisioning import LocalProvisioner

    class ZygoteProvisioner(LocalProvisioner):  # type: ignore[misc]
        """A local kernel whose process is forked by the zygote at ``sock``."""

        sock = ""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
            env = dict(kwargs.get("env") or os.environ)
            env["JPY_PARENT_PID"] = str(os.getpid())
            env.pop(ENV, None)  # a report kernel starts no kernels
            cwd = str(kwargs.get("cwd") or os.getcwd())
            cmd = [os.path.expanduser(s) for s in cmd]
            self.process = fork_kernel(self.sock, cmd, env, cwd)
            self.pid = self.process.pid
            self.pgid = None  # signals go to the kernel itself (the zygote made it a session leader)
            self.cwd = cwd
            return self.connection_info

    return ZygoteProvisioner


_PROVISIONER: type | None = None


def provisioner(km: Any, sock: str) -> Any:
    """A :class:`ZygoteProvisioner` for kernel manager ``km`` (set as ``km.provisioner`` before
    ``start_kernel``: the manager then uses it instead of launching the spec's command)."""
    import uuid

    global _PROVISIONER
    if _PROVISIONER is None:
        _PROVISIONER = _provisioner_class()
    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    prov = _PROVISIONER(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    prov.sock = sock
    return prov


# ------------------------------------------------------------------------------------ zygote side
def _preload() -> None:
    # What every kernel imports at start (ipykernel's application) and what the prewarm imports.
    # MPLBACKEND as ipykernel sets it for its kernels: matplotlib reads it when imported.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import importlib

    import ipykernel.kernelapp  # noqa: F401

    from evalkit.batch.kernelstate import PREWARM_MODULES

    for name in PREWARM_MODULES:
        importlib.import_module(name)
    from evalkit.report import fonts

    fonts.setup_cjk_font()
    try:
        _warm_up()
    except Exception as exc:  # a warm-up is an optimisation: kernels pay on their first unit instead
        sys.stderr.write(f"evalkit zygote: warm-up skipped ({type(exc).__name__}: {exc})\n")


def _warm_up() -> None:
    # A kernel's first unit costs ~0.3 CPU-s more than its next: the review's lazy imports and
    # caches (profiles, models, numerals), the glyphs of the CJK font, the charts' kept figures
    # and text. One sample unit reviewed and reported here, as review.ipynb does it, gives every
    # forked kernel those already; nothing of the sample reaches a kernel's namespace.
    import io

    from evalkit.report import sections, word
    from evalkit.resources import sample_years, samples_dir

    for year in reversed(sample_years()):
        filings = sorted(
            p for p in (samples_dir() / year).glob("*.yaml") if not p.name.endswith(".review.yaml")
        )
        if filings:
            break
    else:
        return
    rv = sections.load(filings[0])
    page = sections.Report(rv)
    for part in (page.header, page.budget, page.indicators, page.findings, page.decisions):
        part()
    json.dumps(sections.result_document(rv), ensure_ascii=False, indent=1)
    word.unit_report(rv).save(io.BytesIO())  # the template's parts and style ids, parsed once


def _watch_owner(owner: int) -> None:
    # A launched kernel dies with its worker (JPY_PARENT_PID); a forked one is the zygote's child,
    # so it watches the worker itself.
    import select
    import threading

    try:
        fd = os.pidfd_open(owner)
    except OSError:
        os._exit(1)  # the owner is gone already

    def wait() -> None:
        select.select([fd], [], [])
        os._exit(1)

    threading.Thread(target=wait, name="evalkit-owner-watch", daemon=True).start()


def _become_kernel(request: dict[str, Any]) -> None:
    """In the forked child: turn into the requested kernel; never returns."""
    code = 1
    try:
        os.setsid()  # as jupyter_client's launcher: a session of its own, interrupts reach only it
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        backend = os.environ.get("MPLBACKEND")
        if backend:
            import matplotlib

            # matplotlib read MPLBACKEND when the zygote imported it; the kernel's may differ.
            if dict.get(matplotlib.rcParams, "backend") != backend:
                matplotlib.rcParams["backend"] = backend
        cmd = request["cmd"]
        import importlib.util

        # As ``python -m ipykernel_launcher …`` sets it: the module's file, then its arguments.
        spec = importlib.util.find_spec(_LAUNCHER)
        sys.argv = [spec.origin if spec and spec.origin else _LAUNCHER, *cmd[cmd.index(_LAUNCHER) + 1 :]]
        _watch_owner(int(request["owner"]))
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=sys.argv[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        # Never back into the zygote's loop: this process is a kernel, or nothing. (No atexit
        # handlers: a report kernel registers none that matter, its folder is removed by
        # kernels.shutdown, and the zygote's own would run in every kernel.)
        os._exit(code)


def _read_request(conn: socket.socket) -> dict[str, Any]:
    conn.settimeout(10)
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            raise ValueError("request ended early")
        data += chunk
        if len(data) > _MAX_REQUEST:
            raise ValueError("request too large")
    request = json.loads(data)
    if not (
        isinstance(request.get("cmd"), list)
        and _LAUNCHER in request["cmd"]
        and isinstance(request.get("env"), dict)
        and isinstance(request.get("cwd"), str)
        and isinstance(request.get("owner"), int)
    ):
        raise ValueError("not a kernel request")
    return request


def serve(sock_path: str) -> None:
    """The zygote's main loop: bind, preload, fork a kernel per request until stdin closes."""
    import select

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the owner's; it closes us
    # As ipykernel_launcher does before its imports: ``-m`` put the working folder first on
    # sys.path, and a kernel does not import from there.
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o077)  # only this user may ask for kernels
    try:
        listener.bind(sock_path)
    finally:
        os.umask(old_umask)
    listener.listen(64)
    sys.stdout.write("bound\n")
    sys.stdout.flush()
    # The owner reads that one line and closes the pipe; kernels write where a launched kernel
    # would, the owner's terminal (our stderr), not into a closed pipe.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _preload()
    kids: set[int] = set()

    def reap(*_: object) -> None:
        with contextlib.suppress(ChildProcessError):
            while True:
                pid, _status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                kids.discard(pid)

    signal.signal(signal.SIGCHLD, reap)
    control = sys.stdin.fileno()
    try:
        while True:
            ready, _, _ = select.select([listener, control], [], [])
            if control in ready and not os.read(control, 4096):
                break  # the owner closed the pipe, or died
            if listener not in ready:
                continue
            conn, _ = listener.accept()
            with conn:
                try:
                    request = _read_request(conn)
                except (OSError, ValueError) as exc:
                    with contextlib.suppress(OSError):
                        conn.sendall(f"bad request: {exc}".encode())
                    continue
                # SIGCHLD held from the fork to the pidfd: the child cannot be reaped (and its
                # number reused) before the pidfd pins it.
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
                pid = os.fork()
                if pid == 0:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    signal.signal(signal.SIGINT, signal.default_int_handler)
                    conn.close()
                    listener.close()
                    _become_kernel(request)  # its stdin (our control pipe) becomes /dev/null
                try:
                    kids.add(pid)
                    pidfd = os.pidfd_open(pid)
                finally:
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGCHLD})
                try:
                    socket.send_fds(conn, [json.dumps({"pid": pid}).encode()], [pidfd])
                except OSError:
                    os.kill(pid, signal.SIGKILL)  # nobody waits for it
                finally:
                    os.close(pidfd)
    finally:
        listener.close()
        with contextlib.suppress(OSError):
            os.unlink(sock_path)
        for pid in list(kids):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while kids and time.monotonic() < deadline:
            reap()
            time.sleep(0.01)


if __name__ == "__main__":
    serve(sys.argv[1])

"""What keeps a batch run inside its folders and leaves nothing behind when it is stopped.

- :func:`check_year` accepts a year (or a plain folder name) and :func:`inside` resolves the
  outputs and parameters folders, so ``--year ../victim``, an absolute path or a symlinked year
  folder can never make the run write or delete outside them.
- A run tags itself: its staging folder holds ``run.pid`` (the orchestrator's pid and start time),
  and every worker and kernel it starts inherits ``EVALKIT_BATCH_RUN`` (the staging folder's
  path) in its environment. :func:`reap_stale_runs` — called by the next run — finds staging
  folders whose orchestrator is gone (it was killed with SIGKILL), ends the processes that carry
  their tag, removes the folders and the temporary files a killed write left behind.
- :func:`terminate_as_error` makes SIGTERM unwind like Ctrl-C (``KeyboardInterrupt``), so the
  orchestrator ends its workers and kernels and removes its staging folder on either signal;
  :func:`worker_signals` makes a worker ignore the terminal's Ctrl-C (the orchestrator decides),
  end its kernels and exit on SIGTERM, and get SIGTERM when the orchestrator dies (Linux).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from evalkit.errors import EvalkitError

RUN_ENV = "EVALKIT_BATCH_RUN"
PID_FILE = "run.pid"
STAGING_PREFIX = ".staging-"
_YEAR = re.compile(r"\d{4}")
_PLAIN = re.compile(r"[^\\/:*?\"<>|\x00-\x1f]{1,64}")


class Interrupted(Exception):
    """The run was stopped by Ctrl-C or SIGTERM after ``done`` of ``pending`` units finished."""

    def __init__(self, done: int, pending: int) -> None:
        self.done = done
        self.pending = pending
        super().__init__(
            f"已中断：本次完成{done}个单位（共{pending}个待运行）；再次运行 evalkit run 会跳过已完成的单位，从未完成的继续"
        )


class UnsafePath(EvalkitError, ValueError):
    """A year or folder that would lead outside the outputs or parameters folder."""


def check_year(year: str) -> str:
    """``year`` if it is a four-digit year or a plain folder name (no separator, not ``..``)."""
    text = str(year)
    if _YEAR.fullmatch(text):
        return text
    if not _PLAIN.fullmatch(text) or text.strip(". ") == "" or text != text.strip():
        shown = text if len(text) <= 40 else text[:39] + "…"
        raise UnsafePath(f"--year {shown!r} 不是年度：应为四位年份（如 2024），或不含路径分隔符的文件夹名")
    return text


def inside(root: Path, child: Path, what: str) -> Path:
    """``child`` resolved, if it lies inside ``root`` resolved (symlinks followed); else refuse."""
    base = root.resolve()
    target = child.resolve()
    if target != base and base not in target.parents:
        raise UnsafePath(f"{what} {child} 指向 {base} 之外（{target}），为安全起见不运行")
    return target


# ------------------------------------------------------------------------------ processes of a run
def _psutil():  # type: ignore[no-untyped-def]
    import psutil

    return psutil


def _start_time(pid: int) -> float | None:
    try:
        return _psutil().Process(pid).create_time()
    except Exception:
        return None


def mark_run(staging: Path) -> None:
    """Record this orchestrator in ``staging/run.pid`` and tag the processes it will start."""
    start = _start_time(os.getpid()) or 0.0
    (staging / PID_FILE).write_text(f"{os.getpid()} {start!r}\n", encoding="utf-8")
    os.environ[RUN_ENV] = str(staging)


def unmark_run() -> None:
    """This process starts no more tagged processes."""
    os.environ.pop(RUN_ENV, None)


def _alive(staging: Path) -> bool:
    """True while the orchestrator recorded in ``staging`` runs (same pid, same start time)."""
    try:
        pid_text, start_text = (staging / PID_FILE).read_text(encoding="utf-8").split()
        pid, start = int(pid_text), float(start_text)
    except (OSError, ValueError):
        # No pid file yet: a run between mkdtemp and mark_run, or an old run. Judge by age.
        try:
            return time.time() - staging.stat().st_mtime < 60
        except OSError:
            return False
    now = _start_time(pid)
    return now is not None and abs(now - start) < 1.0


def tagged(staging: Path) -> Iterator[object]:
    """The live processes of this user carrying ``staging``'s run tag (workers and kernels)."""
    psutil = _psutil()
    tag = str(staging)
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            if proc.environ().get(RUN_ENV) == tag:
                yield proc
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
            continue


def end_processes(procs: list[object], wait: float = 5.0) -> int:
    """SIGTERM, then after ``wait`` seconds SIGKILL, the processes; returns how many were ended."""
    psutil = _psutil()
    live = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            proc.terminate()  # type: ignore[attr-defined]
            live.append(proc)
    _gone, still = psutil.wait_procs(live, timeout=wait)
    for proc in still:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(still, timeout=wait)
    return len(live)


def reap_stale_runs(out_dir: Path) -> tuple[int, int]:
    """End the processes of earlier runs of ``out_dir`` whose orchestrator is gone, remove their
    staging folders, and (when no run is live) the temporary files a killed write left behind.

    Returns ``(folders removed, processes ended)``. A run whose orchestrator still runs is left
    alone: two runs of one year may overlap.
    """
    removed = ended = 0
    live = False
    with contextlib.suppress(OSError):
        for entry in sorted(out_dir.iterdir()):
            if not entry.name.startswith(STAGING_PREFIX) or entry.is_symlink() or not entry.is_dir():
                continue
            if _alive(entry):
                live = True
                continue
            ended += end_processes(list(tagged(entry)))
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    if not live:
        for tmp in _stale_temps(out_dir):
            with contextlib.suppress(OSError):
                tmp.unlink()
    return removed, ended


def _stale_temps(out_dir: Path) -> Iterator[Path]:
    # evalkit.fileio.atomic_write_bytes names its temporary files ".<name>.<random>.tmp".
    for folder in (out_dir, out_dir / "failed"):
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
                    yield entry


def children(recursive: bool = True) -> list[object]:
    """The processes this one started, except multiprocessing's resource tracker (it ends by
    itself with this process, and a signal makes it print a traceback)."""
    try:
        found = _psutil().Process().children(recursive=recursive)
    except Exception:
        return []
    out = []
    for proc in found:
        try:
            if "resource_tracker" in " ".join(proc.cmdline()):
                continue
        except Exception:
            continue  # gone already
        out.append(proc)
    return out


def end_children(wait: float = 3.0) -> None:
    """End every process this one started (a worker's kernels); never raises."""
    children_ = children()
    if not children_:
        return
    with contextlib.suppress(Exception):
        end_processes(children_, wait)


# ------------------------------------------------------------------------------------------ signals
def terminate_as_error() -> object:
    """Make SIGTERM raise ``KeyboardInterrupt`` in this (main) thread; returns the old handlers."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def on_int(signum: int, frame: object) -> None:
        global _RECEIVED
        _RECEIVED = signal.SIGINT
        raise KeyboardInterrupt

    def on_term(signum: int, frame: object) -> None:
        global _RECEIVED
        _RECEIVED = signal.SIGTERM
        raise KeyboardInterrupt

    try:
        old_int = signal.getsignal(signal.SIGINT)
        if old_int is signal.default_int_handler:  # keep an ignored Ctrl-C ignored
            signal.signal(signal.SIGINT, on_int)
        return signal.signal(signal.SIGTERM, on_term), old_int
    except ValueError:  # not the main thread (a notebook's or a server's): leave signals alone
        return None


_RECEIVED: int = signal.SIGINT  # the signal that stopped the run (what the process then dies by)


def exit_interrupted() -> None:
    """End the interrupted run's process by the signal that stopped it, once it has cleaned up
    (a shell reports 130 for Ctrl-C, 143 for SIGTERM). A normal interpreter exit would join the
    process pool's manager thread, which can wait forever on workers that are gone."""
    die_by_signal()


def quiet_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with its stderr on ``/dev/null``.

    When an interrupted run ends by its signal, the tracker still removes the pool's semaphores,
    but it would print a "leaked semaphore" warning under the one line the user is shown."""
    from multiprocessing import resource_tracker

    with contextlib.suppress(Exception):
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            resource_tracker.ensure_running()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def die_by_signal(signum: int | None = None) -> None:
    """End this process by ``signum`` (default: the one that stopped the run), as an unhandled
    signal would. A worker uses it once its kernels are ended: no interpreter shutdown runs."""
    sig = signum or _RECEIVED
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)
    time.sleep(5)  # the signal is delivered at once; this only keeps the interpreter from going on


def hold_signals() -> None:
    """Ignore further Ctrl-C and SIGTERM while an interrupted run cleans up (main thread only)."""
    with contextlib.suppress(ValueError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def restore_signal(old: object) -> None:
    """Put back the SIGTERM and SIGINT handlers :func:`terminate_as_error` found."""
    if old is None:
        return
    old_term, old_int = old  # type: ignore[misc]
    with contextlib.suppress(ValueError, TypeError):
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGINT, old_int)


def worker_signals() -> None:
    """In a pool worker: ignore Ctrl-C (the terminal sends it to the whole group; the
    orchestrator ends the workers), and on SIGTERM end this worker's kernels and exit at once.
    On Linux the worker also gets SIGTERM when the orchestrator dies, even by SIGKILL."""

    def on_term(signum: int, frame: object) -> None:
        end_children(wait=2.0)
        die_by_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, on_term)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # the orchestrator died before prctl took effect
                on_term(signal.SIGTERM, None)

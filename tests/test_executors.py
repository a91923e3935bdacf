"""The executors and their kernels: a warm kernel forgets each notebook, a dead kernel gets one more
try, a failed start (a port race) is retried, and shutting a kernel down never hangs."""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import time
from pathlib import Path

import nbformat
import pytest
import zmq
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError

from evalkit.batch import kernels
from evalkit.batch.executors import ExecutorSpec, WarmExecutor
from evalkit.errors import KernelError

pytestmark = pytest.mark.slow  # starts Jupyter kernels


def make_notebook(path: Path, *cells: str, parameters: str = 'out: str = ""') -> Path:
    """A small notebook with a ``parameters`` cell, as papermill expects it."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


# Writes what the notebook saw to `out` (a JSON file), for the test to read.
REPORT = (
    "import json, os, sys\n"
    "import matplotlib\n"
    "ip = get_ipython()\n"
    "seen = {'pid': os.getpid(), 'cwd': os.getcwd(), 'leak': 'leak' in globals(),\n"
    "        'count': ip.execution_count, 'lw': matplotlib.rcParams['lines.linewidth'],\n"
    "        'figs': len(sys.modules['matplotlib.pyplot'].get_fignums()) if 'matplotlib.pyplot' in sys.modules else 0,\n"
    "        'env': os.environ.get('EVALKIT_TEST_LEAK'), 'warmed': 'evalkit.report.sections' in sys.modules,\n"
    "        'backend': matplotlib.get_backend().lower()}\n"
    "json.dump(seen, open(out, 'w'))"
)
# Changes everything the reset must put back.
MESS = (
    "leak = 1\n"
    "import matplotlib, os\n"
    "import matplotlib.pyplot as plt\n"
    "plt.switch_backend('pdf')\n"
    "plt.figure()\n"
    "matplotlib.rcParams['lines.linewidth'] = 9\n"
    "os.environ['EVALKIT_TEST_LEAK'] = 'yes'\n"
    "os.chdir('/')"
)
# Kills its kernel the first time (no marker yet), runs through the second time.
DIE_ONCE = (
    "import os, pathlib\n"
    "marker = pathlib.Path(out + '.died')\n"
    "if not marker.exists():\n"
    "    marker.touch()\n"
    "    os._exit(1)\n"
    "open(out, 'w').write('ok')"
)


def seen(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_warm_kernel_forgets_the_previous_notebook(warm: WarmExecutor, tmp_path: Path) -> None:
    messy = make_notebook(tmp_path / "messy.ipynb", MESS, REPORT)
    clean = make_notebook(tmp_path / "clean.ipynb", REPORT)
    cwd = tmp_path / "work"
    cwd.mkdir()
    warm.execute(messy, tmp_path / "o1.ipynb", {"out": str(tmp_path / "1.json")}, cwd)
    first = seen(tmp_path / "1.json")
    assert first["leak"] and first["lw"] == 9 and first["figs"] == 1 and first["cwd"] == "/"
    assert first["backend"] == "pdf"
    nb = warm.execute(clean, tmp_path / "o2.ipynb", {"out": str(tmp_path / "2.json")}, cwd)
    second = seen(tmp_path / "2.json")
    assert second["pid"] == first["pid"], "the kernel was not reused"
    assert second["warmed"], "evalkit was not imported ahead"
    assert not second["leak"], "a name of the previous notebook is visible"
    assert second["lw"] != 9 and second["figs"] == 0 and second["env"] is None
    assert second["backend"] == "agg"
    assert second["cwd"] == str(cwd)
    # Counted as in a fresh kernel: parameters cell 1, injected parameters 2, the report 3.
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert nb.cells[1].metadata.tags == ["injected-parameters"]
    assert warm.stats.kernels == 1


def test_report_kernel_compiles_cells_with_ipythons_compiler(warm: WarmExecutor, tmp_path: Path) -> None:
    # The debugger's compiler (a pure-Python hash of every cell) is off; tracebacks still name cells.
    probe = "from IPython import get_ipython\nopen(out, 'w').write(type(get_ipython().compile).__name__)"
    warm.execute(
        make_notebook(tmp_path / "p.ipynb", probe),
        tmp_path / "o.ipynb",
        {"out": str(tmp_path / "c")},
        tmp_path,
    )
    assert (tmp_path / "c").read_text() == "CachingCompiler"
    failing = make_notebook(tmp_path / "f.ipynb", "x = 1", "def f():\n    raise ValueError('boom')\nf()")
    with pytest.raises(PapermillExecutionError, match="boom"):
        warm.execute(failing, tmp_path / "failed.ipynb", {"out": ""}, tmp_path)
    kept = nbformat.read(tmp_path / "failed.ipynb", as_version=4)
    (error,) = [o for c in kept.cells for o in c.get("outputs", []) if o.output_type == "error"]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))  # without the colours
    assert "Cell In[4], line 3" in text and "Cell In[4], line 2, in f()" in text, text


def test_warm_kernel_restarts_every_k_and_after_an_error(kernel_name: str, tmp_path: Path) -> None:
    report = make_notebook(tmp_path / "r.ipynb", REPORT)
    failing = make_notebook(tmp_path / "f.ipynb", "raise ValueError('boom')")
    with WarmExecutor(ExecutorSpec("warm", kernel_name, restart_every=2, timeout=60)) as warm:
        pids = []
        for i in range(3):
            warm.execute(report, tmp_path / "o.ipynb", {"out": str(tmp_path / f"{i}.json")}, tmp_path)
            pids.append(seen(tmp_path / f"{i}.json")["pid"])
        assert pids[0] == pids[1] != pids[2]
        with pytest.raises(PapermillExecutionError, match="boom"):
            warm.execute(failing, tmp_path / "failed.ipynb", {"out": ""}, tmp_path)
        # papermill's error markers are in the kept notebook, as with a fresh kernel.
        kept = nbformat.read(tmp_path / "failed.ipynb", as_version=4)
        assert "papermill-error-cell-tag" in kept.cells[0].metadata.tags
        warm.execute(report, tmp_path / "o.ipynb", {"out": str(tmp_path / "after.json")}, tmp_path)
        assert seen(tmp_path / "after.json")["pid"] not in pids
        assert warm.stats.kernels == 3


@pytest.mark.parametrize("name", ["warm", "fresh"])
def test_dead_kernel_gets_one_more_try(name: str, kernel_name: str, tmp_path: Path) -> None:
    dies_once = make_notebook(tmp_path / "d.ipynb", DIE_ONCE)
    always_dies = make_notebook(tmp_path / "a.ipynb", "import os\nos._exit(1)")
    report = make_notebook(tmp_path / "r.ipynb", REPORT)
    with ExecutorSpec(name, kernel_name, timeout=60).create() as executor:
        executor.execute(dies_once, tmp_path / "o.ipynb", {"out": str(tmp_path / "d.txt")}, tmp_path)
        assert (tmp_path / "d.txt").read_text() == "ok"
        assert executor.stats.reruns == 1
        with pytest.raises(DeadKernelError):
            executor.execute(always_dies, tmp_path / "o.ipynb", {"out": ""}, tmp_path)
        assert executor.stats.reruns == 2  # one more try, not more
        # The executor goes on with the next notebook.
        executor.execute(report, tmp_path / "o.ipynb", {"out": str(tmp_path / "r.json")}, tmp_path)
        assert seen(tmp_path / "r.json")["leak"] is False


def test_port_race_at_start_is_retried(
    kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real race: the first kernel is told to bind a TCP port another socket holds, fails with
    # "Address already in use" and dies while booting; the start is retried with new ports.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    calls = []
    real_launch = kernels.launch

    def launch(name: str, cwd: object, mode: str | None = None, **options: object) -> kernels.Kernel:
        calls.append(name)
        if len(calls) == 1:
            return real_launch(name, cwd, "tcp", shell_port=busy.getsockname()[1], cache_ports=False)
        return real_launch(name, cwd, mode, **options)

    monkeypatch.setattr(kernels, "launch", launch)
    report = make_notebook(tmp_path / "r.ipynb", REPORT)
    try:
        with WarmExecutor(ExecutorSpec("warm", kernel_name, timeout=60)) as warm:
            warm.execute(report, tmp_path / "o.ipynb", {"out": str(tmp_path / "r.json")}, tmp_path)
            assert warm.stats.start_retries == 1 and warm.stats.kernels == 1
    finally:
        busy.close()
    assert len(calls) == 2


def test_zmq_address_in_use_is_retried(
    kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same race as it surfaces when the bind fails on this side: ZMQError EADDRINUSE.
    real_launch = kernels.launch
    calls = []

    def launch(*args: object, **kwargs: object) -> kernels.Kernel:
        calls.append(1)
        if len(calls) == 1:
            raise zmq.ZMQError(errno.EADDRINUSE, "Address already in use")
        return real_launch(*args, **kwargs)

    monkeypatch.setattr(kernels, "launch", launch)
    kernel, retries = kernels.start(kernel_name, tmp_path)
    try:
        assert retries == 1 and kernel.is_alive()
    finally:
        kernels.shutdown(kernel)
    assert not kernel.is_alive()


def test_start_gives_up_with_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def launch(*args: object, **kwargs: object) -> kernels.Kernel:
        raise zmq.ZMQError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(kernels, "launch", launch)
    with pytest.raises(KernelError, match=r"内核启动失败.*Address already in use"):
        kernels.start("whatever", tmp_path, attempts=2)


def test_shutdown_never_hangs(kernel_name: str, tmp_path: Path) -> None:
    kernel, _ = kernels.start(kernel_name, tmp_path)
    pid = kernel.pid

    async def hang(*args: object, **kwargs: object) -> None:
        import asyncio

        await asyncio.sleep(3600)

    kernel.km.shutdown_kernel = hang  # a kernel that would not go away
    started = time.perf_counter()
    kernels.shutdown(kernel, timeout=0.5)
    assert time.perf_counter() - started < 3
    for _ in range(50):  # killed: gone within a moment
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the kernel process is still running")
    if kernel.folder is not None:
        assert not kernel.folder.exists()


def test_shutdown_is_quick(kernel_name: str, tmp_path: Path) -> None:
    times = []
    for _ in range(5):
        kernel, _ = kernels.start(kernel_name, tmp_path)
        started = time.perf_counter()
        kernels.shutdown(kernel)
        times.append(time.perf_counter() - started)
    assert max(times) < 1.5, times


def test_ipc_sockets_live_in_a_private_folder(kernel_name: str, tmp_path: Path) -> None:
    if kernels.transport() != "ipc":
        pytest.skip("TCP transport on this platform")
    kernel, _ = kernels.start(kernel_name, tmp_path)
    try:
        assert kernel.folder is not None and str(kernel.km.ip).startswith(str(kernel.folder))
        assert not list(tmp_path.glob("kernel-ipc-*"))  # nothing left in the working folder
    finally:
        kernels.shutdown(kernel)
    assert not kernel.folder.exists()


def test_warm_engine_is_papermills_own_registry_entry(tmp_path: Path) -> None:
    # The warm executor goes through papermill's public API: its engine is registered by name,
    # and papermill refuses to run it without a kernel instead of starting one behind our back.
    import papermill as pm
    from papermill.engines import papermill_engines

    from evalkit.batch.engine import ENGINE_NAME, KeptKernelEngine

    assert papermill_engines.get_engine(ENGINE_NAME) is KeptKernelEngine
    nb = make_notebook(tmp_path / "n.ipynb", "x = 1")
    with pytest.raises(ValueError, match="running kernel"):
        pm.execute_notebook(str(nb), str(tmp_path / "o.ipynb"), engine_name=ENGINE_NAME, progress_bar=False)

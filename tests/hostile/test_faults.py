"""Faults of a batch run: a full disk, SIGTERM and SIGKILL of the orchestrator, stale runs, two
environments; and the folder guards of ``evalkit run``."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from evalkit.batch import guard, kernels, worker
from evalkit.batch.runner import run_batch

pytestmark = pytest.mark.hostile

ROOT = Path(__file__).resolve().parents[2]
YEAR = "2024"


def project(dest: Path, n: int) -> Path:
    """A project of ``n`` units (copies of the bundled samples under new names)."""
    shutil.copytree(
        ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copytree(ROOT / "parameters" / "profiles", dest / "parameters" / "profiles")
    year = dest / "parameters" / YEAR
    year.mkdir(parents=True)
    samples = sorted(
        p for p in (ROOT / "parameters" / YEAR).glob("示例_*.yaml") if not p.name.endswith(".review.yaml")
    )
    for i in range(n):
        shutil.copy(samples[i % len(samples)], year / f"单位{i:02d}.yaml")
    return dest


def leftovers(out: Path) -> list[Path]:
    """Staging folders and temporary files a run must not leave behind."""
    return [*out.glob(".staging-*"), *out.glob(".*.tmp"), *out.glob("failed/.*.tmp")]


# ------------------------------------------------------------------------------------- full disk
@pytest.mark.slow
def test_full_disk_keeps_the_last_good_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, 3)
    monkeypatch.chdir(root)
    first = run_batch(year=YEAR, jobs=1, progress=False)
    assert first.exit_code == 0
    out = root / "outputs" / YEAR
    before = {p.name: p.read_bytes() for p in out.glob("单位*.*")}

    real = worker.atomic_write_text

    def full_disk(path: os.PathLike[str] | str, text: str) -> Path:
        if Path(path).name.startswith("单位01."):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, text)

    monkeypatch.setattr(worker, "atomic_write_text", full_disk)
    second = run_batch(year=YEAR, jobs=1, progress=False, force=True)
    by_id = {o.unit_id: o for o in second.outcomes}
    assert (
        second.exit_code == 1
        and by_id["单位01"].status == "failed"
        and by_id["单位01"].error.startswith("磁盘空间不足：")
        and by_id["单位00"].status == by_id["单位02"].status == "ok"
        and (out / "单位01.html").read_bytes() == before["单位01.html"]
        and (out / "单位01.json").read_bytes() == before["单位01.json"]
        and not leftovers(out)
    )


@pytest.mark.slow
def test_disk_full_from_the_start_attempts_every_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path, 2)
    monkeypatch.chdir(root)
    assert run_batch(year=YEAR, jobs=1, progress=False).exit_code == 0
    out = root / "outputs" / YEAR
    before = {p.name: p.read_bytes() for p in out.glob("单位*.*")}

    def no_space(path: os.PathLike[str] | str, *args: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(worker, "atomic_write_text", no_space)
    from evalkit.report import index

    monkeypatch.setattr(index, "atomic_write_bytes", no_space)
    result = run_batch(year=YEAR, jobs=1, progress=False, force=True)
    assert (
        result.exit_code == 1
        and [o.status for o in result.outcomes] == ["failed", "failed"]
        and all(o.error.startswith("磁盘空间不足：") for o in result.outcomes)
        and "磁盘空间不足" in result.summary_error
        and {p.name: p.read_bytes() for p in out.glob("单位*.*")} == before
    )


# --------------------------------------------------------------------------------------- signals
def start_run(root: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.Popen(
        [sys.executable, "-c", "from evalkit.cli import main; main()", "run", "--year", YEAR, "--jobs", "2"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_units(out: Path, n: int, proc: subprocess.Popen[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("单位*.json"))) >= n:
            return
        time.sleep(0.2)
    raise AssertionError("the run did not get going")


def is_kernel(proc: psutil.Process) -> bool:
    """A launched kernel (``-m ipykernel_launcher``) or one forked by the run's zygote (a child
    of the zygote, showing its command line)."""
    cmd = " ".join(proc.cmdline())
    if "ipykernel" in cmd:
        return True
    parent = proc.parent()
    return (
        "evalkit.batch.zygote" in cmd
        and parent is not None
        and "evalkit.batch.zygote" in " ".join(parent.cmdline())
    )


def descendants(pid: int) -> list[psutil.Process]:
    procs = psutil.Process(pid).children(recursive=True)
    assert any(is_kernel(p) for p in procs), "no kernel was running"
    return procs


def alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def rerun(root: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.run(
        [sys.executable, "-c", "from evalkit.cli import main; main()", "run", "--year", YEAR, "--jobs", "2"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def all_done(out: Path, n: int) -> bool:
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in out.glob("单位*.json")]
    return (
        len(docs) == n
        and all(d["run"]["status"] == "ok" for d in docs)
        and len(list(out.glob("单位*.html"))) == n
        and (out / "index.html").is_file()
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_terminate_ends_workers_and_kernels(tmp_path: Path, sig: signal.Signals) -> None:
    n = 8
    root = project(tmp_path, n)
    out = root / "outputs" / YEAR
    proc = start_run(root)
    wait_for_units(out, 2, proc)
    procs = descendants(proc.pid)
    proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=120)
    time.sleep(0.5)
    last = stderr.strip().splitlines()[-1]
    again = rerun(root)
    assert (
        proc.returncode == -sig  # ended by the signal once clean (a shell reports 130 / 143)
        and "Traceback" not in stderr
        and last.startswith("已中断：本次完成")
        and "再次运行" in last
        and alive(procs) == []
        and not leftovers(out)
        and again.returncode == 0
        and all_done(out, n)
    ), (
        proc.returncode,
        stderr[-800:],
        alive(procs),
        leftovers(out),
        again.stdout[-500:],
        again.stderr[-500:],
    )


@pytest.mark.slow
def test_kill_then_rerun_leaves_no_process_and_finishes(tmp_path: Path) -> None:
    n = 8
    root = project(tmp_path, n)
    out = root / "outputs" / YEAR
    proc = start_run(root)
    wait_for_units(out, 2, proc)
    procs = descendants(proc.pid)
    proc.kill()
    proc.communicate(timeout=60)
    again = rerun(root)
    assert (
        again.returncode == 0
        and alive(procs) == []
        and not leftovers(out)
        and all_done(out, n)
        and not list(tmp_path.rglob("*.tmp"))
    ), (alive(procs), leftovers(out), again.stdout[-500:], again.stderr[-500:])


def test_next_run_ends_the_tagged_processes_of_a_killed_run(tmp_path: Path) -> None:
    # Where the worker could not follow its orchestrator (no PDEATHSIG): the tag finds it.
    stale = tmp_path / ".staging-old"
    stale.mkdir()
    (stale / guard.PID_FILE).write_text("999999 1.0\n", encoding="utf-8")  # an orchestrator long gone
    (stale / "u.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / ".u.html.abc123.tmp").write_text("half", encoding="utf-8")
    live = tmp_path / ".staging-live"
    live.mkdir()
    (live / guard.PID_FILE).write_text(
        f"{os.getpid()} {psutil.Process().create_time()!r}\n", encoding="utf-8"
    )
    env = dict(os.environ, **{guard.RUN_ENV: str(stale)})
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], env=env)
    other = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"], env=dict(env, **{guard.RUN_ENV: str(live)})
    )
    try:
        time.sleep(0.3)
        removed, ended = guard.reap_stale_runs(tmp_path)
        orphan.wait(timeout=10)
        assert (
            (removed, ended) == (1, 1)
            and orphan.returncode is not None
            and other.poll() is None  # a live run's process is left alone
            and not stale.exists()
            and live.exists()
            and (tmp_path / ".u.html.abc123.tmp").exists()  # a live run may be writing it
        )
    finally:
        for p in (orphan, other):
            p.kill()
            p.wait()


# ------------------------------------------------------------------------------- folders and env
@pytest.mark.parametrize("year", ["2024", "2024-补报", "第二批"])
def test_plain_year_names_pass(year: str) -> None:
    assert guard.check_year(year) == year


@pytest.mark.parametrize(
    "year", ["../x", "/tmp/x", "2024/../../x", "..", ".", "a\\b", "9" * 400, " 2024", "x\x00"]
)
def test_years_that_lead_elsewhere_are_refused(year: str) -> None:
    with pytest.raises(guard.UnsafePath):
        guard.check_year(year)


def test_kernel_spec_is_per_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", "")
    monkeypatch.setattr(kernels.tempfile, "gettempdir", lambda: str(tmp_path))
    specs = []
    for prefix in ("/venv/a", "/venv/b"):
        monkeypatch.setattr(sys, "prefix", prefix)
        monkeypatch.setattr(sys, "executable", f"{prefix}/bin/python")
        kernels.ensure_kernel()
        found = [p for p in tmp_path.glob("evalkit-jupyter-*/kernels/*/kernel.json")]
        specs = {p.parent.parent.parent.name: json.loads(p.read_text())["argv"][0] for p in found}
    assert sorted(specs.values()) == ["/venv/a/bin/python", "/venv/b/bin/python"] and len(specs) == 2

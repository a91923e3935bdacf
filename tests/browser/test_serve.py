"""``evalkit serve`` in a real browser: the token is required, a reviewer saves a decision from the page.

Starts the real command (Voilà with a preheated kernel) on a free loopback port in a copy of the
workspace, then drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from evalkit.workbench.serve import ServeError, resolve_config, voila_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SEED_UNIT = "武汉市蔡甸区红十字会"
TOKEN = "k3y-for-the-test"


def test_refuses_an_empty_token_and_a_missing_workspace(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    with pytest.raises(ServeError, match="令牌不能为空"):
        resolve_config(tmp_path, token="  ")
    with pytest.raises(ServeError, match=r"review\.ipynb"):
        resolve_config(tmp_path / "nowhere")
    config = resolve_config(tmp_path, token=None)
    assert len(config.token) >= 20  # generated, never open
    command = voila_command(config)
    assert f"--Voila.ip={config.host}" in command and config.host == "127.0.0.1"
    assert f"--Voila.token={config.token}" in command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"evalkit serve exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError("evalkit serve did not start listening")


@pytest.fixture()
def served(tmp_path: Path):
    for name in ("notebooks", "parameters"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.lock", ".ipynb_checkpoints")
        )
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115  # closed below, after the server stops
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "evalkit.cli",
            "serve",
            "--workspace",
            str(tmp_path),
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_listening(port, proc)
        yield tmp_path, port
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
        log.close()


@pytest.mark.browser
def test_served_workbench_needs_the_token_and_saves_a_decision(served, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    workspace, port = served
    base = f"http://127.0.0.1:{port}/voila/render/review.ipynb"

    # Without the token the app is not served: the server sends the browser to its login page.
    opener = urllib.request.build_opener(_NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(base, timeout=30)
    assert refused.value.code in (302, 401, 403)
    assert "login" in (refused.value.headers.get("Location") or "login")

    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        try:
            page.goto(f"{base}?token={TOKEN}")
            save = page.get_by_role("button", name="保存复核意见")
            save.wait_for(timeout=90_000)
            body = page.inner_text("body")
            assert SEED_UNIT in body and "99.28" in body
            assert "import evalkit" not in body and "from evalkit" not in body  # no code cells shown
            comment = page.get_by_placeholder("复核备注").first
            comment.fill("网页端复核备注")
            comment.press("Tab")
            save.click()
            page.get_by_text("已保存").wait_for(timeout=30_000)
            page.screenshot(path=str(shots / "saved.png"))
        except Exception:
            page.screenshot(path=str(shots / "failure.png"))
            raise
        finally:
            browser.close()

    saved = yaml.safe_load(
        (workspace / "parameters" / "2024" / f"{SEED_UNIT}.review.yaml").read_text("utf-8")
    )
    comments = [item.get("comment") for item in saved["items"].values()]
    assert comments == ["网页端复核备注"]
    assert saved["history"][-1]["what"].endswith("备注：网页端复核备注")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

"""``evalkit serve``: the workbench as a code-free web app (Voilà) on an intranet server.

Voilà renders ``notebooks/review.ipynb`` and ``notebooks/summary.ipynb`` with their code cells
stripped, one kernel per browser page, so several reviewers work at once, each in a kernel of
their own; saving goes through the same locked merge as in JupyterLab (:mod:`evalkit.workbench.store`).

Security defaults, because a review workspace holds unpublished figures:
- a token is always required (given, from ``EVALKIT_SERVE_TOKEN``, or generated and printed);
  an empty token is refused, so the server is never open;
- it listens on 127.0.0.1 unless a host is given;
- only the notebooks folder is served, and Voilà serves no other files from it than images;
- tracebacks are not sent to the browser.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from evalkit.errors import EvalkitError

TOKEN_ENV = "EVALKIT_SERVE_TOKEN"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ServeError(EvalkitError):
    """The server cannot be started as asked (no workspace, an empty token)."""


@dataclass(frozen=True)
class ServeConfig:
    """What ``evalkit serve`` starts: the folder served, where it listens, and its token."""

    notebooks: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str = ""
    pool_size: int = 1

    @property
    def url(self) -> str:
        """The address a reviewer opens (the token travels in the query string once, then a cookie)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/voila/render/review.ipynb?token={self.token}"


def resolve_config(
    workspace: str | os.PathLike[str] = ".",
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    pool_size: int = 1,
) -> ServeConfig:
    """Check the workspace and settle the token; raise :class:`ServeError` with a message."""
    notebooks = Path(workspace).resolve() / "notebooks"
    if not (notebooks / "review.ipynb").is_file():
        raise ServeError(
            f"{notebooks} 中没有 review.ipynb：请在工作目录（含 notebooks/ 与 parameters/）中运行，"
            "或先用 evalkit init 创建工作目录"
        )
    if token is None:
        token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
    if not token.strip():
        raise ServeError("访问令牌不能为空：evalkit serve 不提供无需令牌的服务")
    if not 0 < port < 65536:
        raise ServeError(f"端口 {port} 无效：应为 1–65535")
    return ServeConfig(notebooks=notebooks, host=host, port=port, token=token, pool_size=max(0, pool_size))


def voila_command(config: ServeConfig) -> list[str]:
    """The Voilà command line for ``config`` (run with the current interpreter)."""
    return [
        sys.executable,
        "-m",
        "voila",
        str(config.notebooks),
        "--no-browser",
        f"--Voila.ip={config.host}",
        f"--port={config.port}",
        f"--Voila.token={config.token}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        # Preheated kernels have run the notebook before a reviewer arrives: the page comes up at once.
        f"--preheat_kernel={config.pool_size > 0}",
        f"--pool_size={config.pool_size}",
        "--theme=light",
    ]


def serve_environment() -> dict[str, str]:
    """The server's environment: charts drawn off-screen, Chinese as the interface language."""
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("LANG", "zh_CN.UTF-8")
    return env


def serve(config: ServeConfig) -> int:
    """Run Voilà in the foreground until it stops (Ctrl-C); its exit status."""
    with subprocess.Popen(voila_command(config), env=serve_environment()) as proc:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                return proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()

"""Browser tests need Debian's Chromium (Playwright cannot download a browser here).

`.ci/run` installs it, and in CI (``CI`` set) a missing browser fails the tests loudly. On a
newcomer's machine without it, the browser tests are skipped with the command that installs it,
so README's test command still runs everything else.
"""

from __future__ import annotations

import os
import shutil

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("chromium") or os.path.exists("/usr/bin/chromium") or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason="需要 Chromium：sudo apt-get install chromium（CI 由 .ci/run 安装）")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)

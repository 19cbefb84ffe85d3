"""Helpers of the tests of ``cables serve``: a real server in a child process, a real Chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextlib.contextmanager
def running_server(warehouse: Path, cache: Path, log: Path) -> Iterator[str]:
    """``cables serve --port 0`` on ``warehouse`` (editions in ``cache``, its stderr in ``log``):
    its URL. Stopped by SIGTERM on exit, which must end it cleanly (exit 0, ``stopped``)."""
    env = {**os.environ, "CABLES_SERVE_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "cables.cli", "serve", "--port", "0", "-w", str(warehouse)]
    with log.open("w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("serving http://127.0.0.1:"), (line, log.read_text())
    # Datasette prints the errors of refused queries on stdout: read it all, or the pipe fills.
    printed: list[str] = []
    threading.Thread(target=lambda: printed.extend(proc.stdout), daemon=True).start()
    try:
        yield line.split()[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text()
    assert log.read_text().strip().endswith("stopped"), log.read_text()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Playwright's browser on the system's headless Chromium; skips when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium not found at /usr/bin/chromium: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def new_page(browser) -> Iterator[object]:
    """A page in a fresh browser context (downloads accepted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        yield context.new_page()
    finally:
        context.close()

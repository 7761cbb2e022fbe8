"""Browser end-to-end fixtures: a real server on 127.0.0.1 and Debian's Chromium driven by Playwright.

The server runs in its own process against a fresh SQLite file (migrations plus the staff accounts
from ``setup_data``), with one queue consumer (``flask ops worker``) beside it on a SqliteHuey file;
the tests reach it over HTTP only. Without /usr/bin/chromium the tests skip,
or fail when ``OPS_E2E_REQUIRED=1`` (CI).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import _compile_translations

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path(os.environ.get("OPS_E2E_CHROMIUM", "/usr/bin/chromium"))  # Debian's package
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000  # per action or navigation: generous for a loaded machine, bounded
SERVER_START_SECONDS = 30
TEST_VAULT_KEY = "5ubr2TiBbjlCDMliSlYu3l_SGwJEeednEAQloPhNU5g="  # a Fernet key for this throwaway server only


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"Chromium is not installed at {CHROMIUM}: the browser end-to-end tests need it. "
        "Install it with `apt-get install chromium` (Debian's package; `playwright install` is not used)."
    )
    if os.environ.get("OPS_E2E_REQUIRED") == "1":
        pytest.fail(message + " OPS_E2E_REQUIRED=1 is set, so this is a failure.", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"the server did not answer {url} within {SERVER_START_SECONDS} s:\n{log_path.read_text()[-3000:]}"
    )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the app served by ``flask run`` on a free port of 127.0.0.1."""
    _require_browser()
    _compile_translations()
    workdir = tmp_path_factory.mktemp("e2e_server")
    port = _free_port()
    env = {
        **os.environ,
        "OPS_DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "OPS_UPLOAD_DIR": str(workdir / "uploads"),
        "OPS_SECRET_KEY": "e2e-secret-key-not-for-production",
        "OPS_VAULT_KEY": TEST_VAULT_KEY,
        "OPS_ENV": "development",
        "OPS_AUTO_MIGRATE": "1",
        # The queue: a SqliteHuey file and the jobs' files, both in the throwaway folder.
        "OPS_QUEUE_FILE": str(workdir / "queue.db"),
        "OPS_JOB_DIR": str(workdir / "jobs"),
        "PYTHONWARNINGS": "ignore",
    }
    for name in ("OPS_TEST_DATABASE_URL", "OPS_REDIS_URL", "OPS_QUEUE_IMMEDIATE", "OPS_TEST_QUEUE"):
        env.pop(name, None)
    setup = subprocess.run(
        [sys.executable, "-m", "tests.e2e.setup_data"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if setup.returncode != 0:
        raise RuntimeError(
            f"preparing the e2e database failed:\n{setup.stdout[-2000:]}{setup.stderr[-3000:]}"
        )
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "app",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-reload",
                "--no-debugger",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    # One consumer beside the server, as `make run` starts it: billing runs and ZIPs are jobs, and it
    # renders the PDFs issued from the pages. Its queue is the SqliteHuey file above.
    with open(workdir / "consumer.log", "wb") as consumer_log:
        consumer = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "ops", "worker", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=consumer_log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url + "/login", server, log_path)
        if consumer.poll() is not None:
            raise RuntimeError(f"the consumer exited:\n{(workdir / 'consumer.log').read_text()[-3000:]}")
        yield base_url
    finally:
        for process in (server, consumer):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # assertions wait as long as actions do
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() -> a Page in its own browser context (own cookies), 1280×800, confirms accepted."""
    contexts = []

    def make():
        context = browser.new_context(
            viewport=VIEWPORT, base_url=live_server, locale="zh-CN", accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts of destructive actions
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (``item.rep_call``) for failure dumps."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

"""Browser fixtures: make run's stack (started here or reused) and a headless Debian Chromium.

Nothing downloads a browser: the tests use /usr/bin/chromium and /usr/bin/chromedriver
(Debian's chromium and chromium-driver, installed by .ci/run) and skip when either is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[4]
# Every flow saves a screenshot: under data/ (ignored by git) in a test run, into
# docs/screenshots/ (the README's pictures) only from `make screenshots`.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "data" / "screenshots"))
CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
CONSOLE = f"http://127.0.0.1:{os.environ.get('CONSOLE_PORT', '8080')}"
PROFILE = "http://127.0.0.1:8001"


def _missing() -> str | None:
    if os.environ.get("SKIP_BROWSER_TESTS"):
        return "SKIP_BROWSER_TESTS is set (they bind make run's ports 8001-8005, 8080, 9092, 9300)"
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return (
            f"headless Chromium not installed ({CHROMIUM}, {CHROMEDRIVER}):"
            " apt-get install chromium chromium-driver fonts-wqy-microhei (.ci/run does)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (requirements-dev.in)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="session")
def stack() -> Iterator[str]:
    """The console's URL: a running make run stack is reused, else one is started and stopped."""
    if _up(f"{CONSOLE}/readyz") and _up(f"{PROFILE}/readyz"):
        yield CONSOLE
        return
    data_dir = tempfile.mkdtemp(prefix="console-e2e-")
    env = {**os.environ, "DATA_DIR": data_dir}
    devstack = [sys.executable, str(ROOT / "scripts" / "devstack.py")]
    try:
        run = subprocess.run(
            [*devstack, "run"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
        )
        if run.returncode != 0 or not _up(f"{CONSOLE}/readyz"):
            output = run.stdout[-3000:] + run.stderr[-3000:]
            pytest.fail(f"make run's stack did not start:\n{output}")
        yield CONSOLE
    finally:
        subprocess.run([*devstack, "stop"], env=env, cwd=ROOT, capture_output=True, timeout=120)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(3)
    try:
        yield driver
    finally:
        driver.quit()


def shoot(driver: Any, name: str) -> None:
    """Save the whole page (its scroll height) as <SCREENSHOT_DIR>/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(700, min(int(height) + 40, 2400)))
    # The window's height includes what is not page (headless Chromium's frame): add it.
    frame = driver.get_window_size()["height"] - driver.execute_script("return innerHeight")
    if frame > 0:
        driver.set_window_size(1280, max(700, min(int(height) + frame, 2400 + frame)))
    driver.execute_script("window.scrollTo(0, 0)")  # a link to an #anchor scrolled the page
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
    driver.set_window_size(1280, 1000)

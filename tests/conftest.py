"""Shared fixtures. Browser tests need Chromium and the playwright package.

Without them, browser tests are skipped on a developer machine but fail on CI (when the ``CI``
environment variable is set), so a CI image that lost its browser cannot pass silently.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (re-exported for the browser tests)

pytest_plugins = ["engines"]  # PostgreSQL and Spark fixtures for the scale-out tests


def chromium_path() -> str | None:
    """The Chromium binary to drive: Debian's, else the first ``chromium`` on PATH."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def missing_browser_requirements() -> list[str]:
    """What is missing for the browser tests, in words; empty when they can run."""
    missing = []
    if chromium_path() is None:
        missing.append(f"Chromium ({CHROMIUM} or `chromium` on PATH)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright Python package")
    return missing


def on_ci() -> bool:
    return bool(os.environ.get("CI", "").strip())


def unavailable(message: str) -> None:
    """Skip the test for a missing program or package; fail instead on CI."""
    if on_ci():
        pytest.fail(f"{message}; CI is set, so this is an error, not a skip.", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_requirements() -> str:
    """The Chromium path; skips the test when something is missing, fails instead on CI."""
    missing = missing_browser_requirements()
    if missing:
        unavailable("browser tests need " + " and ".join(missing))
    path = chromium_path()
    assert path is not None
    return path

"""The docstring examples of every module in ``conversion/``, and the API page, run as doctests.

Run with the standard library's ``doctest`` rather than pytest's ``--doctest-modules``, which
does not get along with the hypothesis plugin here.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conversion"
API_PAGE = ROOT / "docs" / "api.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# Modules whose examples are the public documentation: they must have some.
DOCUMENTED = ("conversion", "conversion.api", "conversion.sharing.codegen")

MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in PACKAGE.rglob("*.py")
    if path.stem != "__main__"  # runs the command line when imported
)


def run_doctests(tests: list[doctest.DocTest]) -> tuple[int, int, str]:
    """(tries, failures, report) for the given doctests, the report captured for the message."""
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    return runner.tries, runner.failures, "".join(report)


@pytest.fixture(autouse=True)
def in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    """Examples that read a sample name it relative to the project folder."""
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name: str) -> None:
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder().find(module, name)
    tries, failures, report = run_doctests(tests)
    assert failures == 0, report
    if name in DOCUMENTED:
        assert tries > 0, f"{name} has no examples"


def test_every_module_is_collected() -> None:
    assert {
        "conversion",
        "conversion.api",
        "conversion.sharing.codegen",
        "conversion.counting.count",
    } <= set(MODULES)


def test_api_page_examples() -> None:
    text = API_PAGE.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "docs/api.md", str(API_PAGE), 0)
    tries, failures, report = run_doctests([test])
    assert failures == 0, report
    assert tries >= 10, "the API page should show the API at work"

"""The example notebooks in ``examples/`` run from top to bottom and show the sample's numbers.

The Jupyter notebook runs in a real kernel (nbclient + ipykernel); the marimo notebook runs as
a plain Python script, the way ``python examples/...py`` runs it, and once more in this process
to read its variables. Without those packages the tests are skipped on a developer machine but
fail on CI (when ``CI`` is set), so CI cannot pass without running the notebooks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
JUPYTER = EXAMPLES / "conversion_by_segment.ipynb"
MARIMO = EXAMPLES / "conversion_by_segment_marimo.py"
TIMEOUT = 300


def require(*modules: str) -> None:
    """Skip when a package is missing; fail instead on CI."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not missing:
        return
    unavailable(f"running the example notebooks needs {', '.join(missing)}")


@pytest.fixture
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment in which ``import conversion`` finds this checkout, in any process."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    return dict(os.environ)


# ---------------------------------------------------------------------------------------------
# Jupyter


def test_jupyter_notebook_is_committed_without_outputs() -> None:
    notebook = json.loads(JUPYTER.read_text(encoding="utf-8"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert code
    for cell in code:
        assert cell["outputs"] == [], "clear the outputs before committing"
        assert cell["execution_count"] is None


def output_text(cell: dict[str, Any]) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        for mime, value in output.get("data", {}).items():
            parts.append(f"[{mime}]")
            if mime.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


@pytest.mark.usefixtures("this_checkout")
def test_jupyter_notebook_runs() -> None:
    require("nbclient", "nbformat", "ipykernel")
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(JUPYTER, as_version=4)
    NotebookClient(
        notebook,
        timeout=TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXAMPLES)}},
    ).execute()  # raises CellExecutionError, naming the cell, if any cell fails
    shown = "\n".join(output_text(cell) for cell in notebook.cells if cell.cell_type == "code")
    assert "381 of 3,123 mature sign-ups bought within 90 days: 12.2%" in shown
    assert "<td>Referral</td><td>392</td><td>105</td><td>26.8%</td>" in shown
    assert "Referral converts better than Paid social by 20.4 percentage points" in shown
    assert "[application/vnd.vegalite.v5+json]" in shown or "[text/html]" in shown
    assert "not had the full 90-day window" in shown


# ---------------------------------------------------------------------------------------------
# marimo


def test_marimo_notebook_runs_as_a_script(this_checkout: dict[str, str], tmp_path: Path) -> None:
    require("marimo")
    done = subprocess.run(
        [sys.executable, str(MARIMO)],
        cwd=tmp_path,  # the notebook finds the samples from its own folder
        env=this_checkout,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.usefixtures("this_checkout")
def test_marimo_notebook_shows_the_samples_numbers() -> None:
    require("marimo")
    spec = importlib.util.spec_from_file_location("conversion_by_segment_marimo", MARIMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, defs = module.app.run()
    result = defs["result"]
    assert (result.overall.customers, result.overall.contacts) == (381, 3123)
    assert defs["comparison"].a.label == "Referral"
    assert "converts better" in defs["comparison"].verdict
    assert defs["trend"].to_dict()["layer"]

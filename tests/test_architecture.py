"""The layout of conversion/ as docs/architecture.md draws it: layers, sizes, no Streamlit.

Each package imports only from itself and the layers below it, never from inside a function to
get round that; no module is over 600 lines and no function over 80 lines of code.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "conversion"
# Lowest first: a module may import from its own layer and any layer before it.
LAYERS = (
    ("conversion.errors", "conversion.definition"),
    ("conversion.reading",),
    ("conversion.roles",),
    ("conversion.sources",),
    ("conversion.counting",),
    ("conversion.analysis",),
    ("conversion.presentation",),
    ("conversion.sharing",),
    ("conversion.notebook",),
    ("conversion.commands",),
    ("conversion.api", "conversion.cli", "conversion.__main__", "conversion"),
)
# Imports inside a function that are not about layers: heavy or optional libraries loaded only
# when used, and the package's lazy re-export of the API.
LAZY_IMPORTS = {
    ("conversion", "conversion.api"),  # conversion.by_segment without Altair at start-up
    # The command line reads its arguments before loading the engine, so --help is instant.
    ("conversion.cli", "conversion.commands"),
    # conversion.Notebook, and `conversion notebook` (which draws charts), load the notebook
    # package only when used.
    ("conversion", "conversion.notebook"),
    ("conversion.commands", "conversion.notebook"),
    # A funnel's chart needs Altair; the command line's funnel tables do not.
    ("conversion.presentation.funnel", "conversion.presentation.charts.funnel"),
}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def layer(module: str) -> int:
    for index, members in enumerate(LAYERS):
        if any(module == m or module.startswith(m + ".") for m in members if m != "conversion"):
            return index
    assert module == "conversion", f"{module} belongs to no layer of docs/architecture.md"
    return len(LAYERS) - 1


def imports(tree: ast.Module, module: str) -> list[tuple[str, bool]]:
    """(imported conversion module, imported inside a function) for every import."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inside |= {id(sub) for sub in ast.walk(node) if sub is not node}
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            base = node.module
            names = [
                f"{base}.{alias.name}" if base == "conversion" else base for alias in node.names
            ]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [(n, id(node) in inside) for n in names if n.split(".")[0] == "conversion"]
    return found


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_only_from_its_own_layer_or_below(module: str) -> None:
    tree = ast.parse(modules()[module].read_text(encoding="utf-8"))
    own = layer(module)
    for imported, in_function in imports(tree, module):
        assert layer(imported) <= own, f"{module} imports {imported}, a higher layer"
        if in_function:
            assert (module, imported) in LAZY_IMPORTS, f"{module} imports {imported} in a function"


@pytest.mark.parametrize("module", sorted(modules()))
def test_modules_and_functions_are_a_size_a_reader_can_hold(module: str) -> None:
    text = modules()[module].read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            first = body[0]
            docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            start = body[1].lineno if docstring and len(body) > 1 else first.lineno
            assert node.end_lineno is not None
            length = node.end_lineno - start + 1
            assert length <= MAX_FUNCTION_LINES, f"{module}.{node.name}: {length} lines"


def test_the_engine_never_imports_streamlit() -> None:
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            assert not any(n.split(".")[0] == "streamlit" for n in names), module


def test_every_layer_of_the_picture_exists() -> None:
    found = set(modules())
    for members in LAYERS:
        for member in members:
            assert member in found, f"docs/architecture.md names {member}, which is gone"


def test_the_command_line_loads_no_chart_or_scipy_stack_before_it_needs_one() -> None:
    """`conversion rates` must not pay for Altair or scipy at start-up (SPEC §6: ≤ 0.35 s).

    A top-level import of a chart module or of scipy in anything `conversion.commands` imports
    costs most of a second (it once went from 0.5 s to 1.8 s this way); the heavy libraries
    load inside the functions that draw or integrate.
    """
    code = (
        "import sys, conversion.commands; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'altair', 'scipy', 'vl_convert'}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.strip()
    assert loaded == "[]"

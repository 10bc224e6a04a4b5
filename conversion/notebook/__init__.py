"""The analysis notebook: pinned views with notes, as one value that runs on any dataset.

Re-exports only. ``document`` is the value and its JSON form, ``kinds`` the registry of cell
kinds; ``builtin``, ``changes`` (What changed) and ``funnel`` the kinds the app's pages pin;
``notes`` the placeholders and safe Markdown of notes, ``running`` computes a notebook on a
dataset, ``render`` exports it as HTML, Markdown or JSON figures, and ``link`` packs it into a
link.
"""

from conversion.notebook import builtin, changes, funnel
from conversion.notebook.document import Cell, Dataset, Notebook, from_json, to_json
from conversion.notebook.kinds import CellKind, Counted, Data, Figures, Shown, register
from conversion.notebook.running import CellResult, NotebookRun, open_data, run

__all__ = [
    "Cell",
    "CellKind",
    "CellResult",
    "Counted",
    "Data",
    "Dataset",
    "Figures",
    "Notebook",
    "NotebookRun",
    "Shown",
    "builtin",
    "changes",
    "from_json",
    "funnel",
    "open_data",
    "register",
    "run",
    "to_json",
]

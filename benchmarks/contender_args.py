"""The command line every contender script shares, so that all of them count one definition.

    SCRIPT FILE --output OUT.csv [--segments source,region] [--window-days 90]
                [--as-of YYYY-MM-DD]

``--segments`` is a comma list of the breakdown columns; ``--as-of`` is the date maturity is
measured from (contacts with a contact date after as-of minus the window are left out).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

DEFAULT_SEGMENTS = "source,region"


def segment_list(text: str) -> list[str]:
    """``"source,region"`` → ``["source", "region"]``; raise on an empty list."""
    segments = [part.strip() for part in text.split(",") if part.strip()]
    if not segments:
        raise argparse.ArgumentTypeError("give at least one segment column")
    return segments


def parser(description: str, *, as_of_required: bool) -> argparse.ArgumentParser:
    """A parser with FILE, --output, --segments, --window-days and --as-of.

    With ``as_of_required=False`` a missing ``--as-of`` is ``None``: the script then takes
    the latest contact or converted date in the data, as the project does by default.
    """
    result = argparse.ArgumentParser(description=description)
    result.add_argument("file", type=Path)
    result.add_argument("--output", type=Path, required=True)
    result.add_argument("--segments", type=segment_list, default=segment_list(DEFAULT_SEGMENTS))
    result.add_argument("--window-days", type=int, default=90)
    result.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        required=as_of_required,
        default=None,
        help="YYYY-MM-DD" + ("" if as_of_required else " (default: latest date in the data)"),
    )
    return result

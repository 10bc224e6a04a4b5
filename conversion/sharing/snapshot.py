"""Snapshot links: the per-segment counts of an uploaded file, packed into one URL parameter.

A snapshot carries only aggregated counts (segment values, contacts, customers) and the view
settings — never a row of the analyst's data. The payload is JSON, compressed with zlib and
written in base64url behind a version prefix (``1.``). Decoding checks the size before and after
decompression and validates every field, so a tampered or oversized link gives a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from conversion.errors import InputError
from conversion.sharing import packing
from conversion.sharing.links import LinkState, from_query, to_query

if TYPE_CHECKING:
    from collections.abc import Sequence

VERSION = 1
PREFIX = f"{VERSION}."
MAX_LINK_CHARS = 64_000
MAX_JSON_BYTES = 512_000
MAX_ROWS = 2_000
MAX_TEXT = 200
MAX_COUNT = 10**12


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot link reproduces: a named table of counts and the view settings."""

    name: str
    segments: tuple[str, ...]
    table: pl.DataFrame
    view: LinkState
    window_days: int | None = None
    as_of: str | None = None


def encode(
    table: pl.DataFrame,
    segments: Sequence[str],
    *,
    name: str,
    view: LinkState | None = None,
    window_days: int | None = None,
    as_of: str | None = None,
) -> str:
    """Pack ``table`` (segment columns, ``contacts``, ``customers``) and the view into a string.

    Examples
    --------
    >>> t = pl.DataFrame({"source": ["Ads", "Web"], "contacts": [10, 5], "customers": [1, 2]})
    >>> decode(encode(t, ["source"], name="leads.csv")).table.equals(t)
    True
    """
    if table.height > MAX_ROWS:
        raise InputError(
            f"A snapshot link holds at most {MAX_ROWS:,} segments; this view has "
            f"{table.height:,}. Use Top K to group the smaller ones as Other."
        )
    rows = [
        [*(str(row[c]) for c in segments), int(row["contacts"]), int(row["customers"])]
        for row in table.iter_rows(named=True)
    ]
    document = {
        "v": VERSION,
        "name": name[:MAX_TEXT],
        "segments": list(segments),
        "rows": rows,
        "view": to_query(view or LinkState()),
        "window_days": window_days,
        "as_of": as_of,
    }
    text = packing.pack(document, VERSION)
    if len(text) > MAX_LINK_CHARS:
        raise InputError(
            "This view is too large for a link; use Top K to show fewer segments, or share the "
            "CSV export instead."
        )
    return text


def decode(text: str) -> Snapshot:
    """Unpack a snapshot; every problem is an InputError that says what is wrong with the link."""
    document = packing.unpack(
        text, version=VERSION, kind="snapshot link", max_chars=MAX_LINK_CHARS,
        max_bytes=MAX_JSON_BYTES,
    )  # fmt: skip
    return _validated(document)


def _broken(why: str) -> InputError:
    return packing.broken("snapshot link", why)


def _validated(document: object) -> Snapshot:
    if not isinstance(document, dict) or document.get("v") != VERSION:
        raise _broken("its contents are not a snapshot")
    name = document.get("name")
    segments = document.get("segments")
    rows = document.get("rows")
    if not isinstance(name, str) or len(name) > MAX_TEXT:
        raise _broken("the dataset name is missing or too long")
    if (
        not isinstance(segments, list)
        or not 1 <= len(segments) <= 2
        or not all(isinstance(s, str) and 0 < len(s) <= MAX_TEXT for s in segments)
        or len(set(segments)) != len(segments)
        or {"contacts", "customers"} & set(segments)
    ):
        raise _broken("the segment columns are not valid")
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_ROWS:
        raise _broken("the table is empty or too large")
    width = len(segments) + 2
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise _broken("a table row has the wrong shape")
        *values, contacts, customers = row
        if not all(isinstance(v, str) and len(v) <= MAX_TEXT for v in values):
            raise _broken("a segment value is not text")
        if not all(type(c) is int and 0 <= c <= MAX_COUNT for c in (contacts, customers)):
            raise _broken("a count is not a whole number")
        if customers > contacts:
            raise _broken("a segment has more customers than contacts")
    columns = {s: [row[i] for row in rows] for i, s in enumerate(segments)}
    table = pl.DataFrame(
        {
            **columns,
            "contacts": [row[-2] for row in rows],
            "customers": [row[-1] for row in rows],
        },
        schema={**{s: pl.String for s in segments}, "contacts": pl.Int64, "customers": pl.Int64},
    )
    if table.select(segments).is_duplicated().any():
        raise _broken("a segment appears twice")
    view_query = document.get("view")
    view = LinkState()
    if isinstance(view_query, dict):
        listed = {k: v if isinstance(v, list) else [v] for k, v in view_query.items()}
        view = from_query(listed)
    window = document.get("window_days")
    as_of = document.get("as_of")
    return Snapshot(
        name=name,
        segments=tuple(segments),
        table=table,
        view=view,
        window_days=window if type(window) is int and 0 <= window <= 3650 else None,
        as_of=as_of if isinstance(as_of, str) and len(as_of) <= 10 else None,
    )

"""Uploaded files, read once per session and content from private files deleted with the session.

An upload's bytes are written once to a private temporary file and scanned lazily from there;
the table read is cached by the SHA-256 of the bytes (and the sheet), so the same file is not
read twice in a session and one analyst's file never answers for another's.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import TYPE_CHECKING

import streamlit as st

from conversion import reading
from conversion.errors import InputError
from ui import caches
from ui.text import plain

if TYPE_CHECKING:
    from pathlib import Path

    from streamlit.runtime.uploaded_file_manager import UploadedFile

UPLOAD_LIMIT_MB = 500  # matches server.maxUploadSize in .streamlit/config.toml
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024


class SessionFiles:
    """The temporary files of one session's uploads, deleted when the session ends.

    Streamlit drops a session's state some time after its browser tab closes; the finalizer
    then removes the files, so uploads do not outlive their session on the server's disk.
    """

    def __init__(self) -> None:
        self.paths: list[Path] = []
        weakref.finalize(self, _delete, self.paths)

    def add(self, *paths: Path | None) -> None:
        self.paths.extend(p for p in paths if p is not None)


def _delete(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def session_files() -> SessionFiles:
    """This session's upload files (created on first use)."""
    if "_files" not in st.session_state:
        st.session_state["_files"] = SessionFiles()
    return st.session_state["_files"]


def load_upload(uploaded: UploadedFile, *, sheet: str | None = None) -> reading.Table | None:
    """The table in ``uploaded`` (``sheet`` of a workbook), or None after showing what is wrong."""
    data = uploaded.getvalue()
    if len(data) > UPLOAD_LIMIT_BYTES:
        st.error(
            f"{plain(uploaded.name)} is {len(data) / 2**20:,.0f} MB; the limit is "
            f"{UPLOAD_LIMIT_MB:,} MB. Export fewer columns or rows, or use the "
            "`conversion` command on your own machine."
        )
        return None
    key = (caches.content_hash(data), sheet)
    tables = caches.session_cache("_tables")
    try:
        return caches.cached(
            tables, key, lambda: _read(data, uploaded.name, sheet), caches.MAX_CACHED_TABLES
        )
    except InputError as error:
        st.error(plain(error))
        return None


def _read(data: bytes, name: str, sheet: str | None) -> reading.Table:
    with st.spinner(f"Reading {plain(name)}…"):
        path = reading.save_upload(data, name)
        session_files().add(path)
        table = reading.load(path, name=name, sheet=sheet)
        session_files().add(table.path)
    return table


def upload_key(contacts: UploadedFile, orders: UploadedFile | None, sheet: str | None) -> str:
    """What an uploaded dataset is known by: its files' content hashes and the sheet read."""
    key = caches.content_hash(contacts.getvalue())
    if orders is not None:
        key += ":" + caches.content_hash(orders.getvalue())
    return key + f":{sheet or ''}"

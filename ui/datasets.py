"""The datasets an analyst can count: a bundled sample, an upload, a database table, a snapshot.

Each is a ``Dataset``: its kind, a key that names its content (a content hash; a sample's own
name, its files being bundled), the contacts table with its detected column roles, and the
optional orders table. Results are cached by the kind and the key, never by a display name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import streamlit as st

from conversion import reading, sources
from conversion.reading.samples import SAMPLES, Sample
from conversion.roles import Roles, detect_roles
from ui import caches
from ui.text import plain

if TYPE_CHECKING:
    import polars as pl

    from conversion.definition import Definition
    from conversion.sharing import codegen, snapshot

DatasetKind = Literal["sample", "upload", "database", "snapshot"]
REMOTE_SAMPLE_ROWS = sources.DETECTION_ROWS


@dataclass(frozen=True)
class Dataset:
    """The contacts table in use (and its optional orders table), ready to count."""

    kind: DatasetKind
    key: str
    name: str
    contacts: reading.Table
    roles: Roles
    orders: reading.Table | None = None
    sample: Sample | None = None
    # A database table counted where it lives; ``contacts`` then holds only its first rows,
    # for the preview and for detecting roles.
    remote: sources.Remote | None = None
    remote_orders: sources.Remote | None = None
    database: codegen.Database | None = None  # where the remote tables came from

    @property
    def identity(self) -> tuple[DatasetKind, str]:
        """What caches know this dataset by: its kind and its content key."""
        return (self.kind, self.key)

    @property
    def columns(self) -> list[str]:
        return self.contacts.columns

    @property
    def orders_columns(self) -> list[str]:
        return self.orders.columns if self.orders else []

    def orders_frame(self, d: Definition) -> pl.LazyFrame | None:
        """The orders table's frame when ``d`` joins orders, else None."""
        return self.orders.frame if self.orders is not None and d.orders else None

    @property
    def source(self) -> sources.Source:
        """What a count runs on: the database table where it lives, or the file."""
        return self.remote if self.remote is not None else sources.of(self.contacts)

    @property
    def orders_source(self) -> sources.Source | None:
        """The orders table as a source (a count uses it only when a definition joins it)."""
        if self.remote_orders is not None:
            return self.remote_orders
        return sources.of(self.orders) if self.orders is not None else None


def sample_dataset(key: str) -> Dataset:
    """A bundled sample as a dataset (read lazily from sample_data/)."""
    sample = SAMPLES[key]
    contacts = reading.load(sample.contacts_path)
    orders = reading.load(sample.orders_path) if sample.orders_path else None
    return Dataset(
        kind="sample",
        key=key,
        name=sample.title,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders,
        sample=sample,
    )


def upload_dataset(
    contacts: reading.Table, key: str, orders: reading.Table | None = None
) -> Dataset:
    """Uploaded files as a dataset; ``key`` is ``uploads.upload_key`` of the files."""
    return Dataset(
        kind="upload",
        key=key,
        name=contacts.name,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders,
    )


def database_dataset(
    key: str,
    remote: sources.Remote,
    orders: sources.Remote | None = None,
    origin: codegen.Database | None = None,
) -> Dataset:
    """A database table as a dataset: counted where it lives, previewed from its first rows."""
    with st.spinner(f"Reading the first rows of {plain(remote.name)}…"):
        head = remote.sample(REMOTE_SAMPLE_ROWS)
        orders_head = orders.sample(REMOTE_SAMPLE_ROWS) if orders is not None else None
    contacts = reading.Table(head.lazy(), name=remote.name, format=remote.engine)
    orders_table = (
        reading.Table(orders_head.lazy(), name=orders.name, format=orders.engine)
        if orders is not None and orders_head is not None
        else None
    )
    return Dataset(
        kind="database",
        key=caches.content_hash(key.encode()),
        name=remote.name,
        contacts=contacts,
        roles=detect_roles(contacts.frame),
        orders=orders_table,
        remote=remote,
        remote_orders=orders,
        database=origin,
    )


def snapshot_dataset(shared: snapshot.Snapshot, packed: str) -> Dataset:
    """A shared link's snapshot (its per-segment counts) as a dataset."""
    table = reading.Table(frame=shared.table.lazy(), name=shared.name, format="snapshot")
    return Dataset(
        kind="snapshot",
        key=caches.content_hash(packed.encode()),
        name=f"{shared.name} (snapshot)",
        contacts=table,
        roles=detect_roles(table.frame),
    )

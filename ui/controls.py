"""Widgets shared by several pages: the sidebar, band thresholds and the column-role editor."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING, Literal

import streamlit as st

from conversion.definition import DATE_BUCKETS, Bands, Definition, OrdersJoin
from conversion.errors import InputError
from conversion.sharing import codegen
from ui import connection, datasets, results, state, uploads
from ui.datasets import Dataset
from ui.text import plain

if TYPE_CHECKING:
    from streamlit.runtime.uploaded_file_manager import UploadedFile

NONE = "— none —"
Evidence = Literal["flag", "date", "orders", "aggregated"]
EVIDENCE: dict[Evidence, str] = {
    "flag": "A flag column (Y/N, TRUE/FALSE, stage…)",
    "date": "A conversion-date column (non-empty = converted)",
    "orders": "Presence in the orders / deals table",
    "aggregated": "Already counted (contacts and customers columns)",
}


Share = Literal["customers", "contacts"]
SHARES: list[Share] = ["customers", "contacts"]  # what the share chart can show the share of

PRESET_LABELS = {
    "default": "Default (20 % / 10 %)",
    "ecommerce": "E-commerce (10 % / 2 %)",
    "custom": "Custom thresholds",
}


def band_controls() -> None:
    """Preset or custom band thresholds; the choice is kept for the whole session."""
    preset = st.selectbox(
        "Performance bands",
        list(PRESET_LABELS),
        format_func=PRESET_LABELS.__getitem__,
        key="bands",
        help="Strong / moderate / poor thresholds, drawn as lines on the charts.",
        persist_state="session",
    )
    if preset == "custom":
        st.number_input(
            "Strong from (%)", 0.0, 100.0, 20.0, 0.5, key="strong_pct", persist_state="session"
        )
        st.number_input(
            "Moderate from (%)", 0.0, 100.0, 10.0, 0.5, key="moderate_pct", persist_state="session"
        )
    try:
        bands()
    except InputError as error:
        st.error(plain(error))


def bands() -> Bands:
    """The bands chosen with ``band_controls`` (the default bands until then)."""
    preset = st.session_state.get("bands", "default")
    if preset != "custom":
        return Bands.preset(preset)
    strong = st.session_state.get("strong_pct", 20.0)
    moderate = st.session_state.get("moderate_pct", 10.0)
    return Bands.custom(strong, moderate)


def safe_bands() -> Bands:
    try:
        return bands()
    except InputError:
        return Bands()


def _pick(label: str, options: list[str], current: str | None, key: str, **kwargs) -> str | None:
    choices = [NONE, *options]
    index = choices.index(current) if current in choices else 0
    value = st.selectbox(label, choices, index=index, key=key, **kwargs)
    return None if value == NONE else value


def _versioned(name: str) -> str:
    """A widget key that changes with each new dataset, so its widgets start from its roles."""
    return f"{name}_{st.session_state.get('roles_version', 0)}"


def role_editor(data: Dataset, d: Definition) -> Definition:
    """Column-role controls, pre-filled from ``d``; returns the definition they describe."""
    columns = data.columns
    evidence = _evidence_choice(data, d)
    if evidence == "aggregated":
        return _aggregated_roles(columns, d)
    left, middle, right = st.columns(3)
    with left:
        id_col = _pick(
            "Contact id",
            columns,
            d.id,
            _versioned("id"),
            help="Count unique contacts by this column.",
        )
        contact_date = _pick("Contact date", columns, d.contact_date, _versioned("contact_date"))
    converted = converted_date = None
    customer_values: tuple[str, ...] = ()
    orders = None
    with middle:
        if evidence == "flag":
            converted, customer_values = _flag_roles(data, d)
        if evidence in ("flag", "date"):
            converted_date = _pick(
                "Conversion date",
                columns,
                d.converted_date or (data.roles.converted_date if evidence == "date" else None),
                _versioned("converted_date"),
                help="Needed for a conversion window.",
            )
        if evidence == "orders" and data.orders is not None:
            orders = _orders_roles(data, d, id_col)
    with right:
        window, as_of = _window_roles(d)
    return Definition(
        segments=d.segments,
        converted=converted,
        customer_values=customer_values,
        converted_date=converted_date,
        id=id_col,
        contact_date=contact_date,
        window_days=window,
        as_of=as_of,
        orders=orders,
        top_k=d.top_k,
        bins=d.bins,
        date_buckets=d.date_buckets,
        date_format=d.date_format,
        bands=d.bands,
    )


def _evidence_choice(data: Dataset, d: Definition) -> Evidence:
    """The analyst's answer to what makes a contact a customer, starting from what ``d`` uses."""
    current: Evidence = (
        "aggregated"
        if d.pre_aggregated
        else "orders"
        if d.orders
        else "flag"
        if d.converted or (not d.converted_date and data.roles.flag_candidates)
        else "date"
    )
    kinds: list[Evidence] = (
        list(EVIDENCE) if data.orders is not None else [k for k in EVIDENCE if k != "orders"]
    )
    return st.radio(
        "What makes a contact a customer?",
        kinds,
        index=kinds.index(current) if current in kinds else 0,
        format_func=EVIDENCE.__getitem__,
        key=_versioned("evidence"),
    )


def _aggregated_roles(columns: list[str], d: Definition) -> Definition:
    """A table already counted: which columns hold the contacts and the customers."""
    left, right = st.columns(2)
    with left:
        contacts_col = _pick("Contacts column", columns, d.contacts_column, _versioned("contacts"))
    with right:
        customers_col = _pick(
            "Customers column", columns, d.customers_column, _versioned("customers")
        )
    return Definition(
        segments=d.segments,
        contacts_column=contacts_col,
        customers_column=customers_col,
        top_k=d.top_k,
        bands=d.bands,
    )


def _flag_roles(data: Dataset, d: Definition) -> tuple[str | None, tuple[str, ...]]:
    """The converted-flag column, and the values meaning a customer (none for yes/no flags)."""
    converted = _pick("Converted flag", data.columns, d.converted or data.roles.converted,
                      _versioned("flag"))  # fmt: skip
    if not converted and data.roles.flag_candidates:
        listed = ", ".join(f"“{plain(c)}”" for c in data.roles.flag_candidates)
        st.warning(
            f"Several columns could each say who became a customer ({listed}); "
            "choose the one that does.",
            icon=":material/help:",
        )
    if not converted:
        return converted, ()
    raw = st.text_input(
        "Values meaning a customer (optional, comma-separated)",
        ", ".join(d.customer_values),
        key=_versioned("customer_values"),
        help="For a stage column, e.g. 'customer, evangelist'. Leave empty for yes/no-like flags.",
    )
    return converted, tuple(v.strip() for v in raw.split(",") if v.strip())


def _orders_roles(data: Dataset, d: Definition, id_col: str | None) -> OrdersJoin | None:
    """How the orders table joins the contacts (None until a contacts key is chosen)."""
    join = d.orders or OrdersJoin(id_col or data.columns[0])
    key_col = _pick("Key in contacts", data.columns, join.key, _versioned("key"))
    orders_key = _pick(
        "Key in orders", data.orders_columns, join.right_key, _versioned("orders_key")
    )
    orders_date = _pick(
        "Order / won date", data.orders_columns, join.orders_date, _versioned("orders_date")
    )
    return OrdersJoin(key_col, orders_key, orders_date) if key_col else None


def _window_roles(d: Definition) -> tuple[int | None, date | None]:
    """The conversion window in days and the as-of date (None when not set)."""
    use_window = st.toggle(
        "Conversion window", d.window_days is not None, key=_versioned("use_window")
    )
    if not use_window:
        return None, None
    window = int(
        st.number_input("Window (days)", 0, 3650, d.window_days or 90, key=_versioned("window"))
    )
    if not st.toggle("Set the as-of date", d.as_of is not None, key=_versioned("use_as_of")):
        return window, None
    return window, st.date_input("As-of date", d.as_of or date.today(), key=_versioned("as_of"))


def segment_picker(data: Dataset, d: Definition) -> Definition:
    """Choose segment columns (any number), top K and nothing else; returns the new definition."""
    roles = {d.id, d.converted, d.converted_date, d.contacts_column, d.customers_column}
    candidates = [c for c in data.columns if c not in roles]
    ranked = [c for c in data.roles.segments if c in candidates]
    options = ranked + [c for c in candidates if c not in ranked]
    current = [c for c in d.segments if c in options] or options[:1]
    left, right = st.columns([3, 1])
    with left:
        chosen = st.multiselect(
            "Break down by",
            options,
            default=current,
            key=_versioned("segments"),
            help="One column, or several: the table and chart show every combination, and "
            "the drill-down goes one column at a time.",
        )
    with right:
        top = st.number_input(
            "Top segments (0 = all)",
            0,
            500,
            d.top_k or 0,
            key=_versioned("top"),
            help="Keep the largest segments and group the rest as Other.",
        )
    bins = dict(d.bins)
    buckets = dict(d.date_buckets)
    shaped = [c for c in chosen if c in data.roles.date_columns or c in data.roles.binnable_columns]
    for column, place in zip(shaped, st.columns(max(len(shaped), 1)), strict=False):
        with place:
            if column in data.roles.date_columns:
                buckets[column] = st.segmented_control(
                    f"Group '{plain(column)}' by", list(DATE_BUCKETS),
                    default=buckets.get(column, "month"), required=True,
                    key=_versioned(f"bucket_{column}"),
                )  # fmt: skip
            else:
                count = st.number_input(
                    f"Quantile bins for '{plain(column)}' (0 = every value)", 0, 20,
                    bins.get(column, 5), key=_versioned(f"bins_{column}"),
                )  # fmt: skip
                bins[column] = int(count)
    return d.with_changes(
        segments=tuple(chosen),
        top_k=int(top) or None,
        bands=safe_bands(),
        bins=tuple((c, n) for c, n in bins.items() if c in chosen and n >= 2),
        date_buckets=tuple((c, b) for c, b in buckets.items() if c in chosen),
    )


UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xls", "parquet", "json", "ndjson", "jsonl", "gz"]


def upload_controls() -> None:
    """The Data page's contacts uploader (with sheet choice) and optional orders uploader.

    A file that cannot be read shows the engine's message and the previous dataset stays. The
    sidebar offers the same uploaders on every page (``ui.sidebar``).
    """
    uploaded = st.file_uploader("Contacts / leads file", type=UPLOAD_TYPES, key="upload")
    with st.expander("Optional: orders or won-deals table, joined on a key"):
        orders_file = st.file_uploader("Orders / deals file", type=UPLOAD_TYPES, key="orders")
    if uploaded is None:
        if state.dataset().kind == "upload":
            st.info(
                f"Using {plain(state.dataset().name)}, uploaded from the sidebar. Upload another "
                "file here or there to replace it."
            )
        else:
            st.info("Upload a file to replace the sample; until then the current dataset stays.")
        return
    take_upload(uploaded, orders_file, sheet_key="sheet")


def take_upload(
    uploaded: UploadedFile, orders_file: UploadedFile | None, *, sheet_key: str
) -> bool:
    """Read an upload (and its orders file) and use it; True when it became the new dataset.

    Nothing changes when the same files are in use already, or when a file cannot be read (its
    message is shown and the previous dataset stays).
    """
    table = uploads.load_upload(uploaded)
    if table is not None and table.sheets and len(table.sheets) > 1:
        sheet = st.selectbox("Sheet", list(table.sheets), key=sheet_key)
        if sheet != table.sheet:
            table = uploads.load_upload(uploaded, sheet=sheet)
    orders = uploads.load_upload(orders_file) if orders_file is not None else None
    if table is None or (orders_file is not None and orders is None):
        st.caption(f"Still using: {plain(state.dataset().name)}")
        return False
    key = uploads.upload_key(uploaded, orders_file, table.sheet)
    if state.dataset().identity == ("upload", key):
        return False
    state.use_dataset(datasets.upload_dataset(table, key, orders))
    return True


def _warn_about_write_powers(database: connection.ContactsDatabase) -> None:
    """With typed queries allowed, say so when the connection's role can do more than read."""
    try:
        powers = database.write_powers()
    except InputError as error:
        st.error(plain(error))
        return
    if powers:
        st.warning(
            f"This connection's database role {plain('; '.join(powers))}. Sessions here are "
            "read-only, but with typed queries allowed the operator should give the app a role "
            "that can only read the listed tables (see the README's database section).",
            icon=":material/shield:",
        )


SECRETS_EXAMPLE = """\
# .streamlit/secrets.toml (never committed: .gitignore lists it)
[connections.crm]
url = "postgresql://analyst@db.internal:5432/crm"  # password: PGPASSWORD or ~/.pgpass
tables = ["contacts", "won_deals"]                 # what analysts may count
allow_queries = false                              # true lets analysts type SQL
"""


def database_controls() -> None:
    """Count a database table where it lives: pick a connection, a table (or query), go."""
    names = connection.connection_names()
    if not names:
        st.info(
            "No database is set up for this app. Its operator adds one to "
            "`.streamlit/secrets.toml` (see docs/scale.md):",
            icon=":material/database:",
        )
        st.code(SECRETS_EXAMPLE, language="toml")
        return
    name = st.selectbox("Connection", names, key="db_connection")
    try:
        database = connection.connect(name)
        address = database.shown_address
    except InputError as error:
        st.error(plain(error))
        return
    st.caption(f"Counts run on {plain(address)}; only the per-segment table comes back.")
    if database.allows_queries:
        _warn_about_write_powers(database)
    kinds = ["Table"] + (["SQL query"] if database.allows_queries else [])
    kind = st.radio("Contacts from", kinds, horizontal=True, key="db_kind")
    table = query = None
    if kind == "Table":
        if not database.tables:
            st.warning("This connection lists no tables; its operator adds `tables = [...]`.")
            return
        table = st.selectbox("Contacts table", database.tables, key="db_table")
    else:
        query = st.text_area("Contacts query", key="db_query", placeholder="select * from ...")
    orders_table = st.selectbox(
        "Orders or won-deals table (optional)", [None, *database.tables],
        format_func=lambda t: "none" if t is None else t, key="db_orders",
    )  # fmt: skip
    if not st.button("Count in the database", type="primary", key="db_go"):
        return
    if kind == "SQL query" and not (query or "").strip():
        st.error("Type a query first.")
        return
    key = f"{name}|{table}|{query}|{orders_table}|{time.time_ns()}"

    def open_and_use() -> bool:
        remote = database.remote(table=table, query=query)
        orders = database.remote(table=orders_table) if orders_table else None
        origin = codegen.Database(name, table, query, orders_table)
        state.use_dataset(datasets.database_dataset(key, remote, orders, origin))
        return True

    if results.guarded(open_and_use):
        st.rerun()

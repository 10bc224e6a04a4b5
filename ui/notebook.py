"""The notebook in the app: pin buttons for the pages, the Notebook page's cells, and its link.

The notebook itself is a value (``conversion.notebook.Notebook``) kept in the session under
``notebook``; every edit replaces it with a changed copy. Each cell is recomputed on the dataset
in use through ``conversion.notebook`` (cached per dataset and cell definition), unless a shared
snapshot link brought its counts (``notebook_counts``), which are then shown as they came.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import streamlit as st

from conversion import notebook
from conversion.errors import InputError
from conversion.notebook import builtin, document, link, notes, running
from conversion.notebook.document import Cell, Dataset, Notebook
from conversion.presentation import export, report
from conversion.presentation.decisions import AIDS_HEADING, LEADS, choices_text
from conversion.reading.samples import SAMPLES
from ui import caches, controls, datasets, decisions, results, state, theme, views
from ui.text import plain

if TYPE_CHECKING:
    from collections.abc import Callable

    from conversion.definition import Definition
    from conversion.notebook.kinds import Counted, Shown
    from ui.datasets import Dataset as AppDataset

KEY = "notebook"
COUNTS_KEY = "notebook_counts"
EDIT_PREFIXES = ("nb_title_", "nb_note_", "nb_book_title")


def current() -> Notebook:
    """The session's notebook (empty until a view is pinned or a notebook opened)."""
    return st.session_state.get(KEY) or Notebook()


def use(book: Notebook, counts: dict[str, Counted] | None = None) -> None:
    """Replace the session's notebook (after an upload or a link): edits start from its cells."""
    for key in [k for k in st.session_state if str(k).startswith(EDIT_PREFIXES)]:
        del st.session_state[key]
    st.session_state[KEY] = book
    st.session_state[COUNTS_KEY] = counts or {}


def _dataset_of(data: AppDataset) -> Dataset:
    return Dataset(data.name, data.kind, data.sample.key if data.sample else None)


# --- pinning ----------------------------------------------------------------------------------


def pin_button(kind: str, definition: Definition, options: dict[str, Any], title: str,
               key: str) -> None:  # fmt: skip
    """An "Add to notebook" button that pins this view, as it is, as a new cell."""
    if st.button("Add to notebook", key=f"pin_{key}", icon=":material/playlist_add:",
                 help="Keep this view, as it is now, as a cell of the Notebook page."):  # fmt: skip
        book = current()
        pinned = definition.with_changes(bands=controls.safe_bands())
        try:
            cell = Cell(secrets.token_hex(4), kind, title, pinned, tuple(options.items()))
            st.session_state[KEY] = replace(
                book.with_cells([*book.cells, cell]), dataset=_dataset_of(state.dataset())
            )
        except InputError as error:
            st.error(plain(error))
            return
        st.toast(f"Added “{plain(title)}” to the notebook (cell {len(book.cells) + 1}).")


def segments_options(sort: str) -> dict[str, Any]:
    """The Segments page's display choices: sort, share of, the share chart's kind, and the
    decision aids shown (with their interval target and difference to detect)."""
    return {
        "sort": sort,
        "share": st.session_state.get("share") or "customers",
        "chart": "donut" if st.session_state.get("donut", True) else "pie",
        **aids_options(targets=True),
    }


def aids_options(*, targets: bool = False) -> dict[str, Any]:
    """The decision aids that are on (``aids``), and with ``targets`` the leads' settings."""
    chosen = decisions.extras()
    options: dict[str, Any] = {"aids": choices_text(chosen)}
    if targets and LEADS in chosen:
        options["margin"] = float(decisions.margin() * 100)
        options["detect"] = float(st.session_state.get("detect_pp") or 0.0)
    return options


def pin_moved(definition: Definition, period: str) -> None:
    """Pin "Why did it move?" with the column and the two cohorts chosen on its tab."""
    column = st.session_state.get("move_by")
    before, after = st.session_state.get("move_from"), st.session_state.get("move_to")
    if column not in definition.segments or before is None or after is None or before == after:
        return
    options = {"period": period, "tab": "moved", "before": before.isoformat(),
               "after": after.isoformat()}  # fmt: skip
    pin_button("trend", definition.with_changes(segments=(column,)), options,
               f"Why did the rate move by {column}?", "trend_moved")  # fmt: skip


# --- editing (button callbacks: each replaces the notebook value) ------------------------------


def _replace_cells(cells: list[Cell]) -> None:
    st.session_state[KEY] = current().with_cells(cells)


def _move(index: int, step: int) -> None:
    cells = list(current().cells)
    target = index + step
    if 0 <= target < len(cells):
        cells[index], cells[target] = cells[target], cells[index]
        _replace_cells(cells)


def _duplicate(index: int) -> None:
    cells = list(current().cells)
    copy = replace(cells[index], id=secrets.token_hex(4), title=cells[index].title + " (copy)")
    counts = st.session_state.get(COUNTS_KEY) or {}
    if cells[index].id in counts:
        counts[copy.id] = counts[cells[index].id]
    try:
        _replace_cells([*cells[: index + 1], copy, *cells[index + 1 :]])
    except InputError as error:
        st.session_state["notebook_error"] = str(error)


def _remove(index: int) -> None:
    cells = list(current().cells)
    del cells[index]
    _replace_cells(cells)


def _toggle(index: int) -> None:
    cells = list(current().cells)
    cells[index] = replace(cells[index], collapsed=not cells[index].collapsed)
    _replace_cells(cells)


def _edited(index: int) -> None:
    cells = list(current().cells)
    cell = cells[index]
    title = st.session_state.get(f"nb_title_{cell.id}", cell.title)
    note = st.session_state.get(f"nb_note_{cell.id}", cell.note)
    cells[index] = replace(cell, title=title[:200], note=note[:5000])
    _replace_cells(cells)


def add_section() -> None:
    """Append a note-only cell, which starts a section."""
    book = current()
    cell = Cell(secrets.token_hex(4), "note", "New section", note="")
    try:
        st.session_state[KEY] = book.with_cells([*book.cells, cell])
    except InputError as error:
        st.session_state["notebook_error"] = str(error)


# --- computing ---------------------------------------------------------------------------------


def data_for(data: AppDataset) -> notebook.Data:
    """The app's dataset as what a notebook runs on (rows only for a file)."""
    rows = data.source.supports.rows
    return notebook.Data(
        name=data.name,
        source=data.source,
        orders_source=data.orders_source,
        columns=tuple(data.columns),
        orders_columns=tuple(data.orders_columns),
        frame=data.contacts.frame if rows else None,
        orders_frame=data.orders.frame if rows and data.orders is not None else None,
        roles=data.roles if rows else None,
    )


def computed() -> running.NotebookRun:
    """Every cell of the session's notebook: from a snapshot's counts, or counted now."""
    book = current()
    data = state.dataset()
    counts: dict[str, Counted] = st.session_state.get(COUNTS_KEY) or {}
    found = []
    for cell in book.cells:
        if cell.id in counts:
            result = running.show_cell(cell, counts[cell.id])
        else:
            result = _counted_now(data, cell) or running.CellResult(
                cell, problem="this cell could not be computed (see the message above)."
            )
        found.append(replace(result, cell=cell))
    name = f"{book.dataset.name} (snapshot)" if counts else data.name
    return running.NotebookRun(book, name, tuple(found), datetime.now(tz=UTC))


def _counted_now(data: AppDataset, cell: Cell) -> running.CellResult | None:
    """One cell counted on ``data``, cached per dataset and definition (title and note aside)."""
    key = (data.identity, cell.kind, cell.definition, cell.options)

    def compute() -> running.CellResult:
        return running.run_cell(cell, data_for(data))

    cache = caches.session_cache("_notebook")
    with st.spinner("Counting…", show_time=True):
        return results.guarded(caches.cached, cache, key, compute, caches.MAX_CACHED_RESULTS)


# --- links -------------------------------------------------------------------------------------


def apply_link() -> None:
    """On a session's first run, open the notebook a link carries (``?notebook=...``)."""
    if st.session_state.get("notebook_link_applied"):
        return
    st.session_state["notebook_link_applied"] = True
    packed = st.query_params.get(link.PARAMETER)
    if not packed:
        return
    try:
        book, counts = link.decode(packed)
    except InputError as error:
        st.session_state["link_error"] = str(error)
        return
    use(book, counts)
    origin = book.dataset
    if counts is None and origin.kind == "sample" and origin.sample in SAMPLES:
        state.use_dataset(datasets.sample_dataset(origin.sample))
    elif counts is None and origin.kind != "sample":
        notices = st.session_state.setdefault("link_notices", [])
        notices.append(
            f"This notebook was built on {origin.name or 'another dataset'}: its cells are "
            "counted on the dataset in use; open the same data on the Data page to see its "
            "numbers."
        )


def share_link(run: running.NotebookRun) -> str:
    """A link to this notebook; for an upload (or a snapshot) it carries each cell's counts."""
    data = state.dataset()
    book = current()
    carry = data.kind in ("upload", "snapshot") or bool(st.session_state.get(COUNTS_KEY))
    counts = None
    if carry:
        counts = {r.cell.id: r.counted for r in run.results if r.counted is not None}
        book = replace(book, dataset=Dataset(data.name if data.kind == "upload" else
                                             book.dataset.name, "snapshot"))  # fmt: skip
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{link.PARAMETER}={link.encode(book, counts)}"


def downloads(run: running.NotebookRun) -> None:
    """The notebook file, the HTML report and the Markdown, each built when clicked."""
    book = current()
    name = book.title or "notebook"
    columns = st.columns(3)
    columns[0].download_button(
        "Notebook (JSON)", lambda: notebook.to_json(book),
        file_name=export.safe_file_name(name, ".notebook.json"), mime="application/json",
        icon=":material/download:", on_click="ignore",
    )  # fmt: skip
    columns[1].download_button(
        "Report (HTML)", run.to_html, file_name=export.safe_file_name(name, "_report.html"),
        mime="text/html", icon=":material/description:", on_click="ignore", type="primary",
    )  # fmt: skip
    columns[2].download_button(
        "Markdown", run.to_markdown, file_name=export.safe_file_name(name, ".md"),
        mime="text/markdown", icon=":material/article:", on_click="ignore",
    )  # fmt: skip


def open_file() -> None:
    """Open a notebook JSON file downloaded earlier (it replaces the notebook in the session)."""
    uploaded = st.file_uploader("Open a notebook file (JSON)", type=["json"], key="nb_upload")
    if uploaded is None or st.session_state.get("nb_upload_id") == uploaded.file_id:
        return
    st.session_state["nb_upload_id"] = uploaded.file_id
    if uploaded.size > document.MAX_FILE_BYTES:
        st.error(f"{plain(uploaded.name)} is larger than a notebook file can be.")
        return
    try:
        book = notebook.from_json(uploaded.getvalue(), source=uploaded.name)
    except InputError as error:
        st.error(plain(error))
        return
    use(book)
    st.rerun()


# --- the Notebook page -------------------------------------------------------------------------


def page() -> None:
    """The notebook's title, its cells in order with their controls, and its exports."""
    book = current()
    title = st.text_input("Notebook title", book.title, key="nb_book_title", max_chars=200)
    if title != book.title:
        st.session_state[KEY] = replace(book, title=title)
    error = st.session_state.pop("notebook_error", None)
    if error:
        st.error(plain(error))
    if st.session_state.get(COUNTS_KEY):
        st.info(
            f"Numbers from a shared snapshot of {plain(current().dataset.name)}: per-segment "
            "counts only, no rows. New cells are counted on the dataset in use.",
            icon=":material/link:",
        )
    _offer_sample(book)
    if not book.cells:
        st.info(
            "Nothing pinned yet. Use **Add to notebook** on the Segments, Trends (each tab, What "
            "changed too), Compare and Funnel pages, or in the column ranking, to keep a view "
            "here, then write what it means."
        )
    run = computed()
    for index, result in enumerate(run.results):
        _cell(run, index, result)
    st.button("Add a section note", icon=":material/add_notes:", on_click=add_section)
    if book.cells:
        st.subheader("Take it elsewhere")
        downloads(run)
        with st.expander("Share this notebook", icon=":material/share:"):
            try:
                st.code(share_link(run), language=None, wrap_lines=True)
            except InputError as error:
                st.error(plain(error))
            if state.dataset().kind == "upload":
                st.caption(
                    "For an uploaded file the link carries each cell's per-segment counts only "
                    "(no rows of your data), so a colleague sees these cells without the file."
                )
    with st.expander("Open a notebook file", icon=":material/upload_file:"):
        open_file()


def _offer_sample(book: Notebook) -> None:
    """When the notebook was built on another bundled sample, offer to switch to it."""
    origin = book.dataset
    data = state.dataset()
    in_use = data.sample.key if data.sample else None
    if st.session_state.get(COUNTS_KEY) or origin.kind != "sample" or origin.sample == in_use:
        return
    if origin.sample not in SAMPLES:
        return
    title = SAMPLES[origin.sample].title
    st.info(f"This notebook was built on the sample {plain(title)}; its cells are counted on "
            f"{plain(data.name)}.", icon=":material/swap_horiz:")  # fmt: skip
    if st.button(f"Use {title}", key="nb_use_sample"):
        state.use_dataset(datasets.sample_dataset(origin.sample))
        st.rerun()


def _cell(run: running.NotebookRun, index: int, result: running.CellResult) -> None:
    cell = result.cell
    above = run.above(index)
    with st.container(border=True, key=f"nb_cell_{cell.id}"):
        label = "Section" if cell.is_note else notebook.kinds.get(cell.kind).label
        st.markdown(f"### {plain(cell.title)}")
        _cell_actions(index, cell, label)
        note = notes.note_markdown(cell.note, result.figures or above, above)
        if note.strip():
            st.markdown(note)
        with st.expander("Edit title and note", icon=":material/edit:"):
            _editors(index, cell)
        if cell.is_note or cell.collapsed:
            return
        if result.problem is not None:
            st.warning(plain(result.problem), icon=":material/warning:")
        if result.shown is not None:
            _view(cell, result.shown)
        if result.counted is not None:
            views.warnings(result.counted.warnings)


def _cell_actions(index: int, cell: Cell, label: str) -> None:
    """The cell's number and kind, and its buttons in one row that wraps on a phone."""
    actions: list[tuple[str, str, Callable[..., None], tuple[int, ...]]] = [
        ("Move up", ":material/arrow_upward:", _move, (index, -1)),
        ("Move down", ":material/arrow_downward:", _move, (index, 1)),
        ("Duplicate", ":material/content_copy:", _duplicate, (index,)),
        ("Expand" if cell.collapsed else "Collapse",
         ":material/unfold_more:" if cell.collapsed else ":material/unfold_less:",
         _toggle, (index,)),
        ("Remove", ":material/delete:", _remove, (index,)),
    ]  # fmt: skip
    with st.container(horizontal=True, vertical_alignment="center", gap="small"):
        st.caption(f"Cell {index + 1} · {label}", width="content")
        st.space("stretch")
        for help_text, icon, action, args in actions:
            st.button("", icon=icon, help=help_text, key=f"nb_{help_text}_{cell.id}",
                      on_click=action, args=args, type="tertiary")  # fmt: skip


def _editors(index: int, cell: Cell) -> None:
    for key, value in ((f"nb_title_{cell.id}", cell.title), (f"nb_note_{cell.id}", cell.note)):
        st.session_state.setdefault(key, value)
    st.text_input("Title", key=f"nb_title_{cell.id}", max_chars=200, on_change=_edited,
                  args=(index,))  # fmt: skip
    st.text_area(
        "Note (Markdown)", key=f"nb_note_{cell.id}", max_chars=5000, on_change=_edited,
        args=(index,),
        help="Live figures: {rate}, {contacts}, {customers}, {best}, {worst} of this cell (in a "
        "section note: of the cell above; in What changed, the current period's rate and "
        "contacts and the segments that rose and fell most); {above.rate} and so on always of "
        "the cell above. "
        "HTML is shown as typed; links only to http(s) and mailto addresses.",
    )  # fmt: skip


def _number_formats(columns: list[str]) -> dict[str, Any]:
    """Percent columns with one decimal and point columns signed, as the pages show them."""
    config: dict[str, Any] = decisions.change_column_config(columns)
    for column in columns:
        if column.endswith("%"):
            config[column] = st.column_config.NumberColumn(format="%.1f%%")
        elif column.endswith("(pp)"):
            config[column] = st.column_config.NumberColumn(format="%+.2f")
    return config


def _view(cell: Cell, shown: Shown) -> None:
    """A cell's view with the page parts its page uses: KPI cards, charts, tables, sentences."""
    bands = cell.definition.bands if cell.definition else controls.safe_bands()
    if shown.described is not None:
        views.kpi_cards(report.kpis(shown.described, shown.segments), bands)
    for start in range(0, 0 if shown.described is not None else len(shown.cards), 3):
        row = shown.cards[start : start + 3]
        for column, (label, value, caption) in zip(st.columns(3), row, strict=False):
            with column.container(border=True):
                st.metric(label, value)
                st.caption(plain(caption))
    if shown.described is None and not shown.cards:
        figures = shown.figures
        columns = st.columns(3)
        columns[0].metric("Overall rate", notes.figure(figures, "rate"), border=True)
        columns[1].metric("Contacts", notes.figure(figures, "contacts"), border=True)
        columns[2].metric("Customers", notes.figure(figures, "customers"), border=True)
    if shown.charts:
        tabs = st.tabs([chart.heading for chart in shown.charts])
        for tab, chart in zip(tabs, shown.charts, strict=True):
            with tab:
                theme.altair_chart(chart.chart, chart.summary, width="stretch")
    if shown.described is not None:
        views.results_table(shown.described, shown.segments, bands, builtin.margin(cell))
    for heading, table in shown.tables:
        if shown.described is not None and heading == AIDS_HEADING:
            continue  # the results table above has these columns
        st.caption(plain(heading))
        st.dataframe(table, hide_index=True, column_config=_number_formats(table.columns))
    for line in shown.lines:
        st.markdown(f"- {plain(line)}")

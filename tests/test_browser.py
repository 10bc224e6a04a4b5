"""Real-browser tests: start ``streamlit run app.py`` and drive it with Chromium (playwright).

Selectors are those of Streamlit 1.67's DOM: ``stSidebarNavLink``, ``stRadio``,
``stFileUploader``, ``stMultiSelect`` (tags carry ``data-tag`` and an ``aria-label``), ``stMetric``
/ ``stMetricValue``, ``stVegaLiteChart`` (the vega-embed element itself, holding ``svg.marks``),
``stDataFrame`` (a canvas grid, plus an accessible ``<table>`` with the raw cell values),
``stAlertContentError`` and ``stException``. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import contextlib
import csv
import re
from pathlib import Path

import pytest
from serving import CHROMIUM_ARGS, free_port, start_server, stop_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 20_000  # for any single wait in the page
VIEWPORT = {"width": 1400, "height": 1000}

# A CRM export with hand-countable numbers: (customers, contacts) per lead source.
LEADS = {"Webinar": (12, 40), "Ads": (3, 60), "Referral": (10, 25), "Trade show": (5, 25)}
CONTACTS = sum(n for _, n in LEADS.values())  # 150
CUSTOMERS = sum(c for c, _ in LEADS.values())  # 30 -> 20.0 %
# Text drawn in the bar chart: bar labels (rate and band), thresholds, the overall rate.
BAR_LABELS = ("30.0% strong", "5.0% poor", "strong ≥ 20%", "moderate ≥ 10%", "overall 20.0%")


@contextlib.contextmanager
def _serve(log_dir: Path, *extra: str):
    """``streamlit run app.py`` on a free local port; yields its URL, stops it afterwards."""
    port = free_port()
    try:
        process = start_server(port, log_dir / "server.log", *extra)
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="module")
def app_url(browser_requirements, tmp_path_factory):
    """The app served for this module's tests."""
    with _serve(tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="module")
def browser(browser_requirements):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=browser_requirements, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh browser context (so a fresh Streamlit session) on the app's default page."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(app_url, timeout=30_000)
    _wait_for_title(tab, "Conversion by segment")
    yield tab
    context.close()


def _wait_for_title(page, title: str) -> None:
    page.get_by_role("heading", name=title, exact=True).wait_for(timeout=30_000)


def _wait_for_idle(page) -> None:
    """Until the script run ends (the status widget shows while Streamlit is running)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=TIMEOUT_MS)


def _assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()
    assert "Traceback" not in page.locator("body").inner_text()


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside ``stMain``, so grow the viewport to fit it."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stMainBlockContainer', 'stSidebarContent']"
        ".map(t => document.querySelector(`[data-testid=${t}]`)?.scrollHeight ?? 0))"
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, 1000), 8000)})
    page.wait_for_timeout(600)  # let vega-embed re-lay out at the new size
    page.screenshot(path=ARTIFACTS / name, full_page=True)
    page.set_viewport_size(VIEWPORT)


def _go_to(page, label: str, title: str) -> None:
    """Client-side navigation through the sidebar (a URL load would start a new session)."""
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=label).click()
    _wait_for_title(page, title)
    _wait_for_idle(page)


def _upload(page, path: Path) -> None:
    _go_to(page, "Data", "Data")
    page.locator('[data-testid="stRadio"]').get_by_text("Upload a file", exact=True).click()
    uploader = page.locator('[data-testid="stMain"] [data-testid="stFileUploader"]').filter(
        has_text="Contacts / leads file"
    )
    uploader.locator('input[type="file"]').set_input_files(path)


def _metric_card(page, label: str):
    label_text = page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    return page.locator('[data-testid="stMetric"]').filter(has=label_text)


def _metric(page, label: str) -> str:
    return _metric_card(page, label).locator('[data-testid="stMetricValue"]').inner_text().strip()


def _visible_chart(page):
    chart = page.locator('[data-testid="stVegaLiteChart"]:visible')
    chart.locator("svg.marks, canvas").first.wait_for(timeout=TIMEOUT_MS)
    return chart


def _mark_counts(chart, kind: str) -> list[int]:
    """The number of drawn items in each Vega mark group of ``kind`` (rect, rule, arc…)."""
    return chart.evaluate(
        "(e, kind) => Array.from(e.querySelectorAll(`g.mark-${kind}.role-mark`))"
        ".map(g => g.querySelectorAll(':scope > path, :scope > line').length)",
        kind,
    )


def _crm_export(path: Path) -> Path:
    """A CRM-style export: BOM, spaces in headers, Y/N flags, one row per contact."""
    lines = ["Record ID,Lead Source,Country,Converted"]
    record = 5000
    for source, (customers, contacts) in LEADS.items():
        for i in range(contacts):
            record += 1
            country = ("France", "Germany", "Spain")[record % 3]
            lines.append(f"{record},{source},{country},{'Y' if i < customers else 'N'}")
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def test_upload_then_segments_charts_and_table(page, tmp_path):
    from playwright.sync_api import expect

    _assert_no_exception(page)
    _upload(page, _crm_export(tmp_path / "crm_export.csv"))

    _wait_for_title(page, "Preview of crm_export.csv")
    _wait_for_idle(page)
    _metric_card(page, "Rows").wait_for()
    assert _metric(page, "Rows") == str(CONTACTS)
    assert _metric(page, "Unique contacts") == str(CONTACTS)
    _assert_no_exception(page)
    _screenshot(page, "data.png")

    _go_to(page, "Segments", "Conversion by segment")
    picker = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Break down by")
    if picker.locator('[data-tag][aria-label="Lead Source"]').count() == 0:
        for remove in picker.get_by_role("button", name="Remove").all():
            remove.click()
            _wait_for_idle(page)
        picker.get_by_role("combobox").click()
        page.get_by_role("option", name="Lead Source", exact=True).click()
        page.keyboard.press("Escape")
        _wait_for_idle(page)
    assert picker.locator("[data-tag]").evaluate_all(
        "tags => tags.map(t => t.getAttribute('aria-label'))"
    ) == ["Lead Source"]

    # KPI cards: 30 customers of 150 contacts.
    assert _metric(page, "Overall rate") == "20.0%"
    assert _metric(page, "Contacts") == "150"
    assert _metric(page, "Customers") == "30"

    # Bar chart: one bar per lead source, the two band thresholds and the overall rate.
    bars = _visible_chart(page)
    assert bars.count() == 1
    if bars.locator("svg.marks").count():
        for label in BAR_LABELS:
            expect(bars).to_contain_text(label)
        rects = _mark_counts(bars, "rect")
        assert len(LEADS) in rects, rects  # the bars (and the whisker caps)
        assert _mark_counts(bars, "rule").count(1) >= 3  # 2 thresholds + the overall line
    _screenshot(page, "segments.png")

    # Results table: st.dataframe draws on a canvas, but keeps an accessible table in the DOM.
    grid = page.locator('[data-testid="stDataFrame"]')
    webinar_row = grid.locator("table tr").filter(has_text="Webinar")
    webinar_row.wait_for(state="attached")
    header = grid.locator("table tr").first.locator("th, td").all_inner_texts()
    cells = dict(zip(header, webinar_row.locator("th, td").all_inner_texts(), strict=False))
    assert cells["Contacts"] == "40"
    assert cells["Customers"] == "12"
    assert float(cells["Rate %"]) == pytest.approx(30.0)

    # The same figures through the table's CSV download.
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Table (CSV)").click()
    assert download.value.suggested_filename == "crm_export_by_segment.csv"
    with open(download.value.path(), encoding="utf-8", newline="") as handle:
        rows = {row["Lead Source"]: row for row in csv.DictReader(handle)}
    assert set(rows) == set(LEADS)
    assert (rows["Webinar"]["contacts"], rows["Webinar"]["customers"]) == ("40", "12")
    assert float(rows["Webinar"]["rate_pct"]) == pytest.approx(30.0)
    assert float(rows["Ads"]["rate_pct"]) == pytest.approx(5.0)

    # Pie / donut of the share of customers: one slice per source with customers.
    page.get_by_role("tab", name="Share of customers").click()
    pie = _visible_chart(page)
    assert pie.count() == 1
    if pie.locator("svg.marks").count():
        expect(pie).to_contain_text("40.0%")  # Webinar: 12 of the 30 customers
        assert _mark_counts(pie, "arc") == [len(LEADS)]
    _assert_no_exception(page)
    _screenshot(page, "share.png")


BAD_UPLOADS = [
    pytest.param("nul_bytes.csv", b"\x00\x01\x02\xff" * 512, id="nul-bytes"),
    pytest.param("zip_renamed.csv", b"PK\x03\x04" + bytes(range(256)) * 4, id="zip-renamed"),
    pytest.param("corrupt_gzip.csv", b"\x1f\x8b\x08\x00" + b"\x00" * 100, id="corrupt-gzip"),
]


@pytest.mark.parametrize(("name", "content"), BAD_UPLOADS)
def test_bad_upload_shows_an_error_not_a_traceback(page, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    _upload(page, path)
    _wait_for_idle(page)
    error = page.locator('[data-testid="stAlertContentError"]').filter(has_text=name)
    problems = page.locator('[data-testid="stAlertContentError"], [data-testid="stException"]')
    problems.first.wait_for(timeout=TIMEOUT_MS)
    _screenshot(page, f"bad_upload_{path.stem}.png")
    _assert_no_exception(page)
    assert error.count() == 1, problems.all_inner_texts()
    # The previous dataset stays in use.
    assert page.get_by_text("Still using: Newsletter sign-ups").count() == 1


def _open(browser, url: str):
    """A fresh browser context (a new colleague) opening ``url``."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(url, timeout=30_000)
    _wait_for_title(tab, "Conversion by segment")
    _wait_for_idle(tab)
    return context, tab


def test_a_link_with_query_parameters_opens_that_view(browser, app_url):
    from playwright.sync_api import expect

    context, tab = _open(browser, f"{app_url}/?sample=b2b&seg=company_size&bands=ecommerce")
    try:
        _assert_no_exception(tab)
        picker = tab.locator('[data-testid="stMultiSelect"]').filter(has_text="Break down by")
        expect(picker.locator('[data-tag][aria-label="company_size"]')).to_have_count(1)
        chart = _visible_chart(tab)
        # The e-commerce preset draws its own thresholds; the chosen column's values are bars.
        expect(chart).to_contain_text("top ≥ 10%")
        expect(chart).to_contain_text("1000+")
        assert tab.locator('[data-testid="stSidebar"]').inner_text().count("B2B leads") == 1
        assert "sample=b2b" in tab.url and "seg=company_size" in tab.url
        _screenshot(tab, "link.png")
    finally:
        context.close()


def test_a_snapshot_link_shows_the_same_rates_without_the_file(page, browser, tmp_path):
    from playwright.sync_api import expect

    _upload(page, _crm_export(tmp_path / "crm_export.csv"))
    _wait_for_title(page, "Preview of crm_export.csv")
    _wait_for_idle(page)
    _go_to(page, "Segments", "Conversion by segment")
    assert _metric(page, "Overall rate") == "20.0%"
    page.get_by_text("Share this view").click()
    link = page.locator('[data-testid="stCode"] code').first.inner_text().strip()
    assert "snapshot=" in link and link.startswith("http://127.0.0.1")

    context, tab = _open(browser, link)
    try:
        _assert_no_exception(tab)
        assert _metric(tab, "Overall rate") == "20.0%"
        assert _metric(tab, "Contacts") == str(CONTACTS)
        chart = _visible_chart(tab)
        expect(chart).to_contain_text("30.0% strong")
        expect(tab.locator('[data-testid="stSidebar"]')).to_contain_text(
            "crm_export.csv (snapshot)"
        )
        _screenshot(tab, "snapshot.png")
    finally:
        context.close()


def test_a_deep_link_as_a_fresh_servers_first_request_goes_through_the_app(browser, tmp_path):
    """A pages/ folder must not put Streamlit in its legacy multipage mode for a deep link."""
    from playwright.sync_api import expect

    with _serve(tmp_path) as url:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        try:
            tab.goto(f"{url}/compare?sample=web", timeout=30_000)
            _wait_for_title(tab, "Compare two segments")
            _wait_for_idle(tab)
            _assert_no_exception(tab)
            links = tab.locator('[data-testid="stSidebarNavLink"]')
            # Each link's text is its icon's ligature name followed by the page title.
            titles = ["Segments", "Data", "Trends", "Compare", "Funnel", "Guide"]
            expect(links).to_have_text([re.compile(f"{title}$") for title in titles])
            expect(tab.locator('[data-testid="stSidebar"]')).to_contain_text("Web sessions")
        finally:
            context.close()


def test_a_postgres_table_is_counted_in_place_and_charted(browser, postgres, tmp_path):
    """Data -> Connect to a database, with the server's secrets file naming a real PostgreSQL."""
    import polars as pl
    from engines import write_postgres
    from playwright.sync_api import expect

    with open(_crm_export(tmp_path / "crm.csv"), encoding="utf-8-sig", newline="") as handle:
        write_postgres(postgres, pl.DataFrame(list(csv.DictReader(handle))), "browser_leads")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f'[connections.warehouse]\nurl = "{postgres.address}"\ntables = ["browser_leads"]\n',
        encoding="utf-8",
    )
    with _serve(tmp_path, "--secrets.files", str(secrets)) as url:
        context = browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        tab = context.new_page()
        try:
            tab.goto(url, timeout=30_000)
            _wait_for_title(tab, "Conversion by segment")
            _go_to(tab, "Data", "Data")
            tab.locator('[data-testid="stRadio"]').get_by_text(
                "Connect to a database", exact=True
            ).click()
            _wait_for_idle(tab)
            expect(tab.locator("body")).to_contain_text("only the per-segment table comes back")
            tab.get_by_role("button", name="Count in the database").click()
            _wait_for_title(tab, "Preview of browser_leads (warehouse)")
            _wait_for_idle(tab)
            assert _metric(tab, "Rows") == str(CONTACTS)
            _assert_no_exception(tab)
            _screenshot(tab, "database.png")

            _go_to(tab, "Segments", "Conversion by segment")
            assert _metric(tab, "Overall rate") == "20.0%"
            assert _metric(tab, "Contacts") == str(CONTACTS)
            bars = _visible_chart(tab)
            assert bars.count() == 1
            if bars.locator("svg.marks").count():
                for label in BAR_LABELS:
                    expect(bars).to_contain_text(label)
            _assert_no_exception(tab)
            _screenshot(tab, "database_segments.png")
        finally:
            context.close()


def test_a_report_export_upload_says_what_the_reader_left_out(page):
    """Google Ads report (tests/corpus): title lines and Total rows are left out, not counted."""
    from playwright.sync_api import expect

    corpus = Path(__file__).resolve().parent / "corpus"
    _upload(page, corpus / "google_ads_campaigns.csv")
    _wait_for_title(page, "Preview of google_ads_campaigns.csv")
    _wait_for_idle(page)
    _metric_card(page, "Rows").wait_for()
    alerts = page.locator('[data-testid="stAlert"]')
    expect(alerts.filter(has_text="are a title above the table")).to_have_count(1)
    # "Total: Account" and "Total: Campaigns" both equal the sum of the campaigns.
    expect(alerts.filter(has_text="is the total of the other rows")).to_have_count(2)
    _assert_no_exception(page)
    _screenshot(page, "data-report-export.png")
    page.set_viewport_size({"width": 390, "height": 900})
    page.wait_for_timeout(600)
    page.screenshot(path=ARTIFACTS / "data-report-export-phone.png", full_page=True)
    page.set_viewport_size(VIEWPORT)

    _go_to(page, "Segments", "Conversion by segment")
    # 139,703 clicks and 6,418 conversions over the 50 campaigns (tests/corpus/expected.json),
    # not doubled by the Total rows.
    assert _metric(page, "Contacts") == "139,703"
    assert _metric(page, "Customers") == "6,418"
    _assert_no_exception(page)


# --- the first five minutes (issue 17) ----------------------------------------------------------

PAGE_ADDRESSES = {
    "/": "Conversion by segment",
    "/segments": "Conversion by segment",
    "/segments?seg=region": "Conversion by segment",
    "/data": "Data",
    "/trends": "Trends by cohort",
    "/compare?sample=web": "Compare two segments",
    "/funnel": "Funnel by segment",
    "/guide": "Guide",
}


def _open_cleanly(browser, url: str, title: str) -> None:
    """Open ``url`` in a fresh context: its page, no "Page not found" dialog, no exception."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        tab.goto(url, timeout=30_000)
        _wait_for_title(tab, title)
        _wait_for_idle(tab)
        tab.wait_for_timeout(500)  # the dialog, when there is one, follows the first render
        assert tab.get_by_text("Page not found").count() == 0, url
        _assert_no_exception(tab)
    finally:
        context.close()


@pytest.mark.parametrize("address", list(PAGE_ADDRESSES))
def test_a_page_address_opens_cleanly_as_a_fresh_servers_first_request(browser, tmp_path, address):
    with _serve(tmp_path) as url:
        _open_cleanly(browser, url + address, PAGE_ADDRESSES[address])


def test_every_page_address_opens_cleanly_on_a_running_server(browser, app_url):
    for address, title in PAGE_ADDRESSES.items():
        _open_cleanly(browser, app_url + address, title)


def _sidebar_upload(page, path: Path) -> None:
    uploader = page.locator('[data-testid="stSidebar"] [data-testid="stFileUploader"]').filter(
        has_text="Contacts / leads file"
    )
    uploader.locator('input[type="file"]').set_input_files(path)


def _open_and_upload(browser, app_url: str, path: Path, width: int, scheme: str = "light"):
    """A fresh context at ``width`` on the first screen, ``path`` uploaded from the sidebar.

    Returns the context and its tab once the sidebar names the file; the caller closes it.
    """
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": 1000}, color_scheme=scheme)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.goto(app_url, timeout=30_000)
    _wait_for_title(tab, "Conversion by segment")
    _wait_for_idle(tab)
    if width < 600:  # a phone shows the sidebar behind a button
        tab.locator('[data-testid="stExpandSidebarButton"]').click()
    _sidebar_upload(tab, path)
    expect(tab.locator('[data-testid="stSidebar"]')).to_contain_text(path.name, timeout=30_000)
    return context, tab


@pytest.mark.parametrize("width", [1400, 390])
def test_an_upload_from_the_first_screens_sidebar_shows_its_rates(
    browser, app_url, tmp_path, width
):
    from playwright.sync_api import expect

    path = _crm_export(tmp_path / "crm_export.csv")
    context, tab = _open_and_upload(browser, app_url, path, width)
    try:
        sidebar = tab.locator('[data-testid="stSidebar"]')
        expect(sidebar).to_contain_text(
            "customer = flag column Converted; 150 rows; by Lead Source; change on the Data page"
        )
        _wait_for_title(tab, "Conversion by segment")
        _wait_for_idle(tab)
        assert "seg=Lead+Source" in tab.url
        assert _metric(tab, "Overall rate") == "20.0%"
        assert _metric(tab, "Contacts") == str(CONTACTS)
        assert _metric(tab, "Customers") == str(CUSTOMERS)
        # The best segment's full name is written out, not cut: Referral converts 10 of 25.
        assert _metric(tab, "Best segment") == "40.0%"
        assert _metric(tab, "Worst segment") == "5.0%"
        captions = tab.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]')
        expect(captions.filter(has_text=re.compile(r"^Referral$"))).to_be_visible()
        expect(captions.filter(has_text=re.compile(r"^Ads$"))).to_be_visible()
        _assert_no_exception(tab)
        if width < 600:
            tab.locator(
                '[data-testid="stSidebarCollapseButton"] button, '
                '[data-testid="stSidebarCollapseButton"]'
            ).first.click()
            tab.wait_for_timeout(500)
        _screenshot_at(tab, f"first_upload_{width}.png", width)
    finally:
        context.close()


def _screenshot_at(page, name: str, width: int) -> None:
    """The whole page at ``width``: grow the viewport to the content's height first."""
    ARTIFACTS.mkdir(exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stMainBlockContainer']"
        ".map(t => document.querySelector(`[data-testid=${t}]`)?.scrollHeight ?? 0))"
    )
    page.set_viewport_size({"width": width, "height": min(max(height, 1000), 8000)})
    page.wait_for_timeout(600)
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def _three_column_export(path: Path) -> Path:
    """LEADS with a country and a device per lead (the flag as in ``_crm_export``)."""
    lines = ["Record ID,Lead Source,Country,Device,Converted"]
    record = 1
    for source, (customers, contacts) in LEADS.items():
        for i in range(contacts):
            country = ("France", "Germany", "Spain")[i % 3]
            device = "mobile" if i % 2 else "desktop"
            lines.append(f"{record},{source},{country},{device},{'Y' if i < customers else 'N'}")
            record += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("width", "scheme"), [(1400, "light"), (390, "light"), (1400, "dark"), (390, "dark")]
)
def test_three_columns_and_a_drill_down_whose_totals_add_up(
    browser, app_url, tmp_path, width, scheme
):
    from playwright.sync_api import expect

    path = _three_column_export(tmp_path / "leads.csv")
    context, tab = _open_and_upload(browser, app_url, path, width, scheme)
    try:
        _wait_for_idle(tab)
        if width < 600:
            tab.locator('[data-testid="stSidebarCollapseButton"]').first.click()
        _wait_for_title(tab, "Conversion by segment")
        _wait_for_idle(tab)
        picker = tab.locator('[data-testid="stMultiSelect"]').filter(has_text="Break down by")
        for name in ("Country", "Device"):
            box = picker.get_by_role("combobox")
            box.click()
            expect(box).to_be_focused()
            tab.keyboard.type(name)
            tab.get_by_role("option", name=name, exact=True).wait_for()
            tab.keyboard.press("Enter")
            tab.keyboard.press("Escape")
            _wait_for_idle(tab)
        assert picker.locator("[data-tag]").evaluate_all(
            "tags => tags.map(t => t.getAttribute('aria-label'))"
        ) == ["Lead Source", "Country", "Device"]
        # During a rerun a stale, disabled copy of the tab can linger: take the live one.
        tab.get_by_role("tab", name="Drill down", disabled=False).click()
        main = tab.locator('[data-testid="stMain"]')
        expect(main).to_contain_text(
            f"Lead Source within all contacts: {CONTACTS} contacts, {CUSTOMERS} customers"
        )
        # Into Webinar: its countries add up to Webinar's 12 customers of 40 contacts.
        select = tab.locator('[data-testid="stSelectbox"]').filter(
            has_text="Look inside one Lead Source value"
        )
        # From the keyboard: focus the box, type the value, Enter.
        box = select.get_by_role("combobox")
        box.click()
        expect(box).to_be_focused()
        tab.wait_for_timeout(300)
        tab.keyboard.type("Webinar")
        tab.get_by_role("option", name="Webinar", exact=True).wait_for()
        tab.keyboard.press("Enter")
        _wait_for_idle(tab)
        customers, contacts = LEADS["Webinar"]  # 12 of 40
        expect(main).to_contain_text(
            f"Country within Webinar: {contacts} contacts, {customers} customers"
        )
        _assert_no_exception(tab)
        _screenshot_at(tab, f"drill_{scheme}_{width}.png", width)
        # The breadcrumb's first pill goes back to the top level.
        crumbs = tab.locator('[data-testid="stButtonGroup"]').filter(has_text="Webinar")
        crumbs.get_by_text("All", exact=True).click()
        _wait_for_idle(tab)
        expect(main).to_contain_text("Lead Source within all contacts")
    finally:
        context.close()

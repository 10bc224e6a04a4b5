"""Only the people the operator meant may count in a database (issue 18, item 5).

The rules of ``ui.access`` on their own, then the app in AppTest against a real PostgreSQL: with
sign-in required, a session without a signed-in user and one whose address is not listed see no
database option, and a crafted link counts nothing (the server shows that the app never even
connected as the connection's role); a listed user counts the hand-counted numbers of
``test_app``'s CRM table (Webinar 12/40, Ads 3/60, Referral 10/25). A non-local server without
sign-in offers a database only where the operator set ``allow_anonymous = true``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from engines import write_postgres
from streamlit.testing.v1 import AppTest
from test_app_database import check_hand_counts, crm_frame

from ui import access

ROOT = Path(__file__).resolve().parent.parent
HOSTED = "https://crm-insights.example.com/"
LOCAL = "http://localhost:8501/"
AUTH = {  # an OpenID Connect provider as the operator would set it up (never contacted here)
    "redirect_uri": f"{HOSTED}oauth2callback",
    "cookie_secret": "a-long-random-string",
    "client_id": "crm-insights",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}
DATABASE_OPTION = "Connect to a database"
ROLES = itertools.count()
# What a crafted link would need to count: a source, a connection, a table and the button.
CRAFTED_LINK = {"source_kind": DATABASE_OPTION, "db_connection": "warehouse",
                "db_table": "access_contacts", "db_go": "true", "seg": "Lead Source"}  # fmt: skip


@pytest.mark.parametrize(
    ("url", "peer", "proxied", "local"),
    [
        ("http://localhost:8501/", None, False, True),
        ("http://127.0.0.1:8501/data", None, False, True),
        ("http://[::1]:8501/", "::1", False, True),
        ("http://app.localhost:8501/", "127.0.0.2", False, True),
        ("https://crm-insights.example.com/", None, False, False),  # a local proxy's public name
        ("http://10.0.0.5:8501/", None, False, False),
        ("http://localhost:8501/", "203.0.113.7", False, False),  # a browser that says localhost
        ("http://localhost:8501/", None, True, False),  # passed on by a proxy
        (None, None, False, False),  # a browser that does not say: not local
    ],
)
def test_what_counts_as_a_local_session(url, peer, proxied, local) -> None:
    assert access.is_local(url, peer, proxied) is local


@pytest.mark.parametrize(
    ("email", "verified", "allowed"),
    [
        ("ana@example.com", True, True),
        ("ANA@Example.COM", None, True),  # addresses compare without case; no claim: fine
        ("bo@team.example.com", True, True),  # by its domain
        ("bo@mail.team.example.com", True, False),  # a subdomain is another domain
        ("eve@example.com.evil.net", True, False),
        ("ana@example.com", False, False),  # the provider says it is not verified
    ],
)
def test_an_allow_list_lets_in_listed_addresses_and_domains_only(email, verified, allowed) -> None:
    section = {"allowed_emails": ["ana@example.com"], "allowed_domains": ["team.example.com"]}
    user = {"is_logged_in": True, "email": email, "email_verified": verified}
    assert access.may_use(section, user, local=False) is allowed
    assert access.may_use(section, {**user, "is_logged_in": False}, local=True) is False


def test_without_a_list_a_connection_is_local_only_unless_anonymous_use_is_allowed() -> None:
    nobody = {"is_logged_in": None, "email": "test@example.com"}
    assert access.may_use({}, nobody, local=True)
    assert not access.may_use({}, nobody, local=False)
    assert not access.may_use({"allow_anonymous": "yes"}, nobody, local=False)  # true, not text
    assert access.may_use({"allow_anonymous": True}, nobody, local=False)


# The app, on a real PostgreSQL server.


def reader_address(postgres, name: str) -> str:
    """A fresh role that may only read the test table, so the server can say who connected."""
    if postgres.sql("select 1 from pg_roles where rolname = %s", (name,)):
        postgres.sql(f"drop owned by {name} cascade")
        postgres.sql(f"drop role {name}")
    postgres.sql(f"create role {name} login")
    postgres.sql(f"grant select on access_contacts to {name}")
    return postgres.address.replace(f"{postgres.user}@", f"{name}@")


def connections_as(postgres, role: str) -> int:
    query = "select count(*) from pg_stat_activity where usename = %s"
    return postgres.sql(query, (role,))[0][0]


def open_data_page(secrets: dict, *, url: str, user: dict, link: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in secrets.items():
        at.secrets[key] = value
    at.context = {"url": url}
    at.user = user
    at.query_params = dict(link or {})
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sources_offered(at: AppTest) -> list[str]:
    return list(at.radio(key="source_kind").options)


def buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


@pytest.fixture
def signed_in_only(postgres) -> tuple[object, dict, str]:
    write_postgres(postgres, crm_frame(), "access_contacts")
    # A role of the test's own: the process's pools outlive a test, so no test sees another's.
    role = f"access_{next(ROLES)}"
    section = {
        "url": reader_address(postgres, role),
        "tables": ["access_contacts"],
        "allowed_emails": ["ana@example.com"],
        "allowed_domains": ["team.example.com"],
    }
    return postgres, {"auth": AUTH, "connections": {"warehouse": section}}, role


def test_without_a_signed_in_user_there_is_no_database_option_and_a_link_counts_nothing(
    signed_in_only,
) -> None:
    postgres, secrets, role = signed_in_only
    at = open_data_page(secrets, url=HOSTED, user={"is_logged_in": False}, link=CRAFTED_LINK)
    assert sources_offered(at) == ["Bundled sample", "Upload a file"]
    assert "Sign in" in buttons(at)
    assert not at.selectbox or all(s.key != "db_connection" for s in at.selectbox)
    assert at.session_state["dataset"].kind != "database"
    # Uploads and samples still work without signing in.
    at.radio(key="source_kind").set_value("Bundled sample").run()
    assert not at.exception and at.session_state["dataset"].kind == "sample"
    assert connections_as(postgres, role) == 0  # the app never connected as the database's role


def test_a_signed_in_address_that_is_not_listed_sees_no_database_option(signed_in_only) -> None:
    postgres, secrets, role = signed_in_only
    eve = {"is_logged_in": True, "email": "eve@elsewhere.net", "email_verified": True}
    at = open_data_page(secrets, url=HOSTED, user=eve, link=CRAFTED_LINK)
    assert sources_offered(at) == ["Bundled sample", "Upload a file"]
    assert "Sign out" in buttons(at) and "Sign in" not in buttons(at)
    assert any("Signed in as eve@elsewhere.net" in c.value for c in at.caption)
    assert at.session_state["dataset"].kind != "database"
    assert connections_as(postgres, role) == 0


def test_a_listed_user_counts_in_the_database(signed_in_only) -> None:
    postgres, secrets, role = signed_in_only
    bo = {"is_logged_in": True, "email": "bo@team.example.com", "email_verified": True}
    at = open_data_page(secrets, url=HOSTED, user=bo)
    assert DATABASE_OPTION in sources_offered(at)
    at.radio(key="source_kind").set_value(DATABASE_OPTION).run()
    at.selectbox(key="db_table").set_value("access_contacts").run()
    at.button(key="db_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["dataset"].kind == "database"
    check_hand_counts(at)
    assert connections_as(postgres, role) == 1  # one pooled connection, kept for the next count


def test_a_non_local_server_offers_a_database_only_where_anonymous_use_is_allowed(
    postgres,
) -> None:
    write_postgres(postgres, crm_frame(), "access_contacts")
    section = {"url": reader_address(postgres, "access_anonymous"), "tables": ["access_contacts"]}
    nobody = {"email": "test@example.com"}  # AppTest's default user: not signed in
    at = open_data_page({"connections": {"warehouse": section}}, url=HOSTED, user=nobody)
    assert sources_offered(at) == ["Bundled sample", "Upload a file"]
    assert not any(label.startswith("Sign in") for label in buttons(at))  # no list: no sign-in
    assert connections_as(postgres, "access_anonymous") == 0

    opened = {"connections": {"warehouse": {**section, "allow_anonymous": True}}}
    at = open_data_page(opened, url=HOSTED, user=nobody)
    assert DATABASE_OPTION in sources_offered(at)
    at.radio(key="source_kind").set_value(DATABASE_OPTION).run()
    at.selectbox(key="db_table").set_value("access_contacts").run()
    at.button(key="db_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    check_hand_counts(at)


def test_a_browser_that_claims_localhost_from_another_machine_is_not_local(
    postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = {"url": postgres.address, "tables": ["access_contacts"]}
    at = open_data_page({"connections": {"warehouse": section}}, url=LOCAL, user={})
    assert DATABASE_OPTION in sources_offered(at)  # from this machine: local
    # The same page, its connection coming from elsewhere (what st.context.ip_address gives).
    monkeypatch.setattr(access, "client_address", lambda: "203.0.113.7")
    at = open_data_page({"connections": {"warehouse": section}}, url=LOCAL, user={})
    assert sources_offered(at) == ["Bundled sample", "Upload a file"]


def test_the_readmes_secrets_example_is_what_the_app_reads() -> None:
    import re
    import tomllib

    from conversion.sources.guards import Limits
    from conversion.sources.pool import PoolSettings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.DOTALL)
    example = next(b for b in blocks if "pool_size" in b)
    secrets = tomllib.loads("\n".join(line.strip() for line in example.splitlines()))
    section = secrets["connections"]["crm"]
    assert Limits.from_settings(section) == Limits(statement_timeout_s=60, max_rows=100_000)
    assert PoolSettings.from_settings(section) == PoolSettings(4, 60, 30)
    assert access.needs_sign_in(section)
    assert set(AUTH) == set(secrets["auth"])  # the keys st.login needs, as the tests set them
    signed_in = {"is_logged_in": True, "email": "ana@example.com"}
    assert access.may_use(section, signed_in, local=False)
    assert not access.may_use(section, {**signed_in, "email": "eve@elsewhere.net"}, local=True)

"""Who may count in the operator's databases (issue 18): the people the operator meant, no others.

A hosted link with a database configured would otherwise let anyone who has the link count the
operator's tables. Each ``[connections.NAME]`` section of ``.streamlit/secrets.toml`` is open to
a session by one of three rules, checked in this order:

1. **An allow-list** (``allowed_emails = [...]`` and/or ``allowed_domains = [...]``): only a
   person signed in with ``st.login`` (an OpenID Connect provider set up in the ``[auth]``
   section) whose e-mail address is listed, or whose address's domain is listed exactly
   (``example.com`` does not let in ``mail.example.com``), and whose provider did not say the
   address is unverified. This holds on a local server too.
2. **``allow_anonymous = true``**: anyone who can open the app.
3. **Otherwise, a local session only**: the browser's address (``st.context.url``) names this
   machine (``localhost``, ``127.0.0.1``, ``::1``), the connection comes from this machine
   (``st.context.ip_address`` is empty, as Streamlit makes it for loopback) and no proxy header
   (``X-Forwarded-For``, ``Forwarded``, ``X-Real-Ip``) says it was passed on. A server behind a
   proxy or reached by its network name is not local.

A session that may use no connection sees no database option (a sign-in button instead, where
sign-in could help); file uploads and samples need no sign-in. Links carry no database settings
(``ui.links``), so a crafted link cannot count either.
"""

from __future__ import annotations

import importlib.util
import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")
LIST_KEYS = ("allowed_emails", "allowed_domains")


def needs_sign_in(section: Mapping[str, Any]) -> bool:
    """Whether a connection is kept to signed-in people on its allow-list (rule 1)."""
    return any(section.get(key) for key in LIST_KEYS)


def email_allowed(email: str, emails: Sequence[str], domains: Sequence[str]) -> bool:
    """Whether an address is on a connection's list, itself or by its exact domain.

    Examples
    --------
    >>> email_allowed("Ana@Example.com", ["ana@example.com"], [])
    True
    >>> email_allowed("bo@mail.example.com", [], ["example.com"])
    False
    >>> email_allowed("bo@example.com", [], ["@example.com"])
    True
    """
    address = email.strip().lower()
    if "@" not in address:
        return False
    domain = address.rpartition("@")[2]
    listed = {str(e).strip().lower() for e in emails}
    listed_domains = {str(d).strip().lower().lstrip("@") for d in domains}
    return address in listed or domain in listed_domains


def is_local(url: str | None, peer: str | None, proxied: bool) -> bool:
    """Rule 3: the browser's address names this machine and the connection comes from it.

    ``peer`` is the connection's address (None: loopback, as ``st.context.ip_address`` gives it).

    Examples
    --------
    >>> is_local("http://localhost:8501/data", None, False)
    True
    >>> is_local("https://crm.example.com/", None, False)
    False
    >>> is_local("http://localhost:8501/", "203.0.113.7", False)
    False
    """
    if proxied or not url or not (peer is None or _loopback(peer)):
        return False
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.endswith(".localhost") or _loopback(host)


def may_use(section: Mapping[str, Any], user: Mapping[str, Any], local: bool) -> bool:
    """Whether a session (its signed-in ``user``, whether it is ``local``) may use a connection."""
    if needs_sign_in(section):
        email = user.get("email")
        return (
            user.get("is_logged_in") is True
            and isinstance(email, str)
            and user.get("email_verified") is not False
            and email_allowed(email, _listed(section, "allowed_emails"),
                              _listed(section, "allowed_domains"))
        )  # fmt: skip
    return section.get("allow_anonymous") is True or local


def _listed(section: Mapping[str, Any], key: str) -> list[str]:
    value = section.get(key) or []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# What Streamlit tells about this session.


def client_address() -> str | None:
    """The address the session's connection comes from (None: this machine).

    ``st.context.ip_address`` is a string, or None for loopback; anything else (AppTest's
    stand-in runtime has no network peer) reads as this machine.
    """
    address = st.context.ip_address
    return address if isinstance(address, str) else None


def local_session() -> bool:
    headers = st.context.headers
    proxied = any(headers.get(name) for name in PROXY_HEADERS)
    return is_local(st.context.url, client_address(), proxied)


def session_user() -> dict[str, Any]:
    """Who is signed in: ``is_logged_in`` (True only after st.login), ``email`` and whether
    the provider verified it (``email_verified``)."""
    return {key: st.user.get(key) for key in ("is_logged_in", "email", "email_verified")}


def sign_in_providers() -> list[str | None] | None:
    """The ``[auth]`` providers to offer (None in the list: the default one); None: no [auth]."""
    try:
        auth = st.secrets.get("auth")
    except Exception:  # no secrets file
        return None
    if not isinstance(auth, Mapping) or not auth:
        return None
    named = [name for name, value in auth.items() if isinstance(value, Mapping)]
    return ([None] if "client_id" in auth else []) + sorted(named)


def allowed(sections: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The connections this session may use, by name."""
    user, local = session_user(), local_session()
    return sorted(name for name, section in sections.items() if may_use(section, user, local))


def sign_in_offer(sections: Mapping[str, Mapping[str, Any]]) -> None:
    """Where no connection is open to this session: a way to sign in, when that could help."""
    if not any(needs_sign_in(s) for s in sections.values()):
        return
    user = session_user()
    providers = sign_in_providers()
    if user.get("is_logged_in") is True:
        st.caption(
            f"Signed in as {user.get('email') or 'an account without an e-mail address'}: no "
            "database connection of this app lists this address. Ask the app's operator, or "
            "sign in with another account."
        )
        st.button("Sign out", key="sign_out", on_click=st.logout)
    elif providers is None or importlib.util.find_spec("authlib") is None:
        st.caption(
            "This app's database connections need sign-in, which its operator has not set up "
            "(an [auth] section in secrets.toml and the Authlib package; see the README's "
            "hosting section)."
        )
    else:
        st.caption("Sign in to count in this app's databases; files and samples need no sign-in.")
        for provider in providers:
            label = "Sign in" if provider is None else f"Sign in with {provider}"
            args = () if provider is None else (provider,)
            st.button(label, key=f"sign_in_{provider or 'default'}", on_click=st.login, args=args)

"""Bounded caches kept in one session's state and keyed on content hashes, never on names.

A cache is an ``OrderedDict`` in ``st.session_state``, so one analyst's tables and results
never reach another session. Each holds at most a few entries, none older than an hour: the
oldest goes first when a new one comes in.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, TypeVar, cast

import streamlit as st

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")
Cache = OrderedDict[Hashable, tuple[float, object]]

MAX_CACHED_RESULTS = 32
MAX_CACHED_TABLES = 4
MAX_CACHED_CHARTS = 24
MAX_CACHE_AGE_SECONDS = 3600


def content_hash(data: bytes) -> str:
    """The SHA-256 of ``data`` as hex: what a cache entry of that content is known by."""
    return hashlib.sha256(data).hexdigest()


def session_cache(name: str) -> Cache:
    """The session's cache called ``name`` (created empty on first use)."""
    if name not in st.session_state:
        st.session_state[name] = OrderedDict()
    return st.session_state[name]


def remember(cache: Cache, key: Hashable, value: object, limit: int) -> None:
    """Keep ``value`` (with its time), dropping the oldest entries beyond ``limit`` or age."""
    now = time.monotonic()
    cache[key] = (now, value)
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
    for old in [k for k, (stamp, _) in cache.items() if now - stamp > MAX_CACHE_AGE_SECONDS]:
        del cache[old]


def recall(cache: Cache, key: Hashable) -> tuple[bool, object]:
    """Whether ``key`` is cached and not too old, and its value (None when it is not)."""
    entry = cache.get(key)
    if entry is None or time.monotonic() - entry[0] > MAX_CACHE_AGE_SECONDS:
        cache.pop(key, None)
        return False, None
    cache.move_to_end(key)
    return True, entry[1]


def cached(cache: Cache, key: Hashable, compute: Callable[[], T], limit: int) -> T:
    """The value cached for ``key``, or ``compute()``'s, then kept; an error keeps nothing."""
    found, value = recall(cache, key)
    if found:
        # Only ``cached`` stores under a key, and always what that key's ``compute`` returns.
        return cast("T", value)
    computed = compute()
    remember(cache, key, computed, limit)
    return computed

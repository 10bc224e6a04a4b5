"""How a link carries a JSON document: ``VERSION.`` then zlib-compressed JSON in URL-safe base64.

Snapshot links and notebook links share this one format and its limits: the text is checked
for length before anything is unpacked, decompression stops at a byte limit (so a small link
cannot unpack to gigabytes), and every way a link can be cut short or altered becomes one
``InputError`` worded for the kind of link. What the document must contain is the caller's
business; nothing here evaluates or unpickles anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from conversion.errors import InputError


def pack(document: Any, version: int) -> str:
    """``document`` as link text: ``"<version>." + base64(zlib(JSON))``, padding dropped.

    Examples
    --------
    >>> pack({"v": 1}, 1)[:2]
    '1.'
    """
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return f"{version}." + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip(
        "="
    )


def unpack(text: object, *, version: int, kind: str, max_chars: int, max_bytes: int) -> Any:
    """The JSON document in link ``text``; every problem is an ``InputError`` about the ``kind``.

    ``kind`` names the link in messages ("snapshot link", "notebook link"). A link longer than
    ``max_chars``, unpacking to more than ``max_bytes``, of another version, or truncated or
    altered is refused with a sentence saying which.

    Examples
    --------
    >>> unpack(pack({"v": 1}, 1), version=1, kind="link", max_chars=99, max_bytes=99)
    {'v': 1}
    """
    if not isinstance(text, str) or not text:
        raise broken(kind, "it is empty")
    if len(text) > max_chars:
        raise broken(kind, f"it is longer than {max_chars:,} characters")
    found, dot, packed = text.partition(".")
    if not dot or not (found.isascii() and found.isdigit()):
        raise broken(kind, "it does not start with a version number")
    if int(found) != version:
        raise InputError(
            f"This {kind} was made by another version of the app (format {found}; this one "
            f"reads format {version}). Ask for a new link."
        )
    try:
        compressed = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, max_bytes)
        if inflater.unconsumed_tail:
            raise broken(kind, "it unpacks to more than the size limit")
        return json.loads(raw.decode("utf-8"))
    except InputError:
        raise
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError, RecursionError):
        raise broken(kind, "it is truncated or altered") from None


def broken(kind: str, why: str) -> InputError:
    """The message for a link that cannot be opened, and what to do about it."""
    return InputError(
        f"This {kind} cannot be opened: {why}. Copy the whole link again, or ask for a new one."
    )

"""User text shown through Markdown-rendering elements is escaped here, so it reads literally."""

from __future__ import annotations

_MARKDOWN = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: object) -> str:
    """``text`` with every Markdown control character escaped (file, column and segment names,
    messages quoting values): Streamlit shows it as typed, never as a link, image or emphasis.

    Examples
    --------
    >>> plain("[click](javascript:alert(1)) **x**")
    '\\\\[click\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\) \\\\*\\\\*x\\\\*\\\\*'
    """
    return "".join("\\" + ch if ch in _MARKDOWN else ch for ch in str(text))

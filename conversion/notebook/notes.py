"""Cell notes: live figures filled into placeholders, and Markdown made safe to render.

Placeholders (the whole syntax; anything else in braces is left as written):

- ``{rate}`` — the view's overall conversion rate, e.g. ``12.3%`` (one decimal, more when
  needed to stay on its side of a band threshold);
- ``{contacts}``, ``{customers}`` — the view's counted contacts and customers, e.g. ``1,234``;
- ``{best}``, ``{worst}`` — the best and worst segment as the KPI cards judge them (by the
  interval's lower / upper bound) with its rate, e.g. ``Referral (25.0%)``; for a trend, the
  best and worst cohort; for the column ranking, the column that separates most / least; for
  What changed, the segment whose rate rose / fell most with its change, e.g.
  ``Referral (+3.2 pp)`` (there ``{rate}`` and ``{contacts}`` are the current period's).

Unprefixed, a placeholder takes the figures of its own cell; in a note-only cell, which has
none, those of the nearest view cell above it. ``{above.rate}`` (any name, prefixed ``above.``)
always takes the nearest view cell above. A figure that cannot be had (no cell above, or the
cell could not be computed) reads ``–``. Write ``{{`` and ``}}`` for literal braces.

Safe Markdown: a note is the analyst's text, shown in the app (``st.markdown``), the Markdown
export and the HTML report. HTML is never interpreted: ``<``, ``>``, ``&`` and ``\\`` are
escaped, so tags, entities and the analyst's own escapes show literally; a link is kept only
when it points to ``http://``, ``https://`` or ``mailto:`` and is not an image — any other
link (``javascript:``, ``data:``, relative, reference-style) has its brackets escaped and shows
as the text that was typed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from conversion.presentation import formats

if TYPE_CHECKING:
    from conversion.notebook.kinds import Figures

NAMES = ("rate", "contacts", "customers", "best", "worst")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(above\.)?(rate|contacts|customers|best|worst)\}")
_SAFE_LINK = re.compile(
    r"(?<![!\\])\[(?P<label>[^\[\]\n]{1,500})\]\((?P<url>(?:https?://|mailto:)[^\s()<>\"'`\\]{1,2000})\)",
    re.IGNORECASE,
)
_SPECIAL = re.compile(r"[\\<>&\[\]]|!(?=\[)")
# Characters that carry Markdown meaning in a filled-in value (a segment's name).
_VALUE_SPECIAL = re.compile(r"[\\`*_\[\]<>#|~$&]")


def figure(figures: Figures | None, name: str) -> str:
    """One placeholder's text for ``figures`` (``–`` when there are none).

    Examples
    --------
    >>> from conversion.notebook.kinds import Figures
    >>> f = Figures(contacts=1200, customers=150, rate=0.125, best="Referral", best_rate=0.25)
    >>> figure(f, "rate"), figure(f, "contacts"), figure(f, "best"), figure(f, "worst")
    ('12.5%', '1,200', 'Referral (25.0%)', '–')
    """
    if figures is None:
        return formats.EN_DASH
    if name == "rate":
        return formats.band_percent(figures.rate, figures.limits)
    if name in ("contacts", "customers"):
        return formats.count(getattr(figures, name))
    label = getattr(figures, name)
    if label is None:
        return formats.EN_DASH
    moved = getattr(figures, f"{name}_change")
    if moved is not None:
        return f"{label} ({formats.points(moved)})"
    rate = getattr(figures, f"{name}_rate")
    return label if rate is None else f"{label} ({formats.band_percent(rate, figures.limits)})"


def fill(note: str, own: Figures | None, above: Figures | None, *, escape: bool = True) -> str:
    """``note`` with every placeholder replaced by its figure (escaped for Markdown by default).

    Examples
    --------
    >>> from conversion.notebook.kinds import Figures
    >>> f = Figures(contacts=80, customers=20, rate=0.25)
    >>> fill("{rate} of {contacts}; {{rate}} stays", f, None)
    '25.0% of 80; {rate} stays'
    """

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        figures = above if match.group(1) else own
        value = figure(figures, match.group(2))
        return escape_value(value) if escape else value

    return _PLACEHOLDER.sub(replace, note)


def escape_value(text: str) -> str:
    """Text from the data (a segment's name) escaped so Markdown shows it exactly as it is.

    Examples
    --------
    >>> escape_value("*Ads* | <b>")
    '\\\\*Ads\\\\* \\\\| \\\\<b\\\\>'
    """
    return _VALUE_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def safe_markdown(text: str) -> str:
    """``text`` as Markdown that shows no HTML and links only to web and mail addresses.

    Examples
    --------
    >>> safe_markdown("<b>hi</b> [x](javascript:alert(1)) [ok](https://example.com)")
    '\\\\<b\\\\>hi\\\\</b\\\\> \\\\[x\\\\](javascript:alert(1)) [ok](https://example.com)'
    """
    out = []
    position = 0
    for match in _SAFE_LINK.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(f"[{_escape(match['label'])}]({match['url']})")
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def note_markdown(note: str, own: Figures | None, above: Figures | None) -> str:
    """A note ready for a Markdown renderer: made safe first, then its figures filled in."""
    return fill(safe_markdown(note), own, above)


def note_text(note: str, own: Figures | None, above: Figures | None) -> str:
    """A note as plain text with its figures filled in (for HTML, where it is escaped whole)."""
    return fill(note, own, above, escape=False)

"""Marking user-facing text in code that must not import a translation framework.

`N_("text %(name)s")` returns the text unchanged and tells the message extractor that it is
a message id. The web layer translates it when it shows it: `gettext(msgid, **params)`.
"""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark `msgid` for extraction; translated later, where the locale is known."""
    return msgid

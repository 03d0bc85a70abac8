"""Text from scenarios is data: escaped before it enters Markdown, and URLs checked before they become links.

A scenario's title, labels, notes and source names reach ``report.md``, ``sim compare``'s
``table.md`` and the README block. :func:`markdown` makes them literal text: every
character CommonMark could read as markup (emphasis, code, links, raw HTML, entities,
tables) is backslash-escaped (CommonMark spec 0.31, section 2.4: any ASCII punctuation
may be escaped), and line breaks and other control characters become spaces, so text
cannot end a table row, start a heading or close the README's generated block.
:func:`safe_url` admits only absolute ``http``/``https`` URLs and percent-encodes the
characters that could end a Markdown link destination or an HTML attribute.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

__all__ = ["MAX_URL", "markdown", "safe_url"]

_SPECIAL = frozenset("\\`*_[]<>|&#!~$")
_LEADING_MARK = re.compile(r"^([-+=])")
_LEADING_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
MAX_URL = 2000
"""Longest URL made into a link (longer ones are shown as text)."""
_URL_SAFE = ":/?#@!$&*+,;=%~-._"
"""Characters left as they are in a URL; every other one is percent-encoded (RFC 3986, 2.1)."""


def markdown(text: str) -> str:
    """``text`` as literal Markdown text on one line, also where a line or a table cell begins.

    Line breaks, tabs and other control characters become spaces, and a leading space is
    written ``&#32;`` (an indent would start a code block); markup characters are escaped, and so
    are a leading ``-``, ``+`` or ``=`` and the ``.`` or ``)`` after a leading number
    followed by a space (they would start a list, a rule or underline a heading).
    """
    flat = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    escaped = "".join(
        "\\" + c if c in _SPECIAL and not (c == "_" and _inside_word(flat, i)) else c for i, c in enumerate(flat)
    )
    if escaped[:1] == " ":
        return "&#32;" + escaped[1:]  # a space as a character reference: the line does not start indented
    return _LEADING_NUMBER.sub(r"\1\\\2", _LEADING_MARK.sub(r"\\\1", escaped))


def _inside_word(text: str, index: int) -> bool:
    """Whether ``text[index]`` lies between two letters or digits (an ``_`` there cannot open or close emphasis).

    CommonMark 0.31, section 6.2: an underscore both left- and right-flanking opens or closes
    emphasis only beside punctuation, so ``snake_case`` ids stay readable unescaped.
    """
    return 0 < index < len(text) - 1 and text[index - 1].isalnum() and text[index + 1].isalnum()


def safe_url(url: str | None) -> str | None:
    """``url`` fit to be a link target, or None when it is not an absolute http(s) URL.

    Whitespace and control characters refuse the URL (a link is not guessed from it);
    parentheses, angle brackets, quotes, backslashes and non-ASCII characters are
    percent-encoded, so the result cannot close a Markdown link or an HTML attribute.
    """
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        return None
    if any(character.isspace() or unicodedata.category(character) == "Cc" for character in url):
        return None
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urllib.parse.quote(url, safe=_URL_SAFE)

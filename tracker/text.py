r"""Escaping untrusted text: names from a cluster or from upstream, before any output shows them.

Pod, namespace, workload, image, node, cluster and release names, tags and finding messages
(which quote them) come from outside. Shown raw they could clear a terminal (``ESC[2J``), plant
a link (OSC 8), reorder what a reader sees (U+202E RIGHT-TO-LEFT OVERRIDE), inject Markdown or
HTML, or ping a whole Slack channel (``<!channel>``). Every output escapes them through this one
module:

* :func:`for_terminal` (tables, warnings, every text output): control characters (Unicode
  categories Cc, Cf, Cs, Zl, Zp: C0/C1 controls including ESC, DEL, bidirectional overrides and
  isolates, zero-width and other invisible format characters, line/paragraph separators, lone
  surrogates) become visible escapes: ``\x1b``, ``\x0a``, ``\u202e``, ``\U000e0001``.
  Everything else (letters of any script, ``[``, ``<``) is kept; rich markup is never parsed
  from values because formatters build ``rich.text.Text`` objects.
* :func:`for_markdown`: the same, then GitHub-flavoured Markdown and inline HTML syntax
  backslash-escaped (CommonMark §2.4: any ASCII punctuation may be backslash-escaped).
* :func:`for_slack`: the same, then Slack's mrkdwn control characters ``&``, ``<``, ``>``
  as HTML entities (https://api.slack.com/reference/surfaces/formatting#escaping), which
  neutralises ``<!channel>`` and ``<url|text>``; and, since mrkdwn has no escape for its
  formatting characters, ``*``, ``_``, ``~`` and `````` ` `````` are replaced by look-alikes
  (U+2217 ASTERISK OPERATOR, U+02CD MODIFIER LETTER LOW MACRON, U+223C TILDE OPERATOR,
  U+02CB MODIFIER LETTER GRAVE ACCENT; the approach of jsx-slack's
  ``<Escape>``), so a name can never open bold, italics, strike-through or code.
* :func:`json_text`: JSON keeps the raw value; only inside JSON strings, and written as
  JSON escapes (``\u001b``, ``\u202e``), so the document is the same data and is still safe
  to print on a terminal.

>>> for_terminal("evil\x1b[2J\u202ename")
'evil\\x1b[2J\\u202ename'
>>> for_slack("evil<!channel>")
'evil&lt;!channel&gt;'
>>> for_markdown("a|b <i>")
'a\\|b \\<i\\>'
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote

__all__ = ["for_markdown", "for_slack", "for_terminal", "is_unsafe", "json_text", "safe_url"]

_PLAIN = re.compile(r"[\x20-\x7e]*")
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#!~&])")
_SLACK_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})


def is_unsafe(char: str) -> bool:
    """True for one character that must not reach an output raw (see the module docstring).

    >>> [is_unsafe(c) for c in ("a", "\x1b", "\u202e", "\u200b", "é", "\u2028")]
    [False, True, True, True, False, True]
    """
    code = ord(char)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return True
    if code < 0x7F:
        return False
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escape_char(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def for_terminal(text: str) -> str:
    r"""``text`` with every unsafe character shown as a Python-style escape.

    >>> for_terminal("pod\nname\x9b")
    'pod\\x0aname\\x9b'
    >>> for_terminal("ingress-nginx")  # the common case costs one regex match
    'ingress-nginx'
    """
    if _PLAIN.fullmatch(text):
        return text
    return "".join(_escape_char(c) if is_unsafe(c) else c for c in text)


def for_markdown(text: str) -> str:
    r"""``text`` for GitHub-flavoured Markdown: :func:`for_terminal`, then ``\ ` * _ [ ] < > | #
    ! ~ &`` backslash-escaped (no emphasis, link, table cell break, heading or HTML tag).

    >>> for_markdown("*x*<script>")
    '\\*x\\*\\<script\\>'
    """
    return _MD_SPECIAL.sub(r"\\\1", for_terminal(text))


def for_slack(text: str) -> str:
    """``text`` for Slack mrkdwn (and the plain ``text`` fallback): see the module docstring.

    >>> for_slack("<https://evil.example|click> & x")
    '&lt;https://evil.example|click&gt; &amp; x'
    >>> for_slack("*b* _i_ ~s~ `c`") == "\u2217b\u2217 \u02cdi\u02cd \u223cs\u223c \u02cbc\u02cb"
    True
    """
    escaped = for_terminal(text)
    escaped = escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.translate(_SLACK_LOOKALIKES)


_URL_UNSAFE = frozenset(" \"'()<>[]\\^`{|}")


def safe_url(url: str | None) -> str | None:
    """An upstream URL fit to embed in a Markdown or Slack link: only ``http(s)://``, and
    every character outside printable ASCII or special in those syntaxes percent-encoded.
    None for anything else (``javascript:``, a path, None).

    >>> safe_url("https://github.com/a/b/releases/tag/v1 (x)|<!channel>")
    'https://github.com/a/b/releases/tag/v1%20%28x%29%7C%3C!channel%3E'
    >>> safe_url("javascript:alert(1)") is None
    True
    """
    if not url or not url.startswith(("https://", "http://")):
        return None
    return "".join(
        quote(c, safe="") if c in _URL_UNSAFE or not (c.isascii() and c.isprintable()) else c
        for c in url
    )


def _json_escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # a UTF-16 surrogate pair, as JSON requires
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(data: Any, *, indent: int | None = 2) -> str:
    r"""``json.dumps(data)`` (UTF-8 text, not ASCII-only) with every unsafe character written
    as a JSON ``\uXXXX`` escape: the parsed value is unchanged, the text is terminal-safe.

    >>> json_text({"name": "a\u202eb"}, indent=None)
    '{"name": "a\\u202eb"}'
    >>> json.loads(json_text(["\x1b\U000e0001"])) == ["\x1b\U000e0001"]
    True
    """
    raw = json.dumps(data, indent=indent, ensure_ascii=False)
    if _PLAIN.fullmatch(raw.replace("\n", " ")):
        return raw
    return "".join(_json_escape_one(c) for c in raw)


def _json_escape_one(char: str) -> str:
    if char == "\n" or not is_unsafe(char):  # newlines here are indentation (strings hold \n)
        return char
    return _json_escape(char)

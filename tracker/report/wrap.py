"""How a value breaks onto lines: the rules every terminal table and paragraph uses.

A value is cut into **pieces**, each ending just after a match of its column's break rule
(:data:`WORDS`, :data:`ITEMS`, :data:`NAME`, :data:`VERSION`); :func:`wrap_text` fills each
line with as many whole pieces as fit. Only a piece wider than a whole line is folded at a
character boundary. Nothing is ever left out: every character of the value appears, in
order, with its style (spaces at a line's ends are dropped). Widths are terminal cells
(:func:`rich.cells.cell_len`: a CJK character takes two).

>>> [t.plain for t in wrap_text(Text("istio-system/deploy/istiod-1-22-3"), 20, NAME)]
['istio-system/deploy/', 'istiod-1-22-3']
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text

WORDS = r" +"
"""Breaks of free text and flags: at spaces."""

ITEMS = r", "
"""Breaks of a list of items (``eol 12d, skew 3d``): after ``", "`` only."""

NAME = r"[/,.]"
"""Breaks of names (``istio-system/deploy/istiod-1-22-3``, ``ip-10-0-1-7.ec2.internal``,
URLs): after ``/``, ``,`` and ``.``; never at ``-``."""

VERSION = r"[-+]"
"""Breaks of versions (``2.11.0-rc.3``): after ``-`` and ``+``."""


def pieces(plain: str, breaks: str) -> list[tuple[int, int]]:
    """``plain`` cut after every match of ``breaks``: ``(start, end)`` index pairs."""
    cuts = [m.end() for m in re.finditer(breaks, plain) if 0 < m.end() < len(plain)]
    starts = [0, *cuts]
    return list(zip(starts, [*cuts, len(plain)], strict=True))


def _trim(plain: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without the spaces at either end."""
    while start < end and plain[start] == " ":
        start += 1
    while end > start and plain[end - 1] == " ":
        end -= 1
    return start, end


def longest_piece(text: Text, breaks: str) -> int:
    """The width of the widest piece of ``text`` that :func:`wrap_text` keeps on one line.

    >>> longest_piece(Text("istio-system/deploy/istiod-1-22-3"), NAME)
    13
    """
    plain = text.plain
    return max(
        (cell_len(plain[a:b]) for s, e in pieces(plain, breaks) for a, b in [_trim(plain, s, e)]),
        default=0,
    )


def _fold(plain: str, start: int, limit: int) -> int:
    """The end of the longest run from ``start`` that fits ``limit`` cells (at least one
    character)."""
    end, used = start, 0
    while end < len(plain):
        used += cell_len(plain[end])
        if used > limit and end > start:
            break
        end += 1
    return end


def wrap_text(text: Text, width: int, breaks: str, *, first: int | None = None) -> list[Text]:
    """``text`` as lines no wider than ``width`` cells, broken after ``breaks`` matches.

    Greedy: each line takes as many pieces as fit; spaces at a line's ends are dropped; a
    piece wider than a whole line is folded at a character boundary. Every other
    character of ``text`` is kept, in order, with its style.

    Args:
        first: the width of the first line when it differs (a hanging indent).

    >>> [t.plain for t in wrap_text(Text("istio-system/deploy/istiod-1-22-3"), 20, NAME)]
    ['istio-system/deploy/', 'istiod-1-22-3']
    >>> [t.plain for t in wrap_text(Text("outdated, partial-catalogue, eol"), 20, WORDS)]
    ['outdated,', 'partial-catalogue,', 'eol']
    """
    plain = text.plain
    limit0 = width if first is None else first
    if "\n" not in plain and cell_len(plain) <= limit0:
        return [text]
    lines: list[tuple[int, int]] = []
    for para_start, para_end in _paragraphs(plain):
        start = end = para_start
        for a, b in pieces(plain[para_start:para_end], breaks):
            a, b = a + para_start, b + para_start
            limit = limit0 if not lines else width
            s, e = _trim(plain, start, b)
            if end > start and cell_len(plain[s:e]) > limit:
                lines.append((start, end))
                start = a
            end = b
            while True:
                limit = limit0 if not lines else width
                s, e = _trim(plain, start, end)
                if cell_len(plain[s:e]) <= limit:
                    break
                cut = _fold(plain, s, limit)
                lines.append((s, cut))
                start = cut
        lines.append((start, end))
    out = []
    for start, end in lines:
        s, e = _trim(plain, start, end)
        out.append(text[s:e])
    return out


def _paragraphs(plain: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``plain`` (split at ``\\n``)."""
    spans, start = [], 0
    for m in re.finditer("\n", plain):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(plain)))
    return spans


def hanging(text: Text, width: int, *, indent: int = 2, more: int = 4) -> Text:
    """A paragraph as lines no wider than ``width``: the first indented by ``indent``
    spaces, the next ones by ``more`` (a hanging indent), broken at spaces (:data:`WORDS`);
    nothing is left out.

    >>> print(hanging(Text("eol: Istio 1.12 reached end of life [istio-system/deploy/x]"), 30))
      eol: Istio 1.12 reached end
        of life
        [istio-system/deploy/x]
    """
    lines = wrap_text(text, max(1, width - more), WORDS, first=max(1, width - indent))
    out = Text()
    for n, line in enumerate(lines):
        if n:
            out.append("\n")
        out.append(" " * (indent if n == 0 else more))
        out.append_text(line)
    return out


def line_count(widths: Sequence[tuple[int, int]], width: int) -> int:
    """How many lines :func:`wrap_text` makes at ``width`` of a value whose pieces have
    ``widths`` (:func:`piece_widths`), without wrapping it (the layout counts lines often).
    Exact when no piece is wider than ``width``; an estimate when pieces fold.

    >>> line_count(piece_widths(Text("istio-system/deploy/istiod-1-22-3"), NAME), 20)
    2
    """
    lines, used = 1, 0
    for bare, full in widths:
        if used and used + bare > width:
            lines, used = lines + 1, 0
        if bare > width:
            folds = (bare - 1) // width
            lines += folds
            used = bare - folds * width + (full - bare)
        else:
            used += full
    return lines


def piece_widths(text: Text, breaks: str) -> tuple[tuple[int, int], ...]:
    """Per piece of ``text`` (:func:`pieces`): its width in cells without the spaces at its
    ends, and with the spaces after it."""
    plain = text.plain
    out = []
    for start, end in pieces(plain, breaks):
        s, e = _trim(plain, start, end)
        out.append((cell_len(plain[s:e]), cell_len(plain[s:end])))
    return tuple(out)


def shorten(text: Text, width: int) -> Text:
    """``text`` on one line of at most ``width`` cells: whole when it fits, else cut after
    the last whole word that fits, with ``…`` (mid-word only for a first word too long).

    >>> shorten(Text("istio data-plane 1.28.7 is 2 minor releases behind"), 30).plain
    'istio data-plane 1.28.7 is 2…'
    """
    if text.cell_len <= width:
        return text
    plain = text.plain
    end = _fold(plain, 0, max(1, width - 1))
    if cell_len(plain[:end]) > width - 1:
        end = 0  # not even the first character fits beside "…"
    space = plain.rfind(" ", 0, end + 1)
    if space > 0:
        end = _trim(plain, 0, space)[1]
    out = text[:end]
    out.append("…")
    return out

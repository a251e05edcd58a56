"""Properties of the terminal wrapping rules (tracker/report/wrap.py) on untrusted names.

Names from a cluster reach the tables escaped (:func:`tracker.text.for_terminal`); whatever
they hold, wrapping them must keep every character in order (dropping only spaces at line
ends), keep every line within the width, never break a piece that fits, and agree with the
line count the layout uses to choose column widths.
"""

from __future__ import annotations

import string

from hypothesis import assume, example, given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text

import tests.property.strategies  # noqa: F401  (loads the bounded profile)
from tracker.report.wrap import (
    ITEMS,
    NAME,
    VERSION,
    WORDS,
    line_count,
    longest_piece,
    piece_widths,
    shorten,
    wrap_text,
)
from tracker.text import for_terminal

RULES = st.sampled_from([WORDS, ITEMS, NAME, VERSION])
names = st.text(max_size=80).map(for_terminal)
ascii_names = st.text(alphabet=string.ascii_letters + string.digits + " -/.,+_[]", max_size=80)


@given(names, st.integers(min_value=2, max_value=60), RULES)
@example("istio-system/deploy/istiod-1-22-3", 20, NAME)
@example("名前空間/デプロイ/とても長い名前", 5, NAME)
def test_wrapping_keeps_every_character_within_the_width(name: str, width: int, rule: str) -> None:
    lines = [line.plain for line in wrap_text(Text(name), width, rule)]
    assert all(cell_len(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == name.replace(" ", "")
    assert all(line == line.strip(" ") for line in lines[1:])
    if " " not in name:
        assert "".join(lines) == name


@given(ascii_names, st.integers(min_value=1, max_value=60), RULES)
@example("outdated, partial-catalogue, eol", 18, WORDS)
def test_the_layout_counts_the_lines_wrapping_makes(name: str, width: int, rule: str) -> None:
    assume(longest_piece(Text(name), rule) <= width)  # folded pieces: an estimate only
    lines = wrap_text(Text(name), width, rule)
    assert line_count(piece_widths(Text(name), rule), width) == len(lines)


@given(st.lists(st.from_regex(r"[a-z0-9]{1,12}(-[a-z0-9]{1,6}){0,3}", fullmatch=True), min_size=1,
                max_size=6), st.integers(min_value=13, max_value=60))  # fmt: skip
def test_a_name_that_fits_is_never_broken(parts: list[str], width: int) -> None:
    name = "/".join(parts)  # namespace/kind/name: dashes inside, as Istio revisions have
    width = max(width, *(len(part) + 1 for part in parts))  # every part fits a line
    lines = [line.plain for line in wrap_text(Text(name), width, NAME)]
    for part in parts:
        assert any(part in line for line in lines), (part, lines)


@given(names, st.integers(min_value=2, max_value=60))
def test_a_shortened_message_is_a_prefix_cut_after_a_word(message: str, width: int) -> None:
    short = shorten(Text(message), width).plain
    assert cell_len(short) <= width
    if short == message:
        return
    assert short.endswith("…")
    kept = short[:-1]
    assert message.startswith(kept)
    # after a whole word; mid-word only when the first word alone is too long
    assert message[len(kept)] == " " or " " not in kept[1:]

"""Terminal tables that fit: the layout rules every table uses.

Every table tracker prints (``report``, ``query``, ``history``, the fleet view, ``releases
list``) is laid out by :func:`fit_columns` for the width it is given (``COLUMNS`` or the
terminal; tested at 80, 120 and 200 characters). No line is longer than that width, and a
value a reader needs to act on (a component and its Istio revision, where it runs, a
version, a severity, a flag) is never cut: it wraps onto more lines instead.

**How a value wraps** (:mod:`tracker.report.wrap`). A column that may wrap names the
separators after which its values may break onto the next line (:attr:`Column.breaks`):
words and flags at spaces (``WORDS``), comma-separated items after ``", "`` (``ITEMS``),
names (``namespace/kind/name``, node names) after ``/``, ``,`` and ``.`` (``NAME``),
versions after ``-`` and ``+`` (``VERSION``). Never at a ``-`` inside
a name, so an Istio revision (``1-22-3``) or a Deployment (``istiod-1-22-3``) stays whole.
Only a piece wider than the whole column is folded at a character boundary; no character
is ever left out. A column without ``breaks`` keeps its natural width (short values:
severity, counts, dates) or, with a ``soft_min``, is cut with ``…`` at the end: only for
low-value text that has a short form (the fleet's scan time).

**When the natural table is too wide**, these steps run in this order, each only as far as
needed:

1. **Abbreviate.** Columns that have a short form switch to it: headers (``severity`` ->
   ``sev``, ``releases`` -> ``rel``), severities (``critical`` -> ``crit``, ``warning`` ->
   ``warn``), roles (``control-plane`` -> ``control``) and workload kinds (``Deployment`` ->
   ``deploy``, ``StatefulSet`` -> ``sts``, ``DaemonSet`` -> ``ds``; kubectl's short names).
   Wrapping columns may narrow to their ``soft_min``, never below their longest piece.
2. **Give up** lower-value columns one at a time, in each table's documented order
   (:attr:`Column.give_up`): a column is dropped, or **folded** (:attr:`Column.fold`): its
   value moves to the lines below the value of the column it names, whose header then
   reads ``component / where``. Once the table fits, the next column in that order still
   goes while that saves a tenth of the table's lines (a low-value column goes rather than
   many rows wrapping).
3. **Narrow further**: wrapping columns down to their longest piece (or ``hard_min``, below
   which a longer piece folds), cut columns down to ``hard_min``.

Width is taken from the columns that can give some (lowest :attr:`Column.shrink` group
first) where it adds the fewest lines, counted on up to :data:`SAMPLE_ROWS` rows.
A one-line legend under a table explains the columns that need it and is shown only for
columns that are shown.

Cells are ``rich.text.Text`` objects built by the caller from escaped values
(:func:`tracker.text.for_terminal`), so ``[bold]`` in a name is printed, not interpreted;
wrapping only inserts line breaks between characters of the escaped text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from typing import Literal

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.text import Text

from tracker.report.wrap import line_count, longest_piece, piece_widths, wrap_text

GAP = 2
"""Characters between two columns."""


@dataclass(frozen=True)
class Column:
    """One column of a fitted table.

    Attributes:
        header: the title; ``short_header`` replaces it in step 1 (abbreviate).
        give_up: rank in the give-up order (1 goes first, step 2); None: always shown.
        fold: the header of the column this one folds under when given up (its value on
            the lines below that column's value) instead of being dropped; that column
            must never be given up.
        breaks: regular expression of the separators after which a value may break onto
            the next line (:mod:`tracker.report.wrap`: ``WORDS``, ``ITEMS``, ``NAME``,
            ``VERSION``); None: the value stays on one line.
        soft_min: with ``breaks``: the width (characters) the column may wrap down to in
            step 1, never below its longest piece; without: it is cut with ``…`` down to
            this width in step 1. None: natural width (with ``breaks``: longest piece).
        hard_min: the narrowest in step 3: with ``breaks``, pieces longer than this fold;
            without, cut to this width. None: longest piece / ``soft_min``.
        shrink: columns give width in groups, the lowest group first (within a group,
            where it adds the fewest lines).
        legend: the legend entry when the column is shown (``days: days since …``).
    """

    header: str
    short_header: str | None = None
    justify: Literal["left", "right"] = "left"
    give_up: int | None = None
    fold: str | None = None
    breaks: str | None = None
    soft_min: int | None = None
    hard_min: int | None = None
    shrink: int = 5
    legend: str | None = None
    style: str = ""


Cell = Text | tuple[Text, Text]
"""A cell: one ``Text``, or ``(full, abbreviated)`` when step 1 may shorten it."""


@dataclass(frozen=True)
class Layout:
    """What :func:`fit_columns` decided.

    Attributes:
        shown: per displayed column, the indexes of the columns it shows: the column
            itself, then those folded under it (in table order).
        widths: per displayed column, its width in characters.
        abbreviated: step 1 applied (short headers and cells).
    """

    shown: tuple[tuple[int, ...], ...]
    widths: tuple[int, ...]
    abbreviated: bool

    def total(self) -> int:
        """The rendered width of the table in characters."""
        return sum(self.widths) + GAP * max(0, len(self.widths) - 1)

    def header(self, columns: Sequence[Column], k: int) -> str:
        """The header of displayed column ``k`` (``component / where`` when folded)."""
        names = []
        for i in self.shown[k]:
            col = columns[i]
            names.append(col.short_header if self.abbreviated and col.short_header else col.header)
        return " / ".join(names)


def pick(cell: Cell, short: bool) -> Text:
    """The full or the abbreviated form of ``cell``."""
    if isinstance(cell, tuple):
        return cell[1] if short else cell[0]
    return cell


# --- fitting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Measure:
    natural: int
    soft: int
    hard: int


def _measure(col: Column, cells: Sequence[Text]) -> _Measure:
    natural = max((c.cell_len for c in cells), default=1)
    if col.breaks is None:
        if col.soft_min is None:
            return _Measure(natural, natural, natural)
        hard = col.hard_min if col.hard_min is not None else col.soft_min
        return _Measure(natural, min(col.soft_min, natural), min(hard, natural))
    piece = max((longest_piece(c, col.breaks) for c in cells), default=1)
    soft = max(piece, col.soft_min or 0)
    hard = min(piece, col.hard_min) if col.hard_min is not None else piece
    return _Measure(natural, min(soft, natural), min(max(hard, 1), natural))


def _groups(columns: Sequence[Column], given_up: set[int]) -> list[tuple[int, ...]]:
    """Displayed columns: each shown column with the columns folded under it."""
    out: list[list[int]] = [[i] for i in range(len(columns)) if i not in given_up]
    for i in sorted(given_up):
        host = [g for g in out if columns[g[0]].header == columns[i].fold]
        if host:
            host[0].append(i)
    return [tuple(g) for g in out]


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> Layout:
    """Choose the shown columns, the folded ones and the widths so the table fits ``width``
    (the module's steps, each only as far as needed).

    Once a step fits, the next columns in the give-up order go too while each saves at
    least a tenth of the table's lines (and at least one): a low-value column is dropped
    rather than making the needed ones wrap on many rows.

    Returns the layout chosen; when even step 3 does not fit (a width far below 80), the
    narrowest layout, whose lines rich then cuts.
    """
    order = sorted(
        (i for i, c in enumerate(columns) if c.give_up is not None),
        key=lambda i: columns[i].give_up or 0,
    )
    measures: dict[tuple[int, bool], _Measure] = {}
    lines = _Lines(columns, rows[:: max(1, len(rows) // SAMPLE_ROWS)])

    def attempt(short: bool, n: int, hard: bool) -> tuple[Layout, int]:
        return _layout(columns, rows, lines, width, short, set(order[:n]), hard, measures)

    stages: list[tuple[bool, int, bool]] = [(False, 0, False)]
    stages += [(True, n, False) for n in range(len(order) + 1)]
    stages.append((True, len(order), True))
    for short, n, hard in stages:
        layout, height = attempt(short, n, hard)
        if layout.total() <= width:
            break
    else:
        return layout
    while short and not hard and n < len(order):
        more, lower = attempt(True, n + 1, False)
        if lower > height - max(1, height // 10):
            break
        layout, height, n = more, lower, n + 1
    return layout


def _layout(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    lines: _Lines,
    width: int,
    short: bool,
    given_up: set[int],
    hard: bool,
    measures: dict[tuple[int, bool], _Measure],
) -> tuple[Layout, int]:
    """The layout of one step and its height in lines over the sample rows."""
    groups = _groups(columns, given_up)
    probe = Layout(tuple(groups), (), short)
    natural: list[int] = []
    floors: list[int] = []
    for k, group in enumerate(groups):
        header = cell_len(probe.header(columns, k))
        for i in group:
            if (i, short) not in measures:
                measures[i, short] = _measure(columns[i], [pick(row[i], short) for row in rows])
        nat = max([header, *(measures[i, short].natural for i in group)])
        if not short:
            floor = nat
        else:
            floor = max([header, *(_floor(measures[i, short], hard) for i in group)])
        natural.append(nat)
        floors.append(min(floor, nat))
    excess = sum(natural) + GAP * max(0, len(natural) - 1) - width
    widths, height = _distribute(columns, groups, lines, short, natural, floors, excess)
    return Layout(tuple(groups), tuple(widths), short), height


def _floor(measure: _Measure, hard: bool) -> int:
    return measure.hard if hard else measure.soft


SAMPLE_ROWS = 200
"""How many rows (evenly spaced) :func:`_distribute` counts lines on: the widths it picks
only guide the wrapping, so a long table costs no more to lay out than this."""


_Value = tuple[int, tuple[tuple[int, int], ...] | None, bool]
"""A value as :class:`_Lines` counts it: width, piece widths (None: no wrapping), empty."""


class _Lines:
    """How many lines each row of ``sample`` takes in a displayed column at a width,
    cached across the steps of one :func:`fit_columns` call."""

    def __init__(self, columns: Sequence[Column], sample: Sequence[Sequence[Cell]]) -> None:
        self.columns = columns
        self.sample = sample
        self._values: dict[tuple[int, bool], list[_Value]] = {}
        self._heights: dict[tuple[tuple[int, ...], bool, int], list[int]] = {}

    def _values_of(self, i: int, short: bool) -> list[_Value]:
        """Per row: the width of column ``i``'s value, its pieces (None: no wrapping), and
        whether it is empty (``-``: a folded column then takes no line)."""
        if (i, short) not in self._values:
            breaks = self.columns[i].breaks
            out = []
            for row in self.sample:
                text = pick(row[i], short)
                pieces = piece_widths(text, breaks) if breaks else None
                out.append((text.cell_len, pieces, text.plain in ("", "-")))
            self._values[i, short] = out
        return self._values[i, short]

    def heights(self, group: tuple[int, ...], short: bool, width: int) -> list[int]:
        """Lines per sample row of displayed column ``group`` at ``width``."""
        key = (group, short, width)
        if key not in self._heights:
            per_column = [self._values_of(i, short) for i in group]
            out = []
            for r in range(len(self.sample)):
                n = 0
                for pos, values in enumerate(per_column):
                    size, pieces, empty = values[r]
                    if pos and empty:
                        continue
                    n += 1 if pieces is None or size <= width else line_count(pieces, width)
                out.append(n)
            self._heights[key] = out
        return self._heights[key]


def _row_max(lists: Sequence[list[int]], rows: int) -> list[int]:
    if not lists:
        return [1] * rows
    if len(lists) == 1:
        return list(lists[0])
    return list(map(max, *lists))


def _distribute(
    columns: Sequence[Column],
    groups: Sequence[tuple[int, ...]],
    lines: _Lines,
    short: bool,
    natural: Sequence[int],
    floors: Sequence[int],
    excess: int,
) -> tuple[list[int], int]:
    """Narrow the displayed columns by ``excess`` characters in all, none below its floor,
    adding as few lines to the rows as it can: from the lowest :attr:`Column.shrink` group
    that can give, repeatedly the column and number of characters that add the fewest
    lines per character taken (then the most characters, then the widest column).

    Returns the widths and the height of the sample rows in lines at those widths."""
    widths = list(natural)
    rows = len(lines.sample)

    def heights(k: int, width: int) -> list[int]:
        return lines.heights(groups[k], short, width)

    while excess > 0:
        able = [k for k in range(len(groups)) if widths[k] > floors[k]]
        if not able:
            break
        rank = min(columns[groups[k][0]].shrink for k in able)
        best: tuple[float, int, int, int] | None = None
        for k in (k for k in able if columns[groups[k][0]].shrink == rank):
            others = _row_max([heights(j, widths[j]) for j in range(len(groups)) if j != k], rows)
            before = heights(k, widths[k])
            base = sum(map(max, before, others))
            cost, previous = 0, before
            for take in range(1, min(excess, widths[k] - floors[k]) + 1):
                now = heights(k, widths[k] - take)
                if now != previous:
                    cost, previous = sum(map(max, now, others)) - base, now
                key = (cost / take, -take, -widths[k], k)
                if best is None or key < best:
                    best = key
        assert best is not None
        take, k = -best[1], best[3]
        widths[k] -= take
        excess -= take
    per_group = [heights(k, w) for k, w in enumerate(widths)]
    return widths, sum(_row_max(per_group, rows))


def cell_lines(columns: Sequence[Column], group: Sequence[int], row: Sequence[Cell],
               width: int, short: bool) -> list[Text]:  # fmt: skip
    """The lines of one displayed cell: each column of ``group`` wrapped to ``width``
    (:func:`wrap_text`), or cut with ``…`` when the column does not wrap; a folded column
    whose value is empty or ``-`` adds no line."""
    lines: list[Text] = []
    for i in group:
        col, text = columns[i], pick(row[i], short)
        if i != group[0] and text.plain in ("", "-"):
            continue  # a folded column without a value takes no line
        if col.breaks is not None:
            lines += wrap_text(text, width, col.breaks)
        elif text.cell_len > width:
            text = text.copy()
            text.truncate(width, overflow="ellipsis")
            lines.append(text)
        else:
            lines.append(text)
    return lines


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    title: str | None = None,
) -> tuple[Text, list[str]]:
    """The table that fits ``width``, as text, and the legend entries of its shown columns.

    The text is the title (bold, when given), the header (bold), a rule, then each row on
    as many lines as its tallest cell (:func:`cell_lines`); columns are :data:`GAP` apart
    and no line ends in spaces. Printed as is on a console of ``width`` or wider.

    Args:
        columns: the column specifications, in display order.
        rows: one sequence of cells per row, in the same order as ``columns``.
        width: the console width in characters.
        title: a line above the table (escaped by the caller), left-aligned.
    """
    layout = fit_columns(columns, rows, width)
    shown = list(zip(layout.shown, layout.widths, strict=True))
    out = Text(no_wrap=True, overflow="ignore")
    if title is not None:
        out.append(title, style="bold")
        out.append("\n")
    header = [Text(layout.header(columns, k), style="bold") for k in range(len(shown))]
    out.append_text(_line(columns, shown, header))
    out.append("\n" + "─" * layout.total())
    for row in rows:
        blocks = [cell_lines(columns, group, row, w, layout.abbreviated) for group, w in shown]
        for n in range(max(len(block) for block in blocks)):
            out.append("\n")
            out.append_text(_line(columns, shown, [b[n] if n < len(b) else Text() for b in blocks]))
    legend = [columns[i].legend for group in layout.shown for i in group if columns[i].legend]
    return out, [entry for entry in legend if entry]


def _line(
    columns: Sequence[Column], shown: Sequence[tuple[tuple[int, ...], int]], texts: Sequence[Text]
) -> Text:
    """One line of a table: each text padded to its column's width and justified."""
    line = Text()
    for k, ((group, width), text) in enumerate(zip(shown, texts, strict=True)):
        column = columns[group[0]]
        if k:
            line.append(" " * GAP)
        pad = " " * max(0, width - text.cell_len)
        if column.justify == "right":
            line.append(pad)
        if column.style:
            text = text.copy()
            text.stylize(column.style, 0, len(text))
        line.append_text(text)
        if column.justify != "right":
            line.append(pad)
    line.rstrip()
    return line


def legend_line(entries: Sequence[str], width: int) -> Text | None:
    """The legend as one dim line no wider than ``width`` (entries that do not fit are left
    out, last first); None when there is nothing to explain."""
    shown = list(entries)
    while shown:
        line = "; ".join(shown)
        if len(line) <= width:
            return Text(line, style="dim")
        shown.pop()
    return None


def make_console(out: StringIO, *, width: int, color: bool) -> Console:
    """A rich console writing to ``out``: exactly ``width`` wide, ANSI colours only if asked."""
    return Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


def render(parts: Sequence[RenderableType], *, width: int, color: bool) -> str:
    """Print ``parts`` on a :func:`make_console` of ``width`` and return the text.

    Without colours, a ``Text`` whose lines all fit ``width`` (and hold no tab) is written as
    its plain text, which is what the console prints for it: the console re-wraps every line
    it is given, and that was half the time of a 555-row ``tracker query`` across 333
    clusters. Everything else goes through the console.
    """
    out = StringIO()
    console = make_console(out, width=width, color=color)
    for part in parts:
        if not color and isinstance(part, Text) and _fits(part.plain, width):
            out.write(part.plain + part.end)
        else:
            console.print(part)
    return out.getvalue()


def _fits(plain: str, width: int) -> bool:
    """True when every line of ``plain`` is at most ``width`` cells and none holds a tab."""
    return "\t" not in plain and all(cell_len(line) <= width for line in plain.split("\n"))

"""The pipeline waterfall's categories (API.md section 8, `GET /pipeline/changes`), as a pure
reference of what `app.pipeline.repository.waterfall` computes in SQL.

For one period and a moment `since`, every opportunity has a state *then* (reconstructed from its
history) and a state *now* (its row). "Open" means stages 0-6; "in the period" means the close
date falls in it; `arr` is the measure (amount, or for a renewal max(0, amount - renewal_arr),
renewal_arr taken as it is now since it has no history).

- **starting**: open and in the period then (and created by then), at its arr then.
- **ending**: open and in the period now, at its arr now.
- An opportunity in *starting* that is still in the period now shows its change of arr as
  **increased** or **decreased** (count 1 each). If it left, it also shows that change, then
  leaves at its arr now as **won** (closed won now), **lost** (lost, unqualified or duplicate
  now) or **pushed_out** (still open, close date now outside the period).
- An opportunity not in *starting* enters at its arr now, when it is open in the period now or
  closed now with a close date in the period (having been open then, or not existing, or
  closed differently then): **created** when it did not exist then or was closed then
  (reopened), **pulled_in** when it was open then with a close date outside the period. One
  that entered and is closed now also leaves (won or lost) at the same arr.
- Everything else (closed then and still closed the same way, or never in the period) is
  not part of the waterfall.

So, for arr, starting + created + pulled_in - pushed_out + increased - decreased - won - lost
= ending, opportunity by opportunity; for counts, starting + created + pulled_in - pushed_out
- won - lost = ending (increased and decreased count the opportunities that changed).

The state then of each field (stage, amount, close_date) is the `new` value of its latest
history row at or before `since`; else the `old` value of its first row after `since`; else
the current value. History values are text (stage slug, amount like `1234.00`, ISO date; JSON
quotes around them are tolerated); one that does not parse counts as null.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.opportunities.stages import OPEN_STAGES

__all__ = [
    "CATEGORIES",
    "LOST_STAGES",
    "WON_STAGE",
    "HistoryEntry",
    "Movement",
    "OpportunityState",
    "WaterfallFacts",
    "as_of",
    "classify",
    "measure",
    "parse_amount",
    "parse_date",
    "unquote",
    "waterfall",
]

CATEGORIES = (
    "starting",
    "created",
    "pulled_in",
    "pushed_out",
    "increased",
    "decreased",
    "won",
    "lost",
    "ending",
)
WON_STAGE = "closed_won"
LOST_STAGES = frozenset({"lost", "unqualified", "duplicate"})
ZERO = Decimal(0)


@dataclass(frozen=True)
class OpportunityState:
    stage: str | None
    amount: Decimal | None
    close_date: date | None


@dataclass(frozen=True)
class WaterfallFacts:
    type: str
    renewal_arr: Decimal | None
    existed_then: bool
    then: OpportunityState
    now: OpportunityState


@dataclass(frozen=True)
class Movement:
    """Where one opportunity shows in the waterfall: each category it touches, with its arr."""

    categories: tuple[tuple[str, Decimal], ...]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    seq: int
    field: str
    old: str | None
    new: str | None


def as_of(history: Sequence[HistoryEntry], field: str, since: datetime) -> tuple[bool, str | None]:
    """(found, rendered value) of `field` at `since` from the history; found False -> current."""
    rows = sorted((h for h in history if h.field == field), key=lambda h: (h.at, h.seq))
    before = [h for h in rows if h.at <= since]
    if before:
        return True, before[-1].new
    after = [h for h in rows if h.at > since]
    if after:
        return True, after[0].old
    return False, None


AMOUNT_TEXT = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"
DATE_TEXT = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def unquote(value: str | None) -> str | None:
    return None if value is None else value.strip('"')


def parse_amount(value: str | None) -> Decimal | None:
    text = unquote(value)
    if text is None or not re.fullmatch(AMOUNT_TEXT, text):
        return None
    return Decimal(text)


def parse_date(value: str | None) -> date | None:
    text = unquote(value)
    if text is None or not re.fullmatch(DATE_TEXT, text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def measure(type_: str, amount: Decimal | None, renewal_arr: Decimal | None) -> Decimal:
    if type_ != "renewal":
        return amount if amount is not None else ZERO
    if amount is None or renewal_arr is None:
        return ZERO
    return max(ZERO, amount - renewal_arr)


def _in(d: date | None, start: date, end: date) -> bool:
    return d is not None and start <= d <= end


def classify(facts: WaterfallFacts, start: date, end: date) -> Movement:
    then, now = facts.then, facts.now
    arr_then = measure(facts.type, then.amount, facts.renewal_arr)
    arr_now = measure(facts.type, now.amount, facts.renewal_arr)
    open_then = facts.existed_then and then.stage in OPEN_STAGES
    in_then = open_then and _in(then.close_date, start, end)
    in_now = now.stage in OPEN_STAGES and _in(now.close_date, start, end)
    closed_in_period_now = (now.stage == WON_STAGE or now.stage in LOST_STAGES) and _in(
        now.close_date, start, end
    )
    moves: list[tuple[str, Decimal]] = []
    if in_then:
        moves.append(("starting", arr_then))
        if arr_now > arr_then:
            moves.append(("increased", arr_now - arr_then))
        elif arr_now < arr_then:
            moves.append(("decreased", arr_then - arr_now))
    elif in_now or (
        closed_in_period_now and (not facts.existed_then or open_then or then.stage != now.stage)
    ):
        moves.append(("pulled_in" if open_then else "created", arr_now))
    else:
        return Movement(())
    if in_now:
        moves.append(("ending", arr_now))
    elif now.stage == WON_STAGE:
        moves.append(("won", arr_now))
    elif now.stage in LOST_STAGES:
        moves.append(("lost", arr_now))
    else:
        moves.append(("pushed_out", arr_now))
    return Movement(tuple(moves))


def waterfall(
    facts: Iterable[WaterfallFacts], start: date, end: date
) -> dict[str, tuple[int, Decimal]]:
    """Totals per category: (count, arr)."""
    totals = {name: (0, ZERO) for name in CATEGORIES}
    for one in facts:
        for name, arr in classify(one, start, end).categories:
            count, total = totals[name]
            totals[name] = (count + 1, total + arr)
    return totals

"""Oracle of the pipeline waterfall (`app.pipeline.waterfall` describes the categories): each
opportunity classified in Python from its history, with the rules of `app.forecasts.rules`.
The application computes the waterfall in SQL (`app.pipeline.repository`); the tests compare
the two."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal

from app.core.enums import LOST_STAGES
from app.core.enums import StageSlug
from app.forecasts.rules import is_pipeline
from app.forecasts.rules import measure
from app.pipeline.waterfall import AMOUNT_TEXT
from app.pipeline.waterfall import CATEGORIES
from app.pipeline.waterfall import DATE_TEXT

WON_STAGE = StageSlug.CLOSED_WON
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


def _in(d: date | None, start: date, end: date) -> bool:
    return d is not None and start <= d <= end


def classify(facts: WaterfallFacts, start: date, end: date) -> Movement:
    then, now = facts.then, facts.now
    arr_then = measure(facts.type, then.amount, facts.renewal_arr)
    arr_now = measure(facts.type, now.amount, facts.renewal_arr)
    open_then = facts.existed_then and then.stage is not None and is_pipeline(then.stage)
    in_then = open_then and _in(then.close_date, start, end)
    in_now = now.stage is not None and is_pipeline(now.stage) and _in(now.close_date, start, end)
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

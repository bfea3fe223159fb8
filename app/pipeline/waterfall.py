"""The pipeline waterfall's categories (API.md section 8, `GET /pipeline/changes`): what
`app.pipeline.repository.waterfall` computes in SQL (`tests/oracles/waterfall.py` is the
Python oracle the tests compare it with).

For one period and a moment `since`, every opportunity has a state *then* (reconstructed from its
history) and a state *now* (its row). "Open" means a pipeline stage (`is_pipeline` of
`app.forecasts.rules`); "in the period" means the close date falls in it; `arr` is the measure
(`measure` there; renewal_arr taken as it is now since it has no history).

- **starting**: open and in the period then (and created by then), at its arr then.
- **ending**: open and in the period now, at its arr now.
- An opportunity in *starting* that is still in the period now shows its change of arr as
  **increased** or **decreased** (count 1 each). If it left, it also shows that change, then
  leaves at its arr now as **won** (closed won now), **lost** (lost, unqualified or duplicate
  now) or **pushed_out** (still open, but its close date is now outside the period or it went
  back to stage 0, which is not pipeline).
- An opportunity not in *starting* enters at its arr now, when it is open in the period now or
  closed now with a close date in the period (having been open then, or not existing, or in
  another stage then): **created** when it did not exist then, was closed then (reopened) or
  was in stage 0 then (accepted since), **pulled_in** when it was open then with a close date
  outside the period. One that entered and is closed now also leaves (won or lost) at the
  same arr.
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

__all__ = ["AMOUNT_TEXT", "CATEGORIES", "DATE_TEXT"]

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

# History text that reads as an amount or a date; anything else counts as null.
AMOUNT_TEXT = r"^-?[0-9]{1,13}(\.[0-9]{1,2})?$"
DATE_TEXT = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"

"""The measures of API.md section 8 have one Python definition (`app.forecasts.rules`) and one
SQL definition (the `engage_*` functions of migration 0013): both give the same answer on
generated inputs, and PostgreSQL inlines the SQL ones (the plans of the written-out CASE)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.enums import OpportunityType
from app.core.enums import StageSlug
from app.forecasts.rules import expected_loss
from app.forecasts.rules import is_pipeline
from app.forecasts.rules import measure
from app.forecasts.rules import realised_loss

money = st.none() | st.decimals(
    min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False
)
rows = st.lists(
    st.tuples(
        st.sampled_from(list(OpportunityType)),
        st.sampled_from(list(StageSlug)),
        money,
        money,
        money,
    ),
    min_size=1,
    max_size=40,
)

EVALUATE = text(
    """
SELECT engage_measure(r.type, r.amount, r.renewal_arr) AS measure,
       engage_realised_loss(r.type, r.stage, r.amount, r.renewal_arr) AS realised_loss,
       engage_expected_loss(r.type, r.amount, r.renewal_arr, r.renewal_loss_amount)
           AS expected_loss,
       engage_is_pipeline(r.stage) AS is_pipeline
FROM unnest(CAST(:types AS text[]), CAST(:stages AS text[]), CAST(:amounts AS numeric[]),
            CAST(:renewal_arrs AS numeric[]), CAST(:losses AS numeric[]))
    WITH ORDINALITY AS r(type, stage, amount, renewal_arr, renewal_loss_amount, n)
ORDER BY r.n
"""
)

Row = tuple[str, str, Decimal | None, Decimal | None, Decimal | None]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(inputs=rows)
async def test_python_and_sql_definitions_agree(session: AsyncSession, inputs: list[Row]) -> None:
    result = await session.execute(
        EVALUATE,
        {
            "types": [r[0].value for r in inputs],
            "stages": [r[1].value for r in inputs],
            "amounts": [r[2] for r in inputs],
            "renewal_arrs": [r[3] for r in inputs],
            "losses": [r[4] for r in inputs],
        },
    )
    for (type_, stage, amount, renewal_arr, loss), got in zip(inputs, result, strict=True):
        assert got.measure == measure(type_, amount, renewal_arr)
        assert got.realised_loss == realised_loss(type_, stage, amount, renewal_arr)
        assert got.expected_loss == expected_loss(type_, amount, renewal_arr, loss)
        assert got.is_pipeline == is_pipeline(stage)


async def test_every_stage_is_or_is_not_pipeline_in_both(session: AsyncSession) -> None:
    slugs = [s.value for s in StageSlug]
    result = await session.execute(
        text("SELECT s, engage_is_pipeline(s) FROM unnest(CAST(:slugs AS text[])) AS s"),
        {"slugs": slugs},
    )
    assert dict(result.tuples().all()) == {s: is_pipeline(s) for s in slugs}


async def test_the_functions_are_inlined(session: AsyncSession) -> None:
    plan = await session.scalar(
        text(
            "EXPLAIN (VERBOSE, FORMAT JSON) "
            "SELECT engage_measure(o.type, o.amount, o.renewal_arr), "
            "engage_realised_loss(o.type, o.stage, o.amount, o.renewal_arr), "
            "engage_expected_loss(o.type, o.amount, o.renewal_arr, o.renewal_loss_amount) "
            "FROM opportunities o WHERE engage_is_pipeline(o.stage)"
        )
    )
    rendered = str(plan)
    assert "engage_" not in rendered
    assert "CASE" in rendered

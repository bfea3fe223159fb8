"""stage 0 is not pipeline: the open figures of section 8 count stages 1-6 only

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:14:00.000000+00:00

API.md section 14: an opportunity pending acceptance (stage 0) is not pipeline anywhere in
section 8, so the roll-up's open commit and best case (and the expected losses beside them), the
summary, the waterfall and hygiene count stages 1-6. `engage_is_pipeline` (migration 0013,
`app.forecasts.rules.is_pipeline` in Python) drops `pending_acceptance`, and
`opportunity_month_sums` is recomputed with it (the triggers call the function, so they need no
change).
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PIPELINE_STAGES = """
CREATE OR REPLACE FUNCTION engage_is_pipeline(stage text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT stage IN ('discovery', 'scoping', 'technical_evaluation', 'proposal', 'negotiating',
                     'awaiting_signature')
$$"""


def _revision_0013() -> ModuleType:
    path = Path(__file__).with_name("2026_12_05_0013_forecast_rule_functions.py")
    spec = importlib.util.spec_from_file_location("revision_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rebuild() -> None:
    for statement in _revision_0013().REBUILD:
        op.execute(statement)


def upgrade() -> None:
    op.execute(PIPELINE_STAGES)
    _rebuild()


def downgrade() -> None:
    previous = _revision_0013().FUNCTIONS
    op.execute(next(f for f in previous if "engage_is_pipeline" in f))
    _rebuild()

"""Property: whatever edits and stage moves happen, in any order, no stage is entered without
its requirements holding at that moment, and closed_won is never left."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from hypothesis import event
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from app.stages.rules import DEFAULT_STAGES
from app.stages.rules import ENTRY_CHECKS
from app.stages.rules import LOSS_REASONS
from app.stages.rules import MEDDPPICC_ELEMENTS
from app.stages.rules import OPEN_STAGES
from app.stages.rules import OPPORTUNITY_TYPES
from app.stages.rules import OVERVIEW_ELEMENTS
from app.stages.rules import REQUIREMENT_MESSAGES
from app.stages.rules import OpportunityFacts
from app.stages.rules import StageMove
from app.stages.rules import TransitionKind
from app.stages.rules import TransitionVerdict
from app.stages.rules import check_transition
from app.stages.rules import requirement_met
from app.stages.rules import stage_by_slug

BY_SLUG = stage_by_slug(DEFAULT_STAGES)
SLUGS = tuple(BY_SLUG)
ELEMENTS = MEDDPPICC_ELEMENTS + OVERVIEW_ELEMENTS
REOPENABLE = frozenset({"lost", "unqualified", "duplicate"})

# For every fact a requirement reads: the value that meets it first, then ones that do not.
FIELD_VALUES: dict[str, tuple[object, ...]] = {
    "amount": (Decimal("5000.00"), None, Decimal("0")),
    "renewal_arr": (Decimal("4000.00"), None, Decimal("0")),
    "qualification_passed": (True, False),
    "follow_up_scheduled": (True, False),
    "entry_use_case": ("scm", None),
    "close_plan_steps": (3, 1, 0),
    "close_plan_current": (True, False),
    "close_date": (date(2026, 9, 30), None),
    "proposal_sent_on": (date(2026, 8, 1), None),
    "signature_requested_on": (date(2026, 9, 1), None),
}


@dataclass(frozen=True)
class Edit:
    field: str
    value: object


@dataclass(frozen=True)
class ToggleElement:
    element: str


@dataclass(frozen=True)
class Entry:
    """A move that was allowed, with the facts as they were when it was made."""

    facts: OpportunityFacts
    move: StageMove
    kind: TransitionKind


edits = st.sampled_from(sorted(FIELD_VALUES)).flatmap(
    lambda field: st.sampled_from(FIELD_VALUES[field]).map(lambda value: Edit(field, value))
)
toggles = st.sampled_from(ELEMENTS).map(ToggleElement)
moves = st.builds(
    StageMove,
    to=st.sampled_from((*SLUGS, "nowhere")),
    reason=st.one_of(st.just("re-scoped with the buyer"), st.sampled_from((None, "", "  "))),
    loss_reason=st.sampled_from((*LOSS_REASONS, None, "bored")),
    loss_details=st.one_of(st.just("chose a competitor"), st.sampled_from((None, " "))),
    duplicate_of_id=st.sampled_from((UUID("00000000-0000-4000-8000-000000000002"), None)),
    may_reopen=st.booleans(),
)
actions = st.lists(st.one_of(edits, toggles, moves, moves, moves), min_size=8, max_size=40)


@st.composite
def initial_facts(draw: st.DrawFn) -> OpportunityFacts:
    # Any stage, everything met: long runs and reopens happen often; edits then take things away.
    return OpportunityFacts(
        type=draw(st.sampled_from(OPPORTUNITY_TYPES)),
        stage=draw(st.sampled_from(SLUGS)),
        filled_elements=frozenset(ELEMENTS),
        **{field: values[0] for field, values in FIELD_VALUES.items()},  # type: ignore[arg-type]
    )


def _filled(text: str | None) -> bool:
    return text is not None and text.strip() != ""


def assert_verdict_is_consistent(
    verdict: TransitionVerdict, facts: OpportunityFacts, move: StageMove
) -> None:
    problems = [
        verdict.never_allowed is not None,
        verdict.forbidden is not None,
        bool(verdict.unmet),
    ]
    assert sum(problems) <= 1
    assert (verdict.kind is None) == (verdict.never_allowed is not None)
    assert verdict.allowed == (not any(problems))
    numbers = [BY_SLUG[u.stage].number for u in verdict.unmet]
    assert numbers == sorted(numbers)
    for u in verdict.unmet:
        assert u.message == REQUIREMENT_MESSAGES[u.code]
        assert not requirement_met(u.code, facts, move)


def assert_entered_with_requirements(entry: Entry) -> None:
    facts, move = entry.facts, entry.move
    source, target = BY_SLUG[facts.stage], BY_SLUG[move.to]
    assert source.slug != "closed_won"
    assert target.slug != "pending_acceptance"
    match entry.kind:
        case TransitionKind.FORWARD:
            assert source.slug in OPEN_STAGES
            assert source.number < target.number <= 7
            entered = range(source.number + 1, target.number + 1)
            entry_checks = target.slug != "closed_won"
        case TransitionKind.REOPEN:
            assert source.slug in REOPENABLE
            assert move.may_reopen
            assert _filled(move.reason)
            assert 1 <= target.number <= 6
            entered = range(1, target.number + 1)
            entry_checks = True
        case TransitionKind.REGRESSION:
            assert 1 <= target.number < source.number <= 6
            assert _filled(move.reason)
            return
        case TransitionKind.LOSS:
            assert source.slug in OPEN_STAGES
            assert target.slug == "lost"
            assert move.loss_reason in LOSS_REASONS
            assert move.loss_reason != "other" or _filled(move.loss_details)
            return
        case TransitionKind.UNQUALIFY:
            assert source.slug == "pending_acceptance"
            assert target.slug == "unqualified"
            assert _filled(move.reason)
            return
        case TransitionKind.DUPLICATE:
            assert source.slug in OPEN_STAGES
            assert target.slug == "duplicate"
            assert move.duplicate_of_id is not None
            return
    for stage in DEFAULT_STAGES:
        if stage.number not in entered:
            continue
        for code in stage.requirements[facts.type]:
            if code in ENTRY_CHECKS and not entry_checks:
                continue
            assert requirement_met(code, facts, move), (stage.slug, code)


@settings(max_examples=200, deadline=None)
@given(start=initial_facts(), script=actions)
def test_no_stage_is_entered_without_its_requirements(
    start: OpportunityFacts, script: list[Edit | ToggleElement | StageMove]
) -> None:
    facts = start
    entries: list[Entry] = []
    for action in script:
        if isinstance(action, Edit):
            facts = dataclasses.replace(facts, **{action.field: action.value})  # type: ignore[arg-type]
        elif isinstance(action, ToggleElement):
            facts = dataclasses.replace(
                facts, filled_elements=facts.filled_elements ^ {action.element}
            )
        else:
            verdict = check_transition(facts, action)
            assert_verdict_is_consistent(verdict, facts, action)
            if verdict.allowed:
                assert verdict.kind is not None
                entries.append(Entry(facts, action, verdict.kind))
                facts = dataclasses.replace(facts, stage=action.to)
    for entry in entries:
        event(f"entered {entry.move.to} by {entry.kind}")
        assert_entered_with_requirements(entry)
    won_at = next(
        (i for i, entry in enumerate(entries) if entry.move.to == "closed_won"),
        -1 if start.stage == "closed_won" else None,
    )
    if won_at is not None:
        assert won_at == len(entries) - 1
        assert facts.stage == "closed_won"

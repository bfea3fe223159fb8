"""The stage table and the stage-transition validator (API.md section 7), table-driven."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from app.stages.rules import DEFAULT_STAGES
from app.stages.rules import ENTRY_CHECKS
from app.stages.rules import FORECAST_CATEGORIES
from app.stages.rules import LOSS_REASONS
from app.stages.rules import MEDDPPICC_ELEMENTS
from app.stages.rules import OPEN_STAGES
from app.stages.rules import OPPORTUNITY_TYPES
from app.stages.rules import OVERVIEW_ELEMENTS
from app.stages.rules import REQUIREMENT_CODES
from app.stages.rules import REQUIREMENT_MESSAGES
from app.stages.rules import OpportunityFacts
from app.stages.rules import StageDef
from app.stages.rules import StageMove
from app.stages.rules import TransitionKind
from app.stages.rules import TransitionVerdict
from app.stages.rules import Unmet
from app.stages.rules import check_transition
from app.stages.rules import is_open
from app.stages.rules import may_override_category
from app.stages.rules import requirement_met
from app.stages.rules import stage_by_slug

SLUGS = tuple(stage.slug for stage in DEFAULT_STAGES)
BY_SLUG = stage_by_slug(DEFAULT_STAGES)
OTHER_ID = UUID("00000000-0000-4000-8000-000000000001")

# The contract's table of moves, read as: row = from, column = to, with full facts and a
# move carrying every payload field. "=" same stage, "x" never allowed, F forward,
# R regression, L lost, U unqualified, D duplicate, O reopen (manager or admin only).
MOVES_TABLE = """
                       0  1  2  3  4  5  6  7  8  9  10
pending_acceptance     =  F  F  F  F  F  F  F  L  U  D
discovery              x  =  F  F  F  F  F  F  L  x  D
scoping                x  R  =  F  F  F  F  F  L  x  D
technical_evaluation   x  R  R  =  F  F  F  F  L  x  D
proposal               x  R  R  R  =  F  F  F  L  x  D
negotiating            x  R  R  R  R  =  F  F  L  x  D
awaiting_signature     x  R  R  R  R  R  =  F  L  x  D
closed_won             x  x  x  x  x  x  x  =  x  x  x
lost                   x  O  O  O  O  O  O  x  =  x  x
unqualified            x  O  O  O  O  O  O  x  x  =  x
duplicate              x  O  O  O  O  O  O  x  x  x  =
"""
MOVES = {
    source: dict(zip(SLUGS, marks, strict=True))
    for source, *marks in (line.split() for line in MOVES_TABLE.strip().splitlines()[1:])
}
KINDS = {
    "F": TransitionKind.FORWARD,
    "R": TransitionKind.REGRESSION,
    "L": TransitionKind.LOSS,
    "U": TransitionKind.UNQUALIFY,
    "D": TransitionKind.DUPLICATE,
    "O": TransitionKind.REOPEN,
}


def full_facts(
    opportunity_type: str = "new_business", stage: str = "pending_acceptance"
) -> OpportunityFacts:
    """Facts under which every requirement of every stage holds."""
    return OpportunityFacts(
        type=opportunity_type,
        stage=stage,
        amount=Decimal("12000.00"),
        renewal_arr=Decimal("10000.00"),
        qualification_passed=True,
        follow_up_scheduled=True,
        filled_elements=frozenset(MEDDPPICC_ELEMENTS + OVERVIEW_ELEMENTS),
        entry_use_case="ci",
        close_plan_steps=2,
        close_plan_current=True,
        close_date=date(2026, 6, 30),
        proposal_sent_on=date(2026, 5, 1),
        signature_requested_on=date(2026, 6, 1),
    )


def without(facts: OpportunityFacts, code: str) -> OpportunityFacts:
    """`facts` with exactly requirement `code` no longer met."""
    if code in MEDDPPICC_ELEMENTS or code in OVERVIEW_ELEMENTS:
        return dataclasses.replace(facts, filled_elements=facts.filled_elements - {code})
    unmet_values: dict[str, dict[str, Any]] = {
        "qualification_passed": {"qualification_passed": False},
        "follow_up_scheduled": {"follow_up_scheduled": False},
        "amount": {"amount": None},
        "renewal_arr": {"renewal_arr": None},
        "entry_use_case": {"entry_use_case": None},
        "close_plan": {"close_plan_steps": 0},
        "close_plan_current": {"close_plan_current": False},
        "close_date": {"close_date": None},
        "proposal_sent": {"proposal_sent_on": None},
        "signature_requested": {"signature_requested_on": None},
    }
    return dataclasses.replace(facts, **unmet_values[code])


def full_move(to: str, *, may_reopen: bool = False) -> StageMove:
    return StageMove(
        to=to,
        reason="customer re-engaged",
        loss_reason="competitor",
        loss_details="chose another vendor",
        duplicate_of_id=OTHER_ID,
        may_reopen=may_reopen,
    )


def unmet(stage: str, code: str) -> Unmet:
    return Unmet(stage=stage, code=code, message=REQUIREMENT_MESSAGES[code])


def codes(verdict: TransitionVerdict) -> list[tuple[str, str]]:
    return [(u.stage, u.code) for u in verdict.unmet]


def move_from(
    stage: str, to: str, opportunity_type: str = "new_business", **move: Any
) -> TransitionVerdict:
    return check_transition(full_facts(opportunity_type, stage), StageMove(to=to, **move))


# --- the stage table ---------------------------------------------------------------------


def test_default_stages_follow_the_contract_table() -> None:
    table = [(s.number, s.slug, s.name, s.probability, s.forecast_category) for s in DEFAULT_STAGES]
    assert table == [
        (0, "pending_acceptance", "Pending Acceptance", 0, "omitted"),
        (1, "discovery", "Discovery", 10, "pipeline"),
        (2, "scoping", "Scoping", 20, "pipeline"),
        (3, "technical_evaluation", "Technical Evaluation", 40, "pipeline"),
        (4, "proposal", "Proposal", 60, "best_case"),
        (5, "negotiating", "Negotiating", 80, "best_case"),
        (6, "awaiting_signature", "Awaiting Signature", 90, "commit"),
        (7, "closed_won", "Closed Won", 100, "closed"),
        (8, "lost", "Lost", 0, "omitted"),
        (9, "unqualified", "Unqualified", 0, "omitted"),
        (10, "duplicate", "Duplicate", 0, "omitted"),
    ]
    assert {s.slug for s in DEFAULT_STAGES if s.terminal} == {
        "closed_won",
        "lost",
        "unqualified",
        "duplicate",
    }
    assert {s.slug for s in DEFAULT_STAGES if s.number <= 6} == OPEN_STAGES
    assert all(s.forecast_category in FORECAST_CATEGORIES for s in DEFAULT_STAGES)


def test_default_requirements_follow_the_contract_table() -> None:
    nb_exp = {
        "pending_acceptance": (),
        "scoping": ("why_do_anything", "why_now", "identify_pain", "entry_use_case"),
        "technical_evaluation": (
            "metrics",
            "champion",
            "economic_buyer",
            "decision_criteria",
            "partners",
        ),
        "proposal": (
            "decision_process",
            "paper_process",
            "competition",
            "close_plan",
            "close_date",
        ),
    }
    every_type = {
        "pending_acceptance": (),
        "negotiating": ("proposal_sent",),
        "awaiting_signature": ("signature_requested", "close_plan_current"),
        "closed_won": ("amount", "close_date"),
        "lost": ("loss_reason",),
        "unqualified": ("reason",),
        "duplicate": ("duplicate_of_id",),
    }
    for slug, expected in every_type.items():
        for opportunity_type in OPPORTUNITY_TYPES:
            assert BY_SLUG[slug].requirements[opportunity_type] == expected
    for slug, expected in nb_exp.items():
        assert BY_SLUG[slug].requirements["new_business"] == expected
        assert BY_SLUG[slug].requirements["expansion"] == expected
    assert BY_SLUG["discovery"].requirements == {
        "new_business": ("qualification_passed", "follow_up_scheduled", "amount"),
        "expansion": ("follow_up_scheduled", "amount"),
        "renewal": ("follow_up_scheduled", "renewal_arr"),
    }
    assert BY_SLUG["scoping"].requirements["renewal"] == ()
    assert BY_SLUG["technical_evaluation"].requirements["renewal"] == ()
    assert BY_SLUG["proposal"].requirements["renewal"] == ("close_plan", "close_date")


def test_every_requirement_code_is_known_and_has_a_message() -> None:
    assert set(REQUIREMENT_MESSAGES) == set(REQUIREMENT_CODES)
    assert len(set(REQUIREMENT_CODES)) == len(REQUIREMENT_CODES)
    assert set(MEDDPPICC_ELEMENTS) | set(OVERVIEW_ELEMENTS) <= set(REQUIREMENT_CODES)
    assert set(REQUIREMENT_CODES) >= ENTRY_CHECKS
    for stage in DEFAULT_STAGES:
        assert set(stage.requirements) == set(OPPORTUNITY_TYPES)
        for required in stage.requirements.values():
            assert set(required) <= set(REQUIREMENT_CODES)
    assert all(message.endswith(".") for message in REQUIREMENT_MESSAGES.values())
    assert REQUIREMENT_MESSAGES["amount"] == "Set an amount greater than 0."


@pytest.mark.parametrize("slug", SLUGS)
def test_open_stages_are_the_ones_whose_category_may_be_overridden(slug: str) -> None:
    expected = BY_SLUG[slug].number <= 6
    assert is_open(slug) is expected
    assert may_override_category(slug) is expected


def test_stage_by_slug_indexes_the_given_stages() -> None:
    assert list(stage_by_slug(DEFAULT_STAGES)) == list(SLUGS)
    assert stage_by_slug([]) == {}


# --- every (from, to) pair, every type, with full facts -------------------------------------


def _pair_cases() -> list[Any]:
    cases = []
    for source, row in MOVES.items():
        for target, mark in row.items():
            for opportunity_type in OPPORTUNITY_TYPES:
                for may_reopen in (False, True):
                    cases.append(
                        pytest.param(
                            source,
                            target,
                            opportunity_type,
                            may_reopen,
                            mark,
                            id=f"{source}->{target}-{opportunity_type}-reopen={may_reopen}",
                        )
                    )
    return cases


@pytest.mark.parametrize(
    ("source", "target", "opportunity_type", "may_reopen", "mark"), _pair_cases()
)
def test_every_move_with_full_facts(
    source: str, target: str, opportunity_type: str, may_reopen: bool, mark: str
) -> None:
    verdict = check_transition(
        full_facts(opportunity_type, source), full_move(target, may_reopen=may_reopen)
    )
    if mark in ("=", "x"):
        assert verdict.kind is None
        assert verdict.never_allowed
        assert verdict.forbidden is None
        assert verdict.unmet == ()
        assert not verdict.allowed
        return
    assert verdict.never_allowed is None
    assert verdict.kind == KINDS[mark]
    assert verdict.unmet == ()
    if mark == "O" and not may_reopen:
        assert verdict.forbidden
        assert not verdict.allowed
    else:
        assert verdict.forbidden is None
        assert verdict.allowed


def test_the_move_table_covers_all_121_pairs() -> None:
    assert list(MOVES) == list(SLUGS)
    assert sum(len(row) for row in MOVES.values()) == 121


def test_an_unknown_target_is_never_allowed() -> None:
    verdict = move_from("discovery", "won")
    assert verdict.kind is None
    assert verdict.never_allowed == "There is no stage 'won'."


def test_closed_won_is_final_even_to_an_unknown_stage() -> None:
    verdict = move_from("closed_won", "nowhere", may_reopen=True, reason="oops")
    assert verdict.never_allowed is not None
    assert "final" in verdict.never_allowed


def test_an_unknown_current_stage_or_type_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="current stage"):
        check_transition(full_facts(stage="stage_42"), StageMove(to="discovery"))
    with pytest.raises(ValueError, match="opportunity type"):
        check_transition(full_facts(opportunity_type="upsell"), StageMove(to="discovery"))


# --- forward: with and without each requirement ---------------------------------------------


def _requirement_cases() -> list[Any]:
    cases = []
    for stage in DEFAULT_STAGES:
        if not 1 <= stage.number <= 7:
            continue
        for opportunity_type in OPPORTUNITY_TYPES:
            for code in stage.requirements[opportunity_type]:
                cases.append(
                    pytest.param(
                        stage, opportunity_type, code, id=f"{stage.slug}-{opportunity_type}-{code}"
                    )
                )
    return cases


REQUIREMENT_CASES = _requirement_cases()


def test_requirement_cases_cover_the_forward_table() -> None:
    # 3+2+2 discovery, 4+4 scoping, 5+5 technical_evaluation, 5+5+2 proposal,
    # 3 negotiating, 6 awaiting_signature, 6 closed_won.
    assert len(REQUIREMENT_CASES) == 52


@pytest.mark.parametrize(("stage", "opportunity_type", "code"), REQUIREMENT_CASES)
def test_entering_a_stage_needs_each_of_its_requirements(
    stage: StageDef, opportunity_type: str, code: str
) -> None:
    previous = SLUGS[stage.number - 1]
    facts = full_facts(opportunity_type, previous)
    assert check_transition(facts, StageMove(to=stage.slug)).allowed

    verdict = check_transition(without(facts, code), StageMove(to=stage.slug))
    if stage.slug == "closed_won" and code in ENTRY_CHECKS:
        assert verdict.allowed
    else:
        assert verdict.kind == TransitionKind.FORWARD
        assert verdict.unmet == (unmet(stage.slug, code),)
        assert not verdict.allowed


@pytest.mark.parametrize(("stage", "opportunity_type", "code"), REQUIREMENT_CASES)
def test_passing_through_a_stage_needs_each_of_its_requirements(
    stage: StageDef, opportunity_type: str, code: str
) -> None:
    facts = without(full_facts(opportunity_type), code)
    for target in SLUGS[stage.number : 8]:
        verdict = check_transition(facts, StageMove(to=target))
        if target == "closed_won" and code in ENTRY_CHECKS:
            assert verdict.allowed
            continue
        # The same code may be required by several stages (amount, close_date): each says so.
        expected = [
            (passed.slug, code)
            for passed in DEFAULT_STAGES[1 : BY_SLUG[target].number + 1]
            if code in passed.requirements[opportunity_type]
        ]
        assert (stage.slug, code) in expected
        assert codes(verdict) == expected, target


@pytest.mark.parametrize(
    ("stage", "opportunity_type", "code"),
    [case for case in REQUIREMENT_CASES if case.values[0].slug != "closed_won"],
)
def test_stages_already_reached_are_not_rechecked(
    stage: StageDef, opportunity_type: str, code: str
) -> None:
    following = SLUGS[stage.number + 1]
    facts = without(full_facts(opportunity_type, stage.slug), code)
    verdict = check_transition(facts, StageMove(to=following))
    still_required = code in BY_SLUG[following].requirements[opportunity_type]
    assert verdict.allowed is not still_required


def test_a_move_to_closed_won_skips_entry_checks_of_every_stage_it_passes() -> None:
    facts = dataclasses.replace(full_facts(), follow_up_scheduled=False, close_plan_current=False)
    assert check_transition(facts, StageMove(to="closed_won")).allowed
    assert codes(check_transition(facts, StageMove(to="awaiting_signature"))) == [
        ("discovery", "follow_up_scheduled"),
        ("awaiting_signature", "close_plan_current"),
    ]


def test_an_entry_check_of_a_stage_not_entered_is_not_applied() -> None:
    lapsed = dataclasses.replace(
        full_facts(stage="discovery"), follow_up_scheduled=False, close_plan_current=False
    )
    assert check_transition(lapsed, StageMove(to="negotiating")).allowed
    in_signature = dataclasses.replace(lapsed, stage="awaiting_signature")
    assert check_transition(in_signature, StageMove(to="closed_won")).allowed
    from_negotiating = dataclasses.replace(lapsed, stage="negotiating")
    assert codes(check_transition(from_negotiating, StageMove(to="awaiting_signature"))) == [
        ("awaiting_signature", "close_plan_current")
    ]


def test_unmet_requirements_are_ordered_by_stage_then_as_listed() -> None:
    bare = OpportunityFacts(
        type="new_business",
        stage="pending_acceptance",
        amount=None,
        renewal_arr=None,
        qualification_passed=False,
        follow_up_scheduled=False,
        filled_elements=frozenset(),
        entry_use_case=None,
        close_plan_steps=0,
        close_plan_current=False,
        close_date=None,
        proposal_sent_on=None,
        signature_requested_on=None,
    )
    verdict = check_transition(bare, StageMove(to="closed_won"))
    assert codes(verdict) == [
        ("discovery", "qualification_passed"),
        ("discovery", "amount"),
        ("scoping", "why_do_anything"),
        ("scoping", "why_now"),
        ("scoping", "identify_pain"),
        ("scoping", "entry_use_case"),
        ("technical_evaluation", "metrics"),
        ("technical_evaluation", "champion"),
        ("technical_evaluation", "economic_buyer"),
        ("technical_evaluation", "decision_criteria"),
        ("technical_evaluation", "partners"),
        ("proposal", "decision_process"),
        ("proposal", "paper_process"),
        ("proposal", "competition"),
        ("proposal", "close_plan"),
        ("proposal", "close_date"),
        ("negotiating", "proposal_sent"),
        ("awaiting_signature", "signature_requested"),
        ("closed_won", "amount"),
        ("closed_won", "close_date"),
    ]
    assert all(u.message == REQUIREMENT_MESSAGES[u.code] for u in verdict.unmet)
    renewal = dataclasses.replace(bare, type="renewal")
    assert codes(check_transition(renewal, StageMove(to="awaiting_signature"))) == [
        ("discovery", "follow_up_scheduled"),
        ("discovery", "renewal_arr"),
        ("proposal", "close_plan"),
        ("proposal", "close_date"),
        ("negotiating", "proposal_sent"),
        ("awaiting_signature", "signature_requested"),
        ("awaiting_signature", "close_plan_current"),
    ]


def test_renewal_discovery_needs_renewal_arr_not_amount() -> None:
    facts = dataclasses.replace(full_facts("renewal"), amount=None, renewal_arr=Decimal("0"))
    assert codes(check_transition(facts, StageMove(to="discovery"))) == [
        ("discovery", "renewal_arr")
    ]


def test_admin_edited_requirements_are_honoured() -> None:
    scoping = BY_SLUG["scoping"]
    edited = dataclasses.replace(
        scoping, requirements={**scoping.requirements, "renewal": ("why_us", "follow_up_scheduled")}
    )
    stages = tuple(edited if s.slug == "scoping" else s for s in DEFAULT_STAGES)
    facts = dataclasses.replace(
        full_facts("renewal", "discovery"), filled_elements=frozenset(), follow_up_scheduled=False
    )
    verdict = check_transition(facts, StageMove(to="scoping"), stages)
    assert codes(verdict) == [("scoping", "why_us"), ("scoping", "follow_up_scheduled")]
    assert check_transition(facts, StageMove(to="scoping")).allowed


# --- what each requirement code means --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "met"),
    [(None, False), (Decimal("0"), False), (Decimal("-5"), False), (Decimal("0.01"), True)],
)
def test_amount_and_renewal_arr_must_be_positive(value: Decimal | None, met: bool) -> None:
    facts = dataclasses.replace(full_facts(), amount=value, renewal_arr=value)
    assert requirement_met("amount", facts, StageMove(to="discovery")) is met
    assert requirement_met("renewal_arr", facts, StageMove(to="discovery")) is met


@pytest.mark.parametrize(("steps", "met"), [(0, False), (1, True), (5, True)])
def test_close_plan_needs_a_step(steps: int, met: bool) -> None:
    facts = dataclasses.replace(full_facts(), close_plan_steps=steps)
    assert requirement_met("close_plan", facts, StageMove(to="proposal")) is met


@pytest.mark.parametrize(
    ("code", "move", "met"),
    [
        ("reason", StageMove(to="discovery", reason="slipped"), True),
        ("reason", StageMove(to="discovery", reason=None), False),
        ("reason", StageMove(to="discovery", reason=""), False),
        ("reason", StageMove(to="discovery", reason=" \t\n"), False),
        ("loss_reason", StageMove(to="lost", loss_reason="budget"), True),
        ("loss_reason", StageMove(to="lost", loss_reason="bored"), False),
        ("loss_reason", StageMove(to="lost", loss_reason=None), False),
        ("loss_details", StageMove(to="lost", loss_details="went dark"), True),
        ("loss_details", StageMove(to="lost", loss_details="  "), False),
        ("duplicate_of_id", StageMove(to="duplicate", duplicate_of_id=OTHER_ID), True),
        ("duplicate_of_id", StageMove(to="duplicate"), False),
    ],
)
def test_move_codes_read_the_move(code: str, move: StageMove, met: bool) -> None:
    assert requirement_met(code, full_facts(), move) is met


def test_an_unknown_requirement_code_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown requirement code"):
        requirement_met("vibes", full_facts(), StageMove(to="discovery"))


# --- regression, loss, unqualified, duplicate, reopen -----------------------------------------


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_regression_needs_a_reason(reason: str | None) -> None:
    verdict = move_from("proposal", "scoping", reason=reason)
    assert verdict.kind == TransitionKind.REGRESSION
    assert verdict.unmet == (unmet("scoping", "reason"),)


def test_a_regression_with_a_reason_checks_nothing_else() -> None:
    bare = dataclasses.replace(
        full_facts(stage="negotiating"), amount=None, filled_elements=frozenset()
    )
    verdict = check_transition(bare, StageMove(to="discovery", reason="budget re-scoped"))
    assert verdict.allowed
    assert verdict.kind == TransitionKind.REGRESSION


@pytest.mark.parametrize("source", sorted(OPEN_STAGES))
@pytest.mark.parametrize("loss_reason", [r for r in LOSS_REASONS if r != "other"])
def test_lost_from_any_open_stage_with_each_loss_reason(source: str, loss_reason: str) -> None:
    verdict = move_from(source, "lost", loss_reason=loss_reason)
    assert verdict.allowed
    assert verdict.kind == TransitionKind.LOSS


@pytest.mark.parametrize("details", [None, "", "  "])
def test_lost_for_other_needs_details(details: str | None) -> None:
    verdict = move_from("proposal", "lost", loss_reason="other", loss_details=details)
    assert verdict.unmet == (unmet("lost", "loss_details"),)
    assert move_from("proposal", "lost", loss_reason="other", loss_details="merger").allowed


@pytest.mark.parametrize("loss_reason", [None, "", "bored", "OTHER"])
def test_lost_needs_a_known_loss_reason(loss_reason: str | None) -> None:
    verdict = move_from("discovery", "lost", loss_reason=loss_reason, loss_details="x")
    assert verdict.kind == TransitionKind.LOSS
    assert verdict.unmet == (unmet("lost", "loss_reason"),)


def test_lost_does_not_check_the_pipeline_requirements() -> None:
    bare = dataclasses.replace(full_facts(stage="pending_acceptance"), amount=None)
    assert check_transition(bare, StageMove(to="lost", loss_reason="timing")).allowed


def test_unqualified_only_from_pending_acceptance_with_a_reason() -> None:
    assert move_from("pending_acceptance", "unqualified", reason="no budget").allowed
    without_reason = move_from("pending_acceptance", "unqualified")
    assert without_reason.kind == TransitionKind.UNQUALIFY
    assert without_reason.unmet == (unmet("unqualified", "reason"),)
    from_discovery = move_from("discovery", "unqualified", reason="no budget")
    assert from_discovery.kind is None
    assert from_discovery.never_allowed == (
        "Only an opportunity at pending_acceptance can be marked unqualified."
    )


@pytest.mark.parametrize("source", sorted(OPEN_STAGES))
def test_duplicate_from_any_open_stage_needs_the_other_id(source: str) -> None:
    assert move_from(source, "duplicate", duplicate_of_id=OTHER_ID).allowed
    verdict = move_from(source, "duplicate")
    assert verdict.kind == TransitionKind.DUPLICATE
    assert verdict.unmet == (unmet("duplicate", "duplicate_of_id"),)


@pytest.mark.parametrize("source", ["lost", "unqualified", "duplicate"])
def test_a_rep_may_not_reopen_even_with_everything_in_order(source: str) -> None:
    verdict = move_from(source, "scoping", reason="back in play")
    assert verdict.kind == TransitionKind.REOPEN
    assert verdict.forbidden is not None
    assert source in verdict.forbidden
    assert verdict.unmet == ()
    assert not verdict.allowed


def test_forbidden_is_decided_before_requirements() -> None:
    bare = dataclasses.replace(full_facts(stage="lost"), amount=None)
    verdict = check_transition(bare, StageMove(to="discovery"))
    assert verdict.forbidden is not None
    assert verdict.unmet == ()


@pytest.mark.parametrize("source", ["lost", "unqualified", "duplicate"])
def test_a_manager_reopens_with_a_reason(source: str) -> None:
    verdict = move_from(source, "scoping", reason="back in play", may_reopen=True)
    assert verdict.allowed
    assert verdict.kind == TransitionKind.REOPEN
    no_reason = move_from(source, "scoping", may_reopen=True, reason=" ")
    assert no_reason.unmet == (unmet("scoping", "reason"),)


def test_a_reopen_checks_stages_one_to_n_with_their_entry_checks() -> None:
    facts = dataclasses.replace(
        full_facts(stage="lost"),
        follow_up_scheduled=False,
        close_plan_current=False,
        filled_elements=frozenset(MEDDPPICC_ELEMENTS) - {"metrics"},
    )
    reopen = StageMove(to="awaiting_signature", may_reopen=True)
    assert codes(check_transition(facts, reopen)) == [
        ("discovery", "follow_up_scheduled"),
        ("scoping", "why_do_anything"),
        ("scoping", "why_now"),
        ("technical_evaluation", "metrics"),
        ("awaiting_signature", "reason"),
        ("awaiting_signature", "close_plan_current"),
    ]
    to_discovery = StageMove(to="discovery", reason="re-engaged", may_reopen=True)
    assert codes(check_transition(facts, to_discovery)) == [("discovery", "follow_up_scheduled")]


@pytest.mark.parametrize("source", ["lost", "unqualified", "duplicate"])
@pytest.mark.parametrize("target", ["pending_acceptance", "closed_won"])
def test_a_reopen_never_goes_to_stage_0_or_closed_won(source: str, target: str) -> None:
    verdict = move_from(source, target, reason="back", may_reopen=True)
    assert verdict.kind is None
    assert verdict.never_allowed


def test_verdict_allowed_needs_a_kind_and_nothing_against_it() -> None:
    assert TransitionVerdict(kind=TransitionKind.FORWARD).allowed
    assert not TransitionVerdict(kind=None).allowed
    assert not TransitionVerdict(kind=TransitionKind.REOPEN, forbidden="no").allowed
    assert not TransitionVerdict(
        kind=TransitionKind.FORWARD, unmet=(unmet("discovery", "amount"),)
    ).allowed
    assert [kind.value for kind in TransitionKind] == [
        "forward",
        "regression",
        "loss",
        "unqualify",
        "duplicate",
        "reopen",
    ]

"""Opportunity stages as data, and the stage-transition validator (API.md section 7).

The one place for "which stage needs what, and what does that mean". Owns the default stage
table (numbers, names, probabilities, forecast categories and the requirement codes per
opportunity type), what each requirement code means over plain `OpportunityFacts` (including
the follow-up window and when a close plan is current, which the SQL in `repository.py`
imports), and `check_transition`: whether a stage move is allowed, never allowed
(409), forbidden to the caller's role (403), or blocked by unmet requirements (422).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from uuid import UUID

from app.core.enums import StageSlug

__all__ = [
    "DEFAULT_STAGES",
    "ENTRY_CHECKS",
    "FOLLOW_UP_WINDOW",
    "FORECAST_CATEGORIES",
    "LOSS_REASONS",
    "MEDDPPICC_ELEMENTS",
    "OPEN_STAGES",
    "OPPORTUNITY_TYPES",
    "OVERVIEW_ELEMENTS",
    "PERSON_ELEMENTS",
    "REQUIREMENT_CODES",
    "REQUIREMENT_MESSAGES",
    "OpportunityFacts",
    "StageDef",
    "StageMove",
    "TransitionKind",
    "TransitionVerdict",
    "Unmet",
    "check_transition",
    "close_step_overdue",
    "follow_up_window",
    "is_open",
    "may_override_category",
    "requirement_met",
    "stage_by_slug",
]

OPPORTUNITY_TYPES = ("new_business", "expansion", "renewal")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
LOSS_REASONS = ("no_decision", "competitor", "budget", "timing", "fit", "other")

MEDDPPICC_ELEMENTS = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "partners",
    "identify_pain",
    "champion",
    "competition",
)
OVERVIEW_ELEMENTS = (
    "why_do_anything",
    "why_now",
    "why_us",
    "primary_value_driver",
    "required_capabilities",
)

# Entry checks hold on the way in, not for ever: a follow-up or a current close plan can lapse.
ENTRY_CHECKS = frozenset({"follow_up_scheduled", "close_plan_current"})

# `follow_up_scheduled`: `next_step_at`, or a meeting on the opportunity or its lead, lies in
# (now, now + FOLLOW_UP_WINDOW].
FOLLOW_UP_WINDOW = timedelta(days=60)

# Champion and economic buyer are filled by a contact or by notes; other elements by text.
PERSON_ELEMENTS = frozenset({"champion", "economic_buyer"})


def follow_up_window(now: datetime) -> tuple[datetime, datetime]:
    """(start, end]: a follow-up counts when it is after `start` and at most at `end`."""
    return now, now + FOLLOW_UP_WINDOW


def close_step_overdue(done: bool, due_on: date | None, today: date) -> bool:
    """`close_plan_current` holds while no close-plan step is overdue: not done and due before
    today (today in ENGAGE_TIMEZONE); a step without a due date never lapses."""
    return not done and due_on is not None and due_on < today


REQUIREMENT_MESSAGES: dict[str, str] = {
    "qualification_passed": (
        "Record a qualification that passes all four criteria: authority, initiative, fit "
        "and timing."
    ),
    "follow_up_scheduled": (
        f"Schedule a next step or a meeting within the next {FOLLOW_UP_WINDOW.days} days."
    ),
    "amount": "Set an amount greater than 0.",
    "renewal_arr": "Set the renewal ARR (the ARR up for renewal) greater than 0.",
    "metrics": "Fill in Metrics in the command plan.",
    "economic_buyer": "Name the Economic Buyer (a contact or notes) in the command plan.",
    "decision_criteria": "Fill in Decision Criteria in the command plan.",
    "decision_process": "Fill in Decision Process in the command plan.",
    "paper_process": "Fill in Paper Process in the command plan.",
    "partners": "Fill in Partners in the command plan (say so when there are none).",
    "identify_pain": "Fill in Identify Pain in the command plan.",
    "champion": "Name the Champion (a contact or notes) in the command plan.",
    "competition": "Fill in Competition in the command plan.",
    "why_do_anything": "Fill in Why Do Anything in the command plan overview.",
    "why_now": "Fill in Why Now in the command plan overview.",
    "why_us": "Fill in Why Us in the command plan overview.",
    "primary_value_driver": "Fill in Primary Value Driver in the command plan overview.",
    "required_capabilities": "Fill in Required Capabilities in the command plan overview.",
    "entry_use_case": "Set the entry use case.",
    "close_plan": "Add at least one step to the close plan.",
    "close_plan_current": "Complete or reschedule the close-plan steps that are past due.",
    "close_date": "Set a close date.",
    "proposal_sent": "Set proposal_sent_on, the date the proposal was sent.",
    "signature_requested": "Set signature_requested_on, the date the signature was requested.",
    "loss_reason": ("Give a loss_reason: no_decision, competitor, budget, timing, fit or other."),
    "loss_details": "Describe the loss in loss_details when the loss reason is other.",
    "reason": "Give a reason for this stage change.",
    "duplicate_of_id": "Give duplicate_of_id, the opportunity this one duplicates.",
}
REQUIREMENT_CODES: tuple[str, ...] = tuple(REQUIREMENT_MESSAGES)

_ELEMENT_CODES = frozenset(MEDDPPICC_ELEMENTS + OVERVIEW_ELEMENTS)


@dataclass(frozen=True)
class StageDef:
    """One stage; `requirements` maps each opportunity type to the codes entering it needs."""

    slug: str
    number: int
    name: str
    probability: int
    forecast_category: str
    terminal: bool
    requirements: Mapping[str, tuple[str, ...]]


def _requirements(
    new_business: tuple[str, ...],
    *,
    expansion: tuple[str, ...] | None = None,
    renewal: tuple[str, ...] | None = None,
) -> Mapping[str, tuple[str, ...]]:
    """Requirements per type; expansion and renewal default to new business's."""
    return MappingProxyType(
        {
            "new_business": new_business,
            "expansion": new_business if expansion is None else expansion,
            "renewal": new_business if renewal is None else renewal,
        }
    )


DEFAULT_STAGES: tuple[StageDef, ...] = (
    StageDef("pending_acceptance", 0, "Pending Acceptance", 0, "omitted", False, _requirements(())),
    StageDef(
        "discovery",
        1,
        "Discovery",
        10,
        "pipeline",
        False,
        _requirements(
            ("qualification_passed", "follow_up_scheduled", "amount"),
            expansion=("follow_up_scheduled", "amount"),
            renewal=("follow_up_scheduled", "renewal_arr"),
        ),
    ),
    StageDef(
        "scoping",
        2,
        "Scoping",
        20,
        "pipeline",
        False,
        _requirements(
            ("why_do_anything", "why_now", "identify_pain", "entry_use_case"), renewal=()
        ),
    ),
    StageDef(
        "technical_evaluation",
        3,
        "Technical Evaluation",
        40,
        "pipeline",
        False,
        _requirements(
            ("metrics", "champion", "economic_buyer", "decision_criteria", "partners"), renewal=()
        ),
    ),
    StageDef(
        "proposal",
        4,
        "Proposal",
        60,
        "best_case",
        False,
        _requirements(
            ("decision_process", "paper_process", "competition", "close_plan", "close_date"),
            renewal=("close_plan", "close_date"),
        ),
    ),
    StageDef(
        "negotiating", 5, "Negotiating", 80, "best_case", False, _requirements(("proposal_sent",))
    ),
    StageDef(
        "awaiting_signature",
        6,
        "Awaiting Signature",
        90,
        "commit",
        False,
        _requirements(("signature_requested", "close_plan_current")),
    ),
    StageDef(
        "closed_won", 7, "Closed Won", 100, "closed", True, _requirements(("amount", "close_date"))
    ),
    StageDef("lost", 8, "Lost", 0, "omitted", True, _requirements(("loss_reason",))),
    StageDef("unqualified", 9, "Unqualified", 0, "omitted", True, _requirements(("reason",))),
    StageDef("duplicate", 10, "Duplicate", 0, "omitted", True, _requirements(("duplicate_of_id",))),
)

# Stages 0-6; the terminal ones (closed_won, lost, unqualified, duplicate) are the closed ones.
OPEN_STAGES = frozenset(stage.slug for stage in DEFAULT_STAGES if not stage.terminal)


@dataclass(frozen=True)
class OpportunityFacts:
    """What the validator needs to know about an opportunity, gathered by the caller."""

    type: str
    stage: str
    amount: Decimal | None
    renewal_arr: Decimal | None
    qualification_passed: bool
    follow_up_scheduled: bool
    filled_elements: frozenset[str]
    entry_use_case: str | None
    close_plan_steps: int
    close_plan_current: bool
    close_date: date | None
    proposal_sent_on: date | None
    signature_requested_on: date | None


@dataclass(frozen=True)
class StageMove:
    """The body of `POST /opportunities/{id}/stage`, plus what the caller decided about it.

    `duplicate_of_id` is None unless the caller found it to be another visible opportunity;
    `may_reopen` is True when the caller is a manager of the owner or an admin.
    """

    to: str
    reason: str | None = None
    loss_reason: str | None = None
    loss_details: str | None = None
    duplicate_of_id: UUID | None = None
    may_reopen: bool = False


@dataclass(frozen=True)
class Unmet:
    stage: str
    code: str
    message: str


class TransitionKind(StrEnum):
    FORWARD = "forward"
    REGRESSION = "regression"
    LOSS = "loss"
    UNQUALIFY = "unqualify"
    DUPLICATE = "duplicate"
    REOPEN = "reopen"


@dataclass(frozen=True)
class TransitionVerdict:
    """At most one of `never_allowed` (409), `forbidden` (403) and `unmet` (422) is set.

    `kind` is None only when the move is never allowed.
    """

    kind: TransitionKind | None
    unmet: tuple[Unmet, ...] = ()
    never_allowed: str | None = None
    forbidden: str | None = None

    @property
    def allowed(self) -> bool:
        return (
            self.kind is not None
            and not self.unmet
            and self.never_allowed is None
            and self.forbidden is None
        )


def stage_by_slug(stages: Sequence[StageDef]) -> dict[str, StageDef]:
    return {stage.slug: stage for stage in stages}


def is_open(slug: str) -> bool:
    return slug in OPEN_STAGES


def may_override_category(stage_slug: str) -> bool:
    """The owner may override the forecast category only while the opportunity is open."""
    return is_open(stage_slug)


def _positive(value: Decimal | None) -> bool:
    return value is not None and value > 0


def _filled(text: str | None) -> bool:
    return text is not None and text.strip() != ""


def requirement_met(code: str, facts: OpportunityFacts, move: StageMove) -> bool:
    """Whether requirement `code` holds; raises ValueError for a code that is not one."""
    if code in _ELEMENT_CODES:
        return code in facts.filled_elements
    match code:
        case "qualification_passed":
            return facts.qualification_passed
        case "follow_up_scheduled":
            return facts.follow_up_scheduled
        case "amount":
            return _positive(facts.amount)
        case "renewal_arr":
            return _positive(facts.renewal_arr)
        case "entry_use_case":
            return facts.entry_use_case is not None
        case "close_plan":
            return facts.close_plan_steps >= 1
        case "close_plan_current":
            return facts.close_plan_current
        case "close_date":
            return facts.close_date is not None
        case "proposal_sent":
            return facts.proposal_sent_on is not None
        case "signature_requested":
            return facts.signature_requested_on is not None
        case "loss_reason":
            return move.loss_reason in LOSS_REASONS
        case "loss_details":
            return _filled(move.loss_details)
        case "reason":
            return _filled(move.reason)
        case "duplicate_of_id":
            return move.duplicate_of_id is not None
    raise ValueError(f"unknown requirement code {code!r}")


def _never(message: str) -> TransitionVerdict:
    return TransitionVerdict(kind=None, never_allowed=message)


def _checked(
    kind: TransitionKind,
    checks: Sequence[tuple[StageDef, Sequence[str]]],
    facts: OpportunityFacts,
    move: StageMove,
) -> TransitionVerdict:
    """Applies `(stage, codes)` checks in the order given; each code once per stage."""
    unmet = tuple(
        Unmet(stage=stage.slug, code=code, message=REQUIREMENT_MESSAGES[code])
        for stage, codes in checks
        for code in dict.fromkeys(codes)
        if not requirement_met(code, facts, move)
    )
    return TransitionVerdict(kind=kind, unmet=unmet)


def _entered(
    stages: Sequence[StageDef], after: int, up_to: int, opportunity_type: str, *, entry_checks: bool
) -> list[tuple[StageDef, Sequence[str]]]:
    """The requirements of stages numbered after+1..up_to, entry checks only if asked."""
    return [
        (
            stage,
            tuple(
                code
                for code in stage.requirements[opportunity_type]
                if entry_checks or code not in ENTRY_CHECKS
            ),
        )
        for stage in sorted(stages, key=lambda s: s.number)
        if after < stage.number <= up_to
    ]


def check_transition(
    facts: OpportunityFacts, move: StageMove, stages: Sequence[StageDef] = DEFAULT_STAGES
) -> TransitionVerdict:
    """Decides a stage move from `facts.stage` to `move.to` (API.md section 7).

    Unmet requirements are ordered by stage number, then as the stage lists them; the codes
    the move itself must carry (`reason`, `loss_reason`, ...) come first at the target stage.
    Raises ValueError when `facts` names an unknown current stage or opportunity type.
    """
    by_slug = stage_by_slug(stages)
    current = by_slug.get(facts.stage)
    if current is None:
        raise ValueError(f"unknown current stage {facts.stage!r}")
    if facts.type not in OPPORTUNITY_TYPES:
        raise ValueError(f"unknown opportunity type {facts.type!r}")
    target = by_slug.get(move.to)

    if current.slug == StageSlug.CLOSED_WON:
        return _never("closed_won is final: a won opportunity never changes stage.")
    if target is None:
        return _never(f"There is no stage {move.to!r}.")
    if target.slug == current.slug:
        return _never(f"The opportunity is already at stage {current.slug}.")
    if target.slug == StageSlug.PENDING_ACCEPTANCE:
        return _never("No opportunity moves back to pending_acceptance.")
    own = target.requirements[facts.type]

    if current.terminal:
        if target.terminal:
            return _never(
                f"A {current.slug} opportunity can only be reopened to an open stage "
                "from discovery to awaiting_signature."
            )
        if not move.may_reopen:
            return TransitionVerdict(
                kind=TransitionKind.REOPEN,
                forbidden=(
                    f"Only a manager of the owner or an admin may reopen a {current.slug} "
                    "opportunity."
                ),
            )
        checks = _entered(stages, 0, target.number - 1, facts.type, entry_checks=True)
        checks.append((target, ("reason", *own)))
        return _checked(TransitionKind.REOPEN, checks, facts, move)

    if target.slug == StageSlug.LOST:
        details = ("loss_details",) if move.loss_reason == "other" else ()
        return _checked(
            TransitionKind.LOSS, [(target, ("loss_reason", *details, *own))], facts, move
        )
    if target.slug == StageSlug.UNQUALIFIED:
        if current.slug != StageSlug.PENDING_ACCEPTANCE:
            return _never("Only an opportunity at pending_acceptance can be marked unqualified.")
        return _checked(TransitionKind.UNQUALIFY, [(target, ("reason", *own))], facts, move)
    if target.slug == StageSlug.DUPLICATE:
        return _checked(
            TransitionKind.DUPLICATE, [(target, ("duplicate_of_id", *own))], facts, move
        )

    if target.number > current.number:
        checks = _entered(
            stages,
            current.number,
            target.number,
            facts.type,
            entry_checks=target.slug != StageSlug.CLOSED_WON,
        )
        return _checked(TransitionKind.FORWARD, checks, facts, move)
    # Backward between open stages 1..6: stage 0 and the terminal stages were refused above.
    return _checked(TransitionKind.REGRESSION, [(target, ("reason",))], facts, move)

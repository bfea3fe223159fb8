"""Meeting-preparation reference data: personas, discovery questions, buyer process stages."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.oracles.reference_data import BUYER_PROCESS_STAGES
from tests.oracles.reference_data import DISCOVERY_QUESTIONS
from tests.oracles.reference_data import MEDDPPICC_ELEMENTS
from tests.oracles.reference_data import PERSONA_SLUGS
from tests.oracles.reference_data import PERSONAS
from tests.oracles.reference_data import Persona


def _clean(text: str) -> bool:
    return bool(text.strip()) and text == text.strip() and "  " not in text and text.isprintable()


def test_five_personas_in_the_contract_order() -> None:
    assert [p.slug for p in PERSONAS] == [
        "technology_leader",
        "business_application_leader",
        "security_leader",
        "coo_cxo_leader",
        "financial_leader",
    ]
    assert tuple(p.slug for p in PERSONAS) == PERSONA_SLUGS
    assert len({p.name for p in PERSONAS}) == 5


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.slug)
def test_persona_lists_have_three_to_five_distinct_items(persona: Persona) -> None:
    assert _clean(persona.name)
    for items in (persona.objectives, persona.obstacles, persona.metrics):
        assert 3 <= len(items) <= 5
        assert len(set(items)) == len(items)
        assert all(_clean(item) for item in items)


def test_nine_meddppicc_elements() -> None:
    assert MEDDPPICC_ELEMENTS == (
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


def test_at_least_four_questions_per_element() -> None:
    counts = Counter(q.element for q in DISCOVERY_QUESTIONS)
    assert set(counts) == set(MEDDPPICC_ELEMENTS)
    assert all(n >= 4 for n in counts.values()), counts


def test_question_persona_tags_are_valid() -> None:
    for q in DISCOVERY_QUESTIONS:
        assert q.persona is None or q.persona in PERSONA_SLUGS, q
    tagged = {q.persona for q in DISCOVERY_QUESTIONS if q.persona is not None}
    assert tagged == set(PERSONA_SLUGS)
    # Every element has questions for anyone as well as persona-specific ones where they matter.
    untagged = {q.element for q in DISCOVERY_QUESTIONS if q.persona is None}
    assert untagged == set(MEDDPPICC_ELEMENTS)


def test_questions_are_unique_open_questions() -> None:
    texts = [q.question for q in DISCOVERY_QUESTIONS]
    assert len(set(texts)) == len(texts)
    for text in texts:
        assert _clean(text) and text.endswith("?"), text
        assert len(text) <= 500


def test_buyer_process_stages_in_order() -> None:
    assert [s.slug for s in BUYER_PROCESS_STAGES] == [
        "status_quo",
        "problem_recognition",
        "solution_exploration",
        "evaluation",
        "selection",
        "commitment",
    ]
    assert len({s.name for s in BUYER_PROCESS_STAGES}) == len(BUYER_PROCESS_STAGES)


def test_buyer_actions_per_stage() -> None:
    for stage in BUYER_PROCESS_STAGES:
        assert _clean(stage.name)
        assert 3 <= len(stage.buyer_actions) <= 5
        assert len(set(stage.buyer_actions)) == len(stage.buyer_actions)
        assert all(_clean(action) for action in stage.buyer_actions)


def test_reference_data_is_immutable() -> None:
    with pytest.raises(AttributeError):
        PERSONAS[0].name = "changed"  # type: ignore[misc]

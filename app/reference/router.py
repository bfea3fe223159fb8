"""/personas, /discovery-questions and /buyer-process-stages: seeded reference data for meeting
preparation, readable by every principal and editable by admins."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.enums import BpmStage
from app.core.enums import PersonaSlug
from app.core.routes import Resource
from app.core.security import AdminPrincipal
from app.core.security import CurrentPrincipal
from app.reference import service
from app.reference.schemas import BuyerProcessStage
from app.reference.schemas import BuyerProcessStagePage
from app.reference.schemas import BuyerProcessStageUpdate
from app.reference.schemas import DiscoveryQuestion
from app.reference.schemas import DiscoveryQuestionCreate
from app.reference.schemas import DiscoveryQuestionPage
from app.reference.schemas import DiscoveryQuestionUpdate
from app.reference.schemas import Persona
from app.reference.schemas import PersonaPage
from app.reference.schemas import PersonaUpdate
from app.reference.schemas import QuestionFilters

router = APIRouter(tags=["reference"])
# Everyone reads; admins write (each write names its principal).
personas = Resource(
    router, "/personas", Persona, AdminPrincipal, name="persona", key=("slug", PersonaSlug)
)
questions = Resource(
    router, "/discovery-questions", DiscoveryQuestion, AdminPrincipal, name="question"
)
buyer_process = Resource(
    router,
    "/buyer-process-stages",
    BuyerProcessStage,
    AdminPrincipal,
    name="buyer_process_stage",
    key=("slug", BpmStage),
)


personas.list(
    service.list_personas,
    PersonaPage,
    principal=CurrentPrincipal,
    description="The five buyer personas with their objectives, obstacles and metrics, in order.",
)


personas.update(
    service.update_persona,
    PersonaUpdate,
    description="Admins edit a persona (JSON Merge Patch; lists replace).",
)


questions.list(
    service.list_questions,
    DiscoveryQuestionPage,
    principal=CurrentPrincipal,
    filters=QuestionFilters,
    description="Discovery questions per MEDDPPICC element. `persona` selects the questions "
    "written for that persona together with the ones for any persona (`persona: null`).",
)


questions.create(
    service.create_question,
    DiscoveryQuestionCreate,
    description="Admins add a discovery question; it is listed after the existing ones.",
)


questions.read(service.get_question, principal=CurrentPrincipal)


questions.update(
    service.update_question,
    DiscoveryQuestionUpdate,
    description="Admins edit a discovery question (JSON Merge Patch).",
)


buyer_process.list(
    service.list_buyer_process_stages,
    BuyerProcessStagePage,
    principal=CurrentPrincipal,
    description="The Buyer Process Map stages in order, each with the buyer actions that "
    "signal it.",
)


buyer_process.update(
    service.update_buyer_process_stage,
    BuyerProcessStageUpdate,
    description="Admins edit a stage's name or buyer actions (JSON Merge Patch; lists replace).",
)

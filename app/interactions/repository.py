"""SQL for interactions: visible with their subject; an integration sees those it logged.
Recording one (and a lead's counters) is the leads package's `TouchRepository.record`."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy import select

from app.core.repository import Repository
from app.core.repository import columns
from app.core.visibility import Viewer
from app.models import Interaction
from app.subjects.repository import subject_visible


def interaction_visible(viewer: Viewer) -> ColumnElement[bool]:
    """Visible with the subject; an integration sees the interactions it logged."""
    if viewer.role == "integration":
        logged: ColumnElement[bool] = Interaction.created_by == viewer.id
        return logged
    return subject_visible(viewer, Interaction.subject_type, Interaction.subject_id)


class InteractionRepository(Repository[Interaction]):
    model = Interaction
    endpoint = "interactions"
    sort_columns = columns(Interaction, "occurred_at", "created_at")
    filter_columns = columns(Interaction, "subject_type", "subject_id", "channel", "direction")

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return interaction_visible(viewer)

    async def with_external_id(self, source: str, external_id: str) -> Interaction | None:
        found: Interaction | None = await self.session.scalar(
            select(Interaction).where(
                Interaction.source == source, Interaction.external_id == external_id
            )
        )
        return found

"""SQL for engagement activities: visible with their territory, or to the integration that
created them."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.core.repository import Repository
from app.core.visibility import Viewer, activity_visible
from app.models import Activity


class ActivityRepository(Repository[Activity]):
    model = Activity
    endpoint = "activities"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return activity_visible(viewer)

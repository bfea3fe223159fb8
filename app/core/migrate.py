"""Applying migrations programmatically (the CLI, `engage serve`, the tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from app.core.health import MIGRATIONS


def alembic_config(database_url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if database_url is not None:
        config.attributes["database_url"] = database_url
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(database_url: str) -> None:
    """Apply pending migrations; env.py holds a PostgreSQL advisory lock while it does."""
    command.upgrade(alembic_config(database_url), "head")


def upgrade_on(connection: Connection) -> None:
    command.upgrade(alembic_config(connection=connection), "head")

"""Engage's settings: one cached object read from ENGAGE_* environment variables."""

import os
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import Field
from pydantic import field_validator
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ENGAGE_", env_file=".env", extra="ignore")

    environment: str = Field("development", description="development, test or production")
    database_url: str | None = Field(
        None, description="postgresql+asyncpg://... ; unset starts an embedded PostgreSQL"
    )
    data_dir: Path = Field(Path(".engage"), description="where the embedded PostgreSQL lives")
    timezone: str = Field("UTC", description="zone for 'today', 'overdue' and 'last N days'")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 600
    # Connections are opened as requests need them and then kept: overflow connections are
    # closed on return, so under steady load above pool_size every request would pay for a
    # new server process and handshake.
    pool_size: int = Field(20, ge=1)
    pool_max_overflow: int = Field(0, ge=0)
    pool_timeout_seconds: float = Field(
        30.0, gt=0, description="longest wait for a pooled connection before answering 503"
    )
    connect_timeout_seconds: float = Field(
        5.0, gt=0, description="longest wait to open a database connection before answering 503"
    )
    access_log: bool = Field(False, description="`engage serve` logs a line per request")
    principal_cache_seconds: float = Field(
        10.0,
        ge=0,
        description="longest a worker reuses a token's principal; changes reach every worker "
        "at once through LISTEN/NOTIFY, this bounds a missed one (0: look up every request)",
    )
    read_pool_size: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        description="connections of the pool GETs run their hot reads on (no session); twice "
        "the machine's cores by default: more reads at once than the database can run only "
        "queue inside PostgreSQL, where the first to come is not the first served",
    )
    rate_limit_pool_size: int = Field(
        2, ge=1, description="connections of the small pool that counts rate-limit budgets"
    )
    pool_ping_after_idle_seconds: float = Field(
        30.0,
        ge=0,
        description="a pooled connection idle longer than this is pinged before reuse (0: always)",
    )
    gc_young_threshold: int = Field(
        50_000,
        ge=0,
        description="allocations between garbage collections in a serving worker (0: Python's 700)",
    )
    statement_cache_size: int = Field(
        100, description="asyncpg prepared-statement cache; 0 behind PgBouncer in transaction mode"
    )
    cursor_secret: str = Field("engage-development-cursor-secret", min_length=16)
    webhook_allow_private: bool = False
    forwarded_allow_ips: str = Field(
        "",
        description="comma-separated proxy addresses (or `*`) whose X-Forwarded-For/-Proto "
        "are believed; empty: none, the peer address is the client's",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip().startswith("["):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def check_production(self) -> None:
        if self.environment == "production" and self.cursor_secret.startswith("engage-development"):
            raise RuntimeError("ENGAGE_CURSOR_SECRET must be set in production")


@lru_cache
def get_settings() -> Settings:
    return Settings()

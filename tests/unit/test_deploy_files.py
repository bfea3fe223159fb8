"""The Docker files say what the README promises (no Docker engine runs on CI machines, so the
compose file is checked by reading it; `.ci/run` also runs `docker compose config` where it can)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_waits_for_a_healthy_postgres_16() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert app["environment"]["ENGAGE_DATABASE_URL"].startswith("postgresql+asyncpg://")


def test_image_is_multi_stage_non_root_and_serves() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
    stages = [line for line in dockerfile if line.startswith("FROM ")]
    assert len(stages) >= 2
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert any(line.startswith("CMD") and '"engage", "serve"' in line for line in dockerfile)

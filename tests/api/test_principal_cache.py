"""Each worker caches principals by token hash; PostgreSQL LISTEN/NOTIFY keeps every process
honest. Two `engage serve` processes: a revocation, a role change or a deactivation made through
one takes effect on the very next request to the other; a change that bypassed the triggers is
served from the cache (proof the cache is on) until the listening connection drops, which
forgets everything. The cache's own bounds are tested in-process."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.principals import PrincipalCache
from app.core.security import Principal
from tests.api.test_scale_out import _cli_token
from tests.api.test_scale_out import serving
from tests.conftest import create_database
from tests.conftest import drop_database


@pytest.fixture(scope="module")
def cached_processes() -> Iterator[tuple[list[str], str, str]]:
    url = asyncio.run(create_database("engage_cache"))
    env = {
        **os.environ,
        "ENGAGE_DATABASE_URL": url,
        "ENGAGE_ENVIRONMENT": "test",
        "ENGAGE_PRINCIPAL_CACHE_SECONDS": "300",  # only a notification can explain a change
    }
    try:
        token = _cli_token(env, "cache-admin@example.com")
        with serving(env) as bases:
            yield bases, token, url
    finally:
        asyncio.run(drop_database(url))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _rep_with_tokens(
    client: httpx.Client, base: str, admin: str, count: int
) -> tuple[str, list[dict[str, str]]]:
    email = f"rep-{uuid.uuid4().hex[:8]}@example.com"
    user = client.post(
        f"{base}/api/v1/users",
        json={"email": email, "name": "Rep", "role": "rep"},
        headers=_auth(admin),
    )
    assert user.status_code == 201, user.text
    tokens = []
    for _ in range(count):
        created = client.post(
            f"{base}/api/v1/users/{user.json()['id']}/tokens", headers=_auth(admin)
        )
        assert created.status_code == 201, created.text
        tokens.append(created.json())
    return user.json()["id"], tokens


def _me(client: httpx.Client, base: str, token: dict[str, str]) -> httpx.Response:
    return client.get(f"{base}/api/v1/me", headers=_auth(token["token"]))


def test_changes_take_effect_on_the_next_request_in_another_process(
    cached_processes: tuple[list[str], str, str],
) -> None:
    (a, b), admin, _ = cached_processes
    with httpx.Client(timeout=10) as client:
        user_id, (first, second) = _rep_with_tokens(client, a, admin, 2)
        for base in (a, b):  # both processes have cached both principals
            assert _me(client, base, first).status_code == 200
            assert _me(client, base, second).json()["role"] == "rep"

        revoked = client.delete(f"{a}/api/v1/tokens/{first['id']}", headers=_auth(admin))
        assert revoked.status_code == 204
        assert _me(client, b, first).status_code == 401
        assert _me(client, a, first).status_code == 401
        assert _me(client, b, second).status_code == 200  # the user's other token still works

        promoted = client.patch(
            f"{b}/api/v1/users/{user_id}",
            json={"role": "manager"},
            headers={**_auth(admin), "Content-Type": "application/merge-patch+json"},
        )
        assert promoted.status_code == 200, promoted.text
        assert _me(client, a, second).json()["role"] == "manager"

        deactivated = client.patch(
            f"{a}/api/v1/users/{user_id}",
            json={"active": False},
            headers={**_auth(admin), "Content-Type": "application/merge-patch+json"},
        )
        assert deactivated.status_code == 200, deactivated.text
        assert _me(client, b, second).status_code == 401
        assert _me(client, a, second).status_code == 401


async def _revoke_silently(url: str, token_id: str) -> None:
    """Revoke without firing triggers (no notification): only the cache's age or a flush can
    make a worker notice."""
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(
            text("UPDATE api_tokens SET revoked_at = now() WHERE id = :id"), {"id": token_id}
        )
    await engine.dispose()


async def _drop_listeners(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'engage-listener'"
            )
        )
    await engine.dispose()


def test_a_dropped_listening_connection_forgets_every_principal(
    cached_processes: tuple[list[str], str, str],
) -> None:
    (a, _), admin, url = cached_processes
    with httpx.Client(timeout=10) as client:
        _, (token,) = _rep_with_tokens(client, a, admin, 1)
        assert _me(client, a, token).status_code == 200
        asyncio.run(_revoke_silently(url, token["id"]))
        # Served from the cache: nothing told the process.
        assert _me(client, a, token).status_code == 200
        asyncio.run(_drop_listeners(url))
        time.sleep(0.5)
        assert _me(client, a, token).status_code == 401
        # The listener comes back and caching resumes: readiness and a fresh token work.
        _, (fresh,) = _rep_with_tokens(client, a, admin, 1)
        assert _me(client, a, fresh).status_code == 200


def _principal(expires_at: datetime | None = None) -> Principal:
    return Principal(
        uuid.uuid4(), "p@example.com", "P", "rep", None, None, uuid.uuid4(), expires_at
    )


def test_the_cache_keeps_nothing_past_its_bounds() -> None:
    cache = PrincipalCache(max_age=60)
    principal = _principal()
    cache.put(b"h", principal, cache.generation)
    assert cache.get(b"h") is None  # not live: no listener, no caching
    cache.flush(live=True)
    stale = cache.generation
    cache.forget_user(str(uuid.uuid4()))  # a notification while a look-up ran
    cache.put(b"h", principal, stale)
    assert cache.get(b"h") is None
    cache.put(b"h", principal, cache.generation)
    assert cache.get(b"h") == principal
    cache.forget_user(str(principal.id))
    assert cache.get(b"h") is None
    soon = _principal(datetime.now(UTC) + timedelta(milliseconds=50))
    cache.put(b"s", soon, cache.generation)
    assert cache.get(b"s") == soon
    time.sleep(0.1)
    assert cache.get(b"s") is None  # the token expired: so did its entry
    short = PrincipalCache(max_age=0.05)
    short.flush(live=True)
    short.put(b"h", principal, short.generation)
    time.sleep(0.1)
    assert short.get(b"h") is None

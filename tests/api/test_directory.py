"""The directory and the last admin (API.md section 10): managers and reps find every active
human user; integrations find none; the last active admin cannot be demoted or deactivated."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.main import create_app
from tests.api.conftest import test_settings as settings_for_tests
from tests.api.territory_helpers import territory
from tests.factories import Actors
from tests.factories import make_user

USERS = "/api/v1/users"


async def _ids(client: httpx.AsyncClient, query: str, headers: dict[str, str]) -> set[str]:
    r = await client.get(f"{USERS}?limit=200{query}", headers=headers)
    assert r.status_code == 200, r.text
    return {u["id"] for u in r.json()["items"]}


async def test_reps_and_managers_find_every_active_human_user(
    client: httpx.AsyncClient, actors: Actors, session: AsyncSession
) -> None:
    gone = await make_user(session, "rep", actors.manager.user)
    r = await client.patch(
        f"{USERS}/{gone.id}", json={"active": False}, headers=actors.admin.headers
    )
    assert r.status_code == 200
    humans = {
        str(a.id)
        for a in (
            actors.admin,
            actors.vp,
            actors.manager,
            actors.rep,
            actors.rep2,
            actors.other_manager,
            actors.peer_rep,
        )
    }
    for viewer in (actors.rep, actors.peer_rep, actors.manager):
        seen = await _ids(client, "", viewer.headers)
        assert humans <= seen
        assert str(actors.integration.id) not in seen and str(gone.id) not in seen
    everyone = await _ids(client, "", actors.admin.headers)
    assert {str(actors.integration.id), str(gone.id)} | humans <= everyone

    r = await client.get(f"{USERS}/{actors.peer_rep.id}", headers=actors.rep.headers)
    assert r.status_code == 200 and r.json()["role"] == "rep"
    for hidden in (gone, actors.integration):
        r = await client.get(f"{USERS}/{hidden.id}", headers=actors.rep.headers)
        assert r.status_code == 404
        r = await client.get(f"{USERS}/{hidden.id}", headers=actors.admin.headers)
        assert r.status_code == 200


async def test_integrations_get_403_on_users_but_read_themselves(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    h = actors.integration.headers
    for url in (USERS, f"{USERS}/{actors.rep.id}", f"{USERS}/{actors.integration.id}"):
        r = await client.get(url, headers=h)
        assert r.status_code == 403 and r.json()["type"] == "/problems/forbidden"
    r = await client.get("/api/v1/me", headers=h)
    assert r.status_code == 200 and r.json()["id"] == str(actors.integration.id)


async def test_directory_filters(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.rep.headers
    assert await _ids(client, f"&manager_id={actors.manager.id}", h) == {
        str(actors.rep.id),
        str(actors.rep2.id),
    }
    managers = await _ids(client, "&role=manager", h)
    assert {str(actors.vp.id), str(actors.manager.id), str(actors.other_manager.id)} <= managers
    assert str(actors.rep.id) not in managers

    # q: words of the name or of the email, whole or as prefixes, case-insensitively.
    name = actors.peer_rep.user.name  # "Rep <tag>"
    tag = name.split()[1]
    assert await _ids(client, f"&q={tag[:4].upper()}", h) == {str(actors.peer_rep.id)}
    assert await _ids(client, f"&q=rep {tag}", h) == {str(actors.peer_rep.id)}
    email_word = actors.peer_rep.user.email.split("@")[0]  # "rep-<tag>"
    assert str(actors.peer_rep.id) in await _ids(client, f"&q={email_word}", h)
    assert await _ids(client, "&q=nobody-by-this-name", h) == set()

    r = await client.get(f"{USERS}?q=x", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.q"
    r = await client.get(f"{USERS}?active=false", headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.active"
    r = await client.get(f"{USERS}?manager_id={actors.integration.id}", headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "field": "query.manager_id",
        "code": "not_found",
        "message": "No such record visible to you for query.manager_id.",
    }
    r = await client.get(f"{USERS}?active=false", headers=actors.admin.headers)
    assert r.status_code == 200 and r.json()["items"] == []
    r = await client.get(f"{USERS}?active=true&role=integration", headers=actors.admin.headers)
    assert [u["id"] for u in r.json()["items"]] == [str(actors.integration.id)]


async def test_a_rep_staffs_their_territory_with_a_peer(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    t = await territory(client, actors.manager, actors.rep)
    r = await client.put(
        f"/api/v1/territories/{t['id']}/team",
        json={"members": [{"user_id": str(actors.peer_rep.id), "role": "sa"}]},
        headers=actors.rep.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["members"][0]["user_id"] == str(actors.peer_rep.id)


async def test_reports_stay_scoped_though_the_directory_is_open(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """Seeing a peer in the directory is no licence to read their quota or roll-up."""
    r = await client.get(
        f"/api/v1/quotas/{actors.peer_rep.id}/FY2027-Q1", headers=actors.rep.headers
    )
    assert r.status_code == 404
    r = await client.get(
        f"/api/v1/forecasts/rollup?period=FY2027-Q1&owner_id={actors.peer_rep.id}",
        headers=actors.rep.headers,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.owner_id"


async def test_the_last_active_admin_stays(client: httpx.AsyncClient, actors: Actors) -> None:
    h = actors.admin.headers
    url = f"{USERS}/{actors.admin.id}"
    for change in ({"active": False}, {"role": "manager"}):
        r = await client.patch(url, json=change, headers=h)
        assert r.status_code == 409, r.text
        assert r.json()["type"] == "/problems/conflict"
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.get(url, headers=h)
    assert r.json()["version"] == 1 and r.json()["role"] == "admin" and r.json()["active"]
    # Renaming the last admin, or re-stating the role, is no demotion.
    r = await client.patch(url, json={"name": "Root", "role": "admin"}, headers=h)
    assert r.status_code == 200

    # With a second admin, either may step down; then the other is the last again.
    r = await client.patch(f"{USERS}/{actors.vp.id}", json={"role": "admin"}, headers=h)
    assert r.status_code == 200
    r = await client.patch(url, json={"role": "manager"}, headers=actors.vp.headers)
    assert r.status_code == 200 and r.json()["role"] == "manager"
    r = await client.patch(
        f"{USERS}/{actors.vp.id}", json={"active": False}, headers=actors.vp.headers
    )
    assert r.status_code == 409 and r.json()["type"] == "/problems/conflict"


async def test_two_admins_demoting_each_other_at_once_leave_one(engine: AsyncEngine) -> None:
    """The admins are locked before either change is checked: the second request sees the
    first's committed change and is refused (or, if it authenticates after the commit, 401)."""
    factory = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    async with factory() as s:
        others = await s.scalar(text("SELECT count(*) FROM users WHERE role = 'admin' AND active"))
        assert others == 0, "this test needs a database without committed admins"
        first = await make_user(s, "admin")
        second = await make_user(s, "admin")
        await s.commit()
    users = [first.id, second.id]
    app = create_app(settings_for_tests(), session_factory=factory)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://engage.test") as client:
            responses = await asyncio.gather(
                client.patch(f"{USERS}/{second.id}", json={"active": False}, headers=first.headers),
                client.patch(
                    f"{USERS}/{first.id}", json={"role": "manager"}, headers=second.headers
                ),
            )
        statuses = sorted(r.status_code for r in responses)
        assert statuses in ([200, 409], [200, 401]), [r.text for r in responses]
        async with factory() as s:
            left = await s.scalar(
                text("SELECT count(*) FROM users WHERE role = 'admin' AND active AND id = ANY(:u)"),
                {"u": users},
            )
        assert left == 1
    finally:
        async with factory() as s:
            await s.execute(
                text("DELETE FROM rate_limit_windows WHERE subject_id = ANY(:u)"), {"u": users}
            )
            await s.execute(text("DELETE FROM api_tokens WHERE user_id = ANY(:u)"), {"u": users})
            await s.execute(text("DELETE FROM users WHERE id = ANY(:u)"), {"u": users})
            await s.commit()


async def test_me_written_by_postgresql_is_the_users_representation(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    """`GET /me` is rendered by PostgreSQL (`json_object`): the same document, byte for byte in
    meaning, as `GET /users/{id}` rendered by the response model, and the same ETag."""
    for actor in (actors.admin, actors.manager, actors.rep, actors.integration):
        me = await client.get("/api/v1/me", headers=actor.headers)
        assert me.status_code == 200 and me.headers["content-type"] == "application/json"
        admin_view = await client.get(f"/api/v1/users/{actor.id}", headers=actors.admin.headers)
        assert me.json() == admin_view.json()
        assert list(me.json()) == list(admin_view.json())
        assert me.headers["etag"] == admin_view.headers["etag"] == f'"{me.json()["version"]}"'

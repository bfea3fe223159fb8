"""The receiver the README gives integrators, run as written against Engage's delivery worker:
it accepts a signed ping, handles a redelivered event once, and refuses a bad signature."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.main import create_app
from app.webhooks import delivery
from app.webhooks.signing import signature
from tests.api.conftest import test_settings as settings_for_tests
from tests.factories import Actors

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver() -> str:
    blocks = re.findall(r"```python\n(# engage_receiver\.py\n.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, "the README's receiver example is missing"
    return str(blocks[0])


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The README's code, serving on a free local port; `handled` records what it handled."""
    monkeypatch.setenv("ENGAGE_WEBHOOK_SECRET", "pending")
    module: dict[str, Any] = {"__name__": "engage_receiver"}
    exec(compile(readme_receiver(), "engage_receiver.py", "exec"), module)
    handled: list[dict[str, Any]] = []
    module["handle"] = handled.append
    server = HTTPServer(("127.0.0.1", 0), module["Receiver"])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {
        "module": module,
        "handled": handled,
        "url": f"http://127.0.0.1:{server.server_address[1]}/engage",
    }
    server.shutdown()


async def test_the_readme_receiver_takes_a_ping_once_and_refuses_bad_signatures(
    connection: AsyncConnection, actors: Actors, receiver: dict[str, Any]
) -> None:
    factory = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    app = create_app(settings_for_tests(webhook_allow_private=True), session_factory=factory)
    admin = actors.admin.headers
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://engage.test"
    ) as client:
        r = await client.post(
            "/api/v1/webhooks",
            json={"url": receiver["url"], "event_types": ["lead.created"]},
            headers=admin,
        )
        assert r.status_code == 201, r.text
        hook = r.json()
        receiver["module"]["SECRET"] = hook["secret"]
        r = await client.post(f"/api/v1/webhooks/{hook['id']}/ping", headers=admin)
        assert r.status_code == 202, r.text
        ping = r.json()
        async with httpx.AsyncClient() as http:
            assert await delivery.deliver_due(factory, http, allow_private=True) == 1
            [event] = receiver["handled"]
            assert event["type"] == "webhook.ping" and event["resource_id"] == hook["id"]
            r = await client.post(
                f"/api/v1/webhooks/{hook['id']}/deliveries/{ping['id']}/redeliver",
                headers=admin,
            )
            assert r.status_code == 202
            await delivery.deliver_due(factory, http, allow_private=True)
            # Delivered again with the same event id: the receiver handles it once.
            assert len(receiver["handled"]) == 1
            r = await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin)
            [done] = r.json()["items"]
            assert done["status"] == "succeeded" and done["attempts"] == 2

            body = json.dumps({**event, "id": event["id"] + 1}).encode()
            forged = signature("whsec_wrong", int(time.time()), body)
            r = await http.post(
                receiver["url"],
                content=body,
                headers={"Engage-Signature": forged, "Engage-Event-Id": "x"},
            )
            assert r.status_code == 401
            stale = signature(hook["secret"], int(time.time()) - 3600, body)
            r = await http.post(
                receiver["url"],
                content=body,
                headers={"Engage-Signature": stale, "Engage-Event-Id": "x"},
            )
            assert r.status_code == 401
    assert len(receiver["handled"]) == 1

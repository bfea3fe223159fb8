"""X-Forwarded-* headers are believed only from ENGAGE_FORWARDED_ALLOW_IPS (empty default): the
client address picks a rate-limit budget, so a header anyone can send must not move it."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn

from app.cli import forwarded_options
from app.core.config import Settings


async def _client_seen(allow: str, peer: str) -> Any:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["client"] = scope["client"]

    config = uvicorn.Config(app, **forwarded_options(Settings(forwarded_allow_ips=allow)))
    config.load()
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "scheme": "http",
        "client": (peer, 5000),
        "headers": [(b"x-forwarded-for", b"203.0.113.9")],
    }
    await config.loaded_app(scope, None, None)
    return seen["client"][0]


def test_default_trusts_no_proxy() -> None:
    assert Settings().forwarded_allow_ips == ""
    assert forwarded_options(Settings())["proxy_headers"] is False


@pytest.mark.parametrize(
    ("allow", "peer", "client"),
    [
        ("", "127.0.0.1", "127.0.0.1"),
        ("", "10.0.0.5", "10.0.0.5"),
        ("10.0.0.5", "10.0.0.5", "203.0.113.9"),
        ("10.0.0.5", "10.0.0.6", "10.0.0.6"),
    ],
)
async def test_forwarded_for_only_from_listed_proxies(allow: str, peer: str, client: str) -> None:
    assert await _client_seen(allow, peer) == client

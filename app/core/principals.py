"""Authentication: the `Authorization` header to the caller (a `Principal`) or the reason there
is none, through a per-worker cache kept honest by PostgreSQL LISTEN/NOTIFY.

The look-up, when it runs, is the request's first statement, so a pooled connection that died
(a PostgreSQL restart, a proxy's idle timeout) fails here, before anything was written, and the
query is retried once on a fresh connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

import asyncpg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.security import Principal
from app.core.security import bearer_token
from app.core.security import hash_token

log = logging.getLogger("engage")

CHANNEL = "engage_principals"
LISTENER_SETTINGS = {"application_name": "engage-listener"}
LoadPrincipal = Callable[[AsyncSession, bytes], Awaitable[Principal | None]]


@dataclass(frozen=True)
class Identity:
    principal: Principal | None
    error: str | None = None


ANONYMOUS = Identity(None)


class Authenticator:
    def __init__(self, load: LoadPrincipal, cache: PrincipalCache | None = None) -> None:
        self._load = load
        self.cache = cache

    async def identify(self, session: AsyncSession, authorization: str | None) -> Identity:
        token = bearer_token(authorization)
        if token is None:
            if authorization:
                return Identity(None, "Use the Bearer scheme: `Authorization: Bearer <token>`.")
            return ANONYMOUS
        principal = await self._principal(session, hash_token(token))
        if principal is None:
            return Identity(None, "The token is invalid, expired or revoked.")
        return Identity(principal)

    async def _principal(self, session: AsyncSession, token_hash: bytes) -> Principal | None:
        cache = self.cache
        if cache is None or not cache.live:
            return await self._load_once_more(session, token_hash)
        principal = cache.get(token_hash)
        if principal is None:
            generation = cache.generation
            principal = await self._load_once_more(session, token_hash)
            if principal is not None:
                cache.put(token_hash, principal, generation)
        return principal

    async def _load_once_more(self, session: AsyncSession, token_hash: bytes) -> Principal | None:
        try:
            return await self._load(session, token_hash)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying on a new one: %s", exc.orig)
            await session.rollback()
            return await self._load(session, token_hash)


class PrincipalCache:
    """This worker's principals by token hash, for at most `max_age` seconds.

    Kept only while `PrincipalListener` is connected: each notification drops the named user's
    entries, and a lost connection drops everything and stops caching until it is back, since
    notifications sent meanwhile are lost. A look-up that started before a notification is not
    stored (the generation moved), so a principal read just before its revocation committed is
    never cached after it.
    """

    def __init__(self, max_age: float, max_entries: int = 50_000) -> None:
        self.max_age = max_age
        self.max_entries = max_entries
        self.live = False
        self.generation = 0
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    def get(self, token_hash: bytes) -> Principal | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[token_hash]
            return None
        return entry[1]

    def put(self, token_hash: bytes, principal: Principal, generation: int) -> None:
        if not self.live or generation != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        until = time.monotonic() + self.max_age
        if principal.token_expires_at is not None:
            left = (principal.token_expires_at - datetime.now(UTC)).total_seconds()
            until = min(until, time.monotonic() + left)
        self._entries[token_hash] = (until, principal)

    def forget_user(self, user_id: str) -> None:
        self.generation += 1
        for token_hash in [h for h, (_, p) in self._entries.items() if str(p.id) == user_id]:
            del self._entries[token_hash]

    def flush(self, live: bool) -> None:
        self.generation += 1
        self._entries.clear()
        self.live = live


class PrincipalListener:
    """LISTENs on `engage_principals` on a connection of its own (outside every pool), and
    keeps the cache honest: connected -> caching; a notification -> that user forgotten; the
    connection lost or silent past a heartbeat -> everything forgotten and caching off while it
    reconnects."""

    def __init__(self, dsn: str, cache: PrincipalCache, connect_timeout: float) -> None:
        self.dsn = dsn
        self.cache = cache
        self.connect_timeout = connect_timeout
        self._task: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="engage-principal-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.cache.flush(live=False)

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self.cache.forget_user(payload)

    def _terminated(self, _conn: object) -> None:
        self.cache.flush(live=False)
        self._lost.set()

    async def _run(self) -> None:
        heartbeat = max(self.cache.max_age / 2, 0.5)
        while True:
            try:
                connection = await asyncpg.connect(
                    self.dsn, timeout=self.connect_timeout, server_settings=LISTENER_SETTINGS
                )
            except Exception as exc:  # unreachable for now: no cache, try again shortly
                log.warning("principal cache off: cannot listen for changes: %r", exc)
                await asyncio.sleep(heartbeat)
                continue
            try:
                self._lost.clear()
                connection.add_termination_listener(self._terminated)
                await connection.add_listener(CHANNEL, self._notified)
                self.cache.flush(live=True)
                while not self._lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._lost.wait(), heartbeat)
                    if not self._lost.is_set():
                        await asyncio.wait_for(connection.execute("SELECT 1"), heartbeat)
            except Exception as exc:
                log.warning("principal cache off: listening connection lost: %r", exc)
            finally:
                self.cache.flush(live=False)
                connection.terminate()
            await asyncio.sleep(min(heartbeat, 1.0))  # never a tight reconnect loop

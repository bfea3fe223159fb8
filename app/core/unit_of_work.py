"""The unit of work of one API request: its database session and the single commit point.

A write (POST, PUT, PATCH, DELETE) is buffered: its transaction is committed, with the
idempotent response stored in the same transaction, before any byte of the response is sent,
so a client never sees a success that was not committed. A read (GET, HEAD) runs on an
autocommit session (`create_read_session_factory`: no BEGIN, no COMMIT) and is streamed as the
app sends it; if its pooled connection turns out dead before anything was sent, it runs once
more on a fresh one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import NamedTuple

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from app.core import idempotency
from app.core.driver import READ_POOL
from app.core.driver import ReadPool
from app.core.errors import PROBLEM_JSON
from app.core.errors import AppError
from app.core.errors import Conflict
from app.core.idempotency import problem_bytes

log = logging.getLogger("engage")

READ_METHODS = frozenset({"GET", "HEAD"})
Headers = list[tuple[bytes, bytes]]


def finish_headers(raw: Headers, status: int, extra: Headers, length: int | None = None) -> Headers:
    """What every API response carries: `Cache-Control: no-store`, the rate-limit headers, and
    `Connection: close` after a 500 (the connection's state is not to be trusted)."""
    dropped = {b"cache-control", b"content-length"} if length is not None else {b"cache-control"}
    headers = [(k, v) for k, v in raw if k.lower() not in dropped]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    headers.append((b"cache-control", b"no-store"))
    headers += extra
    if status == 500:
        headers.append((b"connection", b"close"))
    return headers


async def send_problem(
    send: Send, error: AppError, path: str, extra: Headers | None = None
) -> None:
    body = problem_bytes(error.body(path))
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    headers = finish_headers(headers, error.status, extra or [], len(body))
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Exchange(NamedTuple):
    """One request's ASGI call: the app below, and the request's scope, receive and send."""

    app: ASGIApp
    scope: Scope
    receive: Receive
    send: Send


class UnitOfWork:
    def __init__(
        self,
        write_factory: Callable[[], async_sessionmaker[AsyncSession]],
        read_factory: Callable[[], async_sessionmaker[AsyncSession]],
        read_pool: Callable[[], ReadPool | None] = lambda: None,
    ) -> None:
        self._write_factory = write_factory
        self._read_factory = read_factory
        self._read_pool = read_pool

    @asynccontextmanager
    async def session(self, method: str) -> AsyncIterator[AsyncSession]:
        """The request's session. A read's carries the app's read pool, if any: its hot reads
        then never check out the session's connection. A session that never began a transaction
        holds nothing, and is dropped without closing (closing costs a greenlet hop)."""
        reading = method in READ_METHODS
        session = (self._read_factory if reading else self._write_factory)()()
        reads = self._read_pool() if reading else None
        if reads is not None:
            session.info[READ_POOL] = reads
        try:
            yield session
        finally:
            if session.in_transaction():
                await session.close()

    async def run(self, call: Exchange, session: AsyncSession, extra: Headers) -> None:
        if call.scope["method"] in READ_METHODS:
            await self._read(call, session, extra)
        else:
            await self._write(call, session, extra)

    async def _read(self, call: Exchange, session: AsyncSession, extra: Headers) -> None:
        app, scope, receive, send = call
        status = 0

        async def forward(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": finish_headers(message["headers"], status, extra)}
            await send(message)

        try:
            await app(scope, receive, forward)
        except DBAPIError as exc:
            await session.rollback()
            if status or not exc.connection_invalidated:
                raise
            log.warning("database connection lost; reading again on a new one: %s", exc.orig)
            async with self.session(scope["method"]) as fresh:
                scope["state"]["session"] = fresh
                await app(scope, receive, forward)
            return
        except BaseException:
            await session.rollback()
            raise
        # A read writes nothing: in autocommit this sends nothing; a test's savepoint session
        # (shared with the rate-limit counter's) is released here.
        if session.in_transaction():
            await session.commit()

    async def _write(self, call: Exchange, session: AsyncSession, extra: Headers) -> None:
        app, scope, receive, send = call
        start: Message = {}
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await app(scope, receive, buffer)
        except BaseException:
            await session.rollback()
            raise
        status: int = start["status"]
        body = b"".join(chunks)
        try:
            await self._commit(session, scope, status, start["headers"], body)
        except (IntegrityError, DBAPIError) as exc:
            await session.rollback()
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                raise  # the outcome is unknown: answered as the database being unavailable
            log.warning("commit failed: %s", exc.orig)
            error = Conflict("The change conflicts with a concurrent change; retry it.")
            await send_problem(send, error, scope["path"], extra)
            return
        headers = finish_headers(start["headers"], status, extra, len(body))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _commit(
        self, session: AsyncSession, scope: Scope, status: int, raw: Headers, body: bytes
    ) -> None:
        """Commit a success with its idempotent response; roll a failure back, keeping its
        response for the key when the contract says it is replayed."""
        claim = scope["state"].get("idempotency")
        headers = {k.decode().lower(): v.decode() for k, v in raw}
        if status < 400:
            if claim is not None:
                await idempotency.store(session, claim, status, headers, body)
            await session.commit()
            return
        await session.rollback()
        if claim is not None and status < 500 and status not in idempotency.NOT_STORED:
            await idempotency.store(session, claim, status, headers, body)
            await session.commit()

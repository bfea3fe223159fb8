"""Per-request context as one ASGI middleware: body limit, content type, one database session,
authentication, and the single commit point (with the idempotent response stored in the same
transaction) before any byte of the response is sent. GET and HEAD get an autocommit session
(`create_read_session_factory`): they never write, so their BEGIN and COMMIT would be two
round trips for nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import idempotency, rate_limit
from app.core.errors import (
    PROBLEM_JSON,
    AppError,
    Conflict,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
)
from app.core.idempotency import problem_bytes
from app.core.security import bearer_token, hash_token

log = logging.getLogger("engage")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
READ_METHODS = frozenset({"GET", "HEAD"})
CSV_PATHS = frozenset({"/api/v1/leads/import"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _problem_message(error: AppError, path: str) -> tuple[Message, Message]:
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    body = problem_bytes(error.body(path))
    return (
        {"type": "http.response.start", "status": error.status, "headers": headers},
        {"type": "http.response.body", "body": body},
    )


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        session_factory: Callable[[], async_sessionmaker[AsyncSession]],
        read_session_factory: Callable[[], async_sessionmaker[AsyncSession]],
        max_body_bytes: int,
        load_principal: Callable[[AsyncSession, bytes], Any],
        rate_limit_per_minute: int = 0,
    ) -> None:
        self.app = app
        self.session_factory = session_factory
        self.read_session_factory = read_session_factory
        self.max_body_bytes = max_body_bytes
        self.load_principal = load_principal
        self.rate_limit = rate_limit_per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = Headers(scope=scope)
        refusal = self._refuse(scope["method"], path, headers)
        if refusal is not None:
            for message in _problem_message(refusal, path):
                await send(message)
            return
        receive = self._limited(receive)
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        await self._api_request(scope, receive, send, headers)

    def _refuse(self, method: str, path: str, headers: Headers) -> AppError | None:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return PayloadTooLarge(f"The request body exceeds {self.max_body_bytes} bytes.")
        if method in BODY_METHODS and path.startswith("/api/"):
            content_type = headers.get("content-type")
            has_body = (length is not None and length != "0") or "transfer-encoding" in headers
            if path in CSV_PATHS:
                if not (content_type or "").lower().startswith("text/csv"):
                    return UnsupportedMediaType("Send the file as text/csv (UTF-8).")
            elif has_body and not (content_type and _is_json(content_type)):
                return UnsupportedMediaType(
                    "Send JSON: application/json (or application/merge-patch+json for PATCH)."
                )
        return None

    def _limited(self, receive: Receive) -> Receive:
        limit = self.max_body_bytes
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # An HTTPException passes FastAPI's body parsing untouched; rendered as 413.
                    raise HTTPException(413, f"The request body exceeds {limit} bytes.")
            return message

        return wrapped

    async def _authenticate(self, session: AsyncSession, token_hash: bytes) -> Any:
        """Load the principal; its query is every API request's first statement, so a pooled
        connection that died (a PostgreSQL restart, a proxy's idle timeout) fails here, before
        anything was written, and the query is retried once on a fresh connection."""
        try:
            return await self.load_principal(session, token_hash)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            log.warning("database connection lost; retrying on a new one: %s", exc.orig)
            await session.rollback()
            return await self.load_principal(session, token_hash)

    async def _spend(self, token_id: Any, scope: Scope) -> rate_limit.Budget:
        async with self.session_factory()() as counter:
            cost = rate_limit.cost_of(scope["method"], scope["path"])
            return await rate_limit.spend(counter, token_id, cost, self.rate_limit)

    async def _api_request(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers
    ) -> None:
        state = scope.setdefault("state", {})
        factory = (
            self.read_session_factory if scope["method"] in READ_METHODS else self.session_factory
        )
        async with factory()() as session:
            state["session"] = session
            token = bearer_token(headers.get("authorization"))
            if token is not None:
                state["principal"] = await self._authenticate(session, hash_token(token))
                if state["principal"] is None:
                    state["auth_error"] = "The token is invalid, expired or revoked."
            elif headers.get("authorization"):
                state["auth_error"] = "Use the Bearer scheme: `Authorization: Bearer <token>`."
            budget = None
            if self.rate_limit > 0 and state.get("principal") is not None:
                budget = await self._spend(state["principal"].token_id, scope)
                if budget.exceeded:
                    limited = RateLimited(
                        f"More than {self.rate_limit} requests a minute for this token.",
                        headers={"Retry-After": str(budget.reset_seconds)},
                    )
                    start_message, body_message = _problem_message(limited, scope["path"])
                    start_message["headers"] += budget.headers()
                    await send(start_message)
                    await send(body_message)
                    return

            start: Message = {}
            chunks: list[bytes] = []

            async def buffer(message: Message) -> None:
                nonlocal start
                if message["type"] == "http.response.start":
                    start = message
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            try:
                await self.app(scope, receive, buffer)
            except BaseException:
                await session.rollback()
                raise
            status: int = start["status"]
            body = b"".join(chunks)
            response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
            claim = state.get("idempotency")
            try:
                if status < 400:
                    if claim is not None:
                        await idempotency.store(session, claim, status, response_headers, body)
                    await session.commit()
                else:
                    await session.rollback()
                    if claim is not None and status < 500 and status not in idempotency.NOT_STORED:
                        await idempotency.store(session, claim, status, response_headers, body)
                        await session.commit()
            except (IntegrityError, DBAPIError) as exc:
                await session.rollback()
                log.warning("commit failed: %s", exc.orig)
                error = Conflict("The change conflicts with a concurrent change; retry it.")
                start, tail = _problem_message(error, scope["path"])
                body = tail["body"]
        raw_headers = [
            (k, v)
            for k, v in start["headers"]
            if k.lower() not in (b"content-length", b"cache-control")
        ]
        raw_headers += [
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if budget is not None:
            raw_headers += budget.headers()
        await send(
            {"type": "http.response.start", "status": start["status"], "headers": raw_headers}
        )
        await send({"type": "http.response.body", "body": body})

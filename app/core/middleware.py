"""The request path as one pure-ASGI layer. Each concern is a part readable alone:

- refusal before any work: body size and content type (`_refuse`, `_limited`);
- authentication: the `Authorization` header to a principal (`principals.Authenticator`);
- rate limiting: one budget per user, or per client address without a valid token
  (`rate_limit.RateLimiter`);
- the unit of work: the request's one session and its single commit point, with the
  idempotent response stored in the same transaction (`unit_of_work.UnitOfWork`);
- failure: a database that cannot be reached answers 503 with `Retry-After`; anything else
  unexpected answers 500 with `Connection: close`, and is logged.
"""

from __future__ import annotations

import logging
import uuid

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from app.core import rate_limit
from app.core.db import database_unavailable
from app.core.errors import AppError
from app.core.errors import PayloadTooLarge
from app.core.errors import RateLimited
from app.core.errors import Unavailable
from app.core.errors import UnsupportedMediaType
from app.core.principals import Authenticator
from app.core.principals import Identity
from app.core.unit_of_work import Exchange
from app.core.unit_of_work import UnitOfWork
from app.core.unit_of_work import send_problem

log = logging.getLogger("engage")

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CSV_PATHS = frozenset({"/api/v1/leads/import"})
RETRY_AFTER_UNAVAILABLE = "2"


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        unit_of_work: UnitOfWork,
        authenticator: Authenticator,
        limiter: rate_limit.RateLimiter | None,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.unit_of_work = unit_of_work
        self.authenticator = authenticator
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = Headers(scope=scope)
        refusal = self._refuse(scope["method"], path, headers)
        if refusal is not None:
            await send_problem(send, refusal, path)
            return
        receive = self._limited(receive)
        if not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._api_request(scope, receive, tracked, headers)
        except Exception as exc:
            if started:
                raise
            await send_problem(send, self._failure(scope, exc), path)

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

    async def _api_request(
        self, scope: Scope, receive: Receive, send: Send, headers: Headers
    ) -> None:
        state = scope.setdefault("state", {})
        async with self.unit_of_work.session(scope["method"]) as session:
            state["session"] = session
            identity = await self.authenticator.identify(session, headers.get("authorization"))
            state["principal"] = identity.principal
            if identity.error:
                state["auth_error"] = identity.error
            extra: list[tuple[bytes, bytes]] = []
            if self.limiter is not None:
                budget = await self.limiter.spend(
                    self._subject(identity, scope),
                    rate_limit.cost_of(scope["method"], scope["path"]),
                )
                extra = budget.headers()
                if budget.exceeded:
                    who = "user" if identity.principal is not None else "client address"
                    limited = RateLimited(
                        f"More than {self.limiter.limit} requests a minute for this {who}.",
                        headers={"Retry-After": str(budget.reset_seconds)},
                    )
                    await send_problem(send, limited, scope["path"], extra)
                    return
            await self.unit_of_work.run(Exchange(self.app, scope, receive, send), session, extra)

    @staticmethod
    def _subject(identity: Identity, scope: Scope) -> uuid.UUID:
        if identity.principal is not None:
            return identity.principal.id
        client = scope.get("client")
        return rate_limit.address_subject(client[0] if client else "unknown")

    @staticmethod
    def _failure(scope: Scope, exc: Exception) -> AppError:
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %r", scope["method"], scope["path"], exc)
            return Unavailable(
                "The database cannot be reached; retry shortly.",
                headers={"Retry-After": RETRY_AFTER_UNAVAILABLE},
            )
        log.error("unhandled error on %s %s", scope["method"], scope["path"], exc_info=exc)
        return AppError("An unexpected error occurred; it has been logged.")

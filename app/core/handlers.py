"""The one place errors become RFC 9457 problem documents."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import PROBLEM_JSON
from app.core.errors import AppError
from app.core.errors import FieldError
from app.core.errors import Malformed
from app.core.errors import MethodNotAllowed
from app.core.errors import NotFound
from app.core.errors import PayloadTooLarge
from app.core.errors import ValidationFailed
from app.core.idempotency import IdempotentReplay
from app.core.idempotency import problem_bytes
from app.core.idempotency import replay_headers

log = logging.getLogger("engage")

CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "read_only": "read_only",
    "null_not_allowed": "required",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "too_long": "too_many_items",
    "too_short": "too_few_items",
    "string_pattern_mismatch": "invalid_format",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "uuid_parsing": "invalid_uuid",
    "uuid_type": "invalid_uuid",
    "int_parsing": "invalid_integer",
    "int_type": "invalid_integer",
    "int_from_float": "invalid_integer",
    "bool_parsing": "invalid_boolean",
    "bool_type": "invalid_boolean",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "money_format": "invalid_money",
    "date_from_datetime_parsing": "invalid_date",
    "date_parsing": "invalid_date",
    "date_type": "invalid_date",
    "datetime_parsing": "invalid_datetime",
    "datetime_from_date_parsing": "invalid_datetime",
    "datetime_type": "invalid_datetime",
    "timezone_aware": "timezone_required",
    "string_type": "invalid_type",
    "dict_type": "invalid_type",
    "list_type": "invalid_type",
    "model_type": "invalid_type",
    "model_attributes_type": "invalid_type",
}


def render(error: AppError, request: Request) -> Response:
    return Response(
        problem_bytes(error.body(request.url.path)),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )


def dotted(loc: Sequence[Any], ctx: dict[str, Any] | None) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    elif parts and parts[0] in {"query", "header", "cookie"}:
        # A value of a multi-value query filter is reported on the parameter, not its index.
        parts = parts[:2]
        if parts[0] == "header":
            parts[1:] = [p.lower() for p in parts[1:]]
    if ctx and "field" in ctx:
        parts.append(str(ctx["field"]))
    return ".".join(parts) or "body"


def validation_problem(exc: RequestValidationError) -> AppError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return Malformed("The request body is not valid JSON.")
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return NotFound("No such resource.")
    fields = []
    for e in errors:
        kind = str(e.get("type", "invalid"))
        message = str(e.get("msg", "Invalid value."))
        fields.append(
            FieldError(dotted(e.get("loc", ()), e.get("ctx")), CODES.get(kind, kind), message)
        )
    return ValidationFailed("The request has invalid fields; see `errors`.", errors=fields)


def install(app: FastAPI) -> None:
    @app.exception_handler(IdempotentReplay)
    async def _replay(request: Request, exc: IdempotentReplay) -> Response:
        request.state.idempotency = None
        record = exc.record
        return Response(
            record.response_body, status_code=record.status_code, headers=replay_headers(record)
        )

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return render(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return render(validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        error: AppError
        if exc.status_code == 404:
            error = NotFound("No such route or resource.")
        elif exc.status_code == 413:
            error = PayloadTooLarge(str(exc.detail))
        elif exc.status_code == 405:
            error = MethodNotAllowed(
                f"{request.method} is not allowed here.", headers=dict(exc.headers or {})
            )
        else:
            error = AppError(str(exc.detail))
            error.status = exc.status_code
        return render(error, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return render(AppError("An unexpected error occurred; it has been logged."), request)

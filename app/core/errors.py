"""Domain errors and their RFC 9457 rendering: services raise these, one handler renders them."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

T = TypeVar("T")

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


class AppError(Exception):
    """Base of every error Engage answers with a problem document."""

    status: int = 500
    problem: str = "internal"
    title: str = "Internal error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.title
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(self.detail)

    def body(self, instance: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "type": f"/problems/{self.problem}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            doc["errors"] = [e.as_dict() for e in self.errors]
        doc.update(self.extra)
        return doc


class Malformed(AppError):
    status, problem, title = 400, "malformed", "Malformed request"


class Unauthenticated(AppError):
    status, problem, title = 401, "unauthenticated", "Authentication required"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="engage"'})


class Forbidden(AppError):
    status, problem, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, problem, title = 404, "not-found", "Not found"


def found(value: T | None, detail: str) -> T:
    """`value`, or 404 `not-found` saying `detail` when it is None (missing or not visible)."""
    if value is None:
        raise NotFound(detail)
    return value


class MethodNotAllowed(AppError):
    status, problem, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    """A 409 that is no duplicate and no transition (a concurrent change, a record in use, a
    standing rule)."""

    status, problem, title = 409, "conflict", "Conflict"


class InUse(Conflict):
    """What the change removes is still used."""


class Duplicate(Conflict):
    status, problem, title = 409, "duplicate", "Duplicate"

    def __init__(self, detail: str, existing_id: Any = None) -> None:
        extra = {"existing_id": str(existing_id)} if existing_id is not None else {}
        super().__init__(detail, extra=extra)


class InvalidTransition(AppError):
    status, problem, title = 409, "invalid-transition", "Invalid transition"


class StateConflict(Conflict):
    """The change would break a standing rule (the last active admin, ...)."""


class OpportunityClosed(AppError):
    status, problem, title = 409, "opportunity-closed", "Opportunity closed"


class IdempotencyInFlight(AppError):
    status, problem, title = 409, "idempotency-in-flight", "Request still in flight"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            headers={"Retry-After": "1"},
        )


class PreconditionFailed(AppError):
    status, problem, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, problem, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, problem, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AppError):
    status, problem, title = 422, "validation", "Validation failed"


class IdempotencyMismatch(AppError):
    status, problem, title = 422, "idempotency-mismatch", "Idempotency key reused"


class StageRequirementsUnmet(AppError):
    status, problem, title = 422, "stage-requirements-unmet", "Stage requirements unmet"

    def __init__(self, detail: str, unmet: Sequence[Mapping[str, str]]) -> None:
        super().__init__(detail, extra={"unmet_requirements": [dict(u) for u in unmet]})


class RateLimited(AppError):
    status, problem, title = 429, "rate-limited", "Rate limited"


class Unavailable(AppError):
    status, problem, title = 503, "unavailable", "Service unavailable"


def field_error(field: str, code: str, message: str) -> ValidationFailed:
    """A 422 about one input field (dotted path, `query.`/`header.` outside the body)."""
    return ValidationFailed(message, errors=[FieldError(field, code, message)])


def not_visible(field: str) -> ValidationFailed:
    """An id in a query or body the caller cannot see is treated as nonexistent (422)."""
    return field_error(field, "not_found", f"No such record visible to you for {field}.")

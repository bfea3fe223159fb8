"""The operations every resource has, declared once: create, list, read, change, delete.

A router declares a resource (`Resource`) and each standard operation in one call. The
convention lives here: create answers 201 with `Location` and `ETag` and takes an
`Idempotency-Key`; read and change answer with `ETag`; change and delete honour `If-Match`;
delete answers 204; a list answers `{items, next_cursor}`. The endpoint FastAPI analyses is
built with the signature the hand-written one would have (its parameters in the declared order,
its name giving the operation's default summary), so the OpenAPI document is the same.

The service function behind an operation takes `(session, principal)` first; then create takes
the body, read the id, change the id, body and `If-Match`, delete the id and `If-Match`; every
other declared parameter (a list's `page`, `filters`, `sort`, ...) is passed by its name.
`expand` is passed as the tuple of expansions asked for, `()` when none.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from typing import Annotated
from typing import Any

from fastapi import APIRouter
from fastapi import Response
from pydantic import BaseModel

from app.core.http import IfMatch
from app.core.http import created
from app.core.http import page_of
from app.core.http import tagged
from app.core.idempotency import Idempotent
from app.core.pagination import Page
from app.core.query_lists import built
from app.core.security import AdminPrincipal
from app.core.security import HumanPrincipal
from app.core.session import Session

# A declared parameter: its annotation, or (annotation, default).
Params = Mapping[str, Any]
Run = Callable[[dict[str, Any]], Awaitable[Any]]

_KEYWORD = inspect.Parameter.KEYWORD_ONLY
_STANDARD = ("principal", "session", "response", "body", "if_match")


def _parameter(name: str, spec: Any) -> inspect.Parameter:
    if isinstance(spec, tuple):
        annotation, default = spec
        return inspect.Parameter(name, _KEYWORD, annotation=annotation, default=default)
    return inspect.Parameter(name, _KEYWORD, annotation=spec)


def _named(values: dict[str, Any], exclude: tuple[str, ...]) -> dict[str, Any]:
    """The declared parameters a service takes by name (`expand`: a tuple, never None)."""
    named = {k: v for k, v in values.items() if k not in exclude}
    if "expand" in named:
        named["expand"] = named["expand"] or ()
    return named


def endpoint(name: str, params: Params, run: Run, returns: Any) -> Callable[..., Awaitable[Any]]:
    """An endpoint named `name` whose signature is `params` (in order), answering `run`."""

    async def answer(**values: Any) -> Any:
        return await run(values)

    answer.__name__ = answer.__qualname__ = name
    signature = [_parameter(key, spec) for key, spec in params.items()]
    answer.__signature__ = inspect.Signature(signature, return_annotation=returns)  # type: ignore[attr-defined]
    return answer


class Resource:
    """One resource at `/<path>` and `/<path>/{<name>_id}`, read and written as `schema`.

    `operations` prefixes the operation ids (`notes` -> `notes-create`, ...); `name` and
    `plural` give the endpoints' names (`create_note`, `list_notes`, ...), hence the
    operations' default summaries. `principal` is who may call (an operation may narrow it).
    `key` names the item's path parameter and its type where it is not `<name>_id`, a UUID.
    A resource with a `parent` (its item path) is created and listed within it: the service's
    create takes the parent's id before the body, and the list's filters carry it.
    """

    def __init__(
        self,
        router: APIRouter,
        path: str,
        schema: type[BaseModel],
        principal: Any,
        *,
        name: str,
        plural: str | None = None,
        operations: str | None = None,
        key: tuple[str, Any] | None = None,
        parent: str | None = None,
    ) -> None:
        self.router = router
        self.path = path
        self.schema = schema
        self.principal = principal
        self.name = name
        self.plural = plural or f"{name}s"
        self.id: str = key[0] if key else f"{name}_id"
        self.key: Any = key[1] if key else uuid.UUID
        self.item = f"{path}/{{{self.id}}}"
        self.operations = operations or path.strip("/")
        # Created and listed within a parent (`/accounts/{account_id}` for `/units`), if any.
        self.collection = (parent or "") + path
        self.parent = parent[parent.rindex("{") + 1 : -1] if parent else None

    def _add(
        self, method: str, path: str, verb: str, name: str, params: Params, run: Run, **route: Any
    ) -> None:
        returns = route.get("response_model", Response)
        route.setdefault("operation_id", f"{self.operations}-{verb}")
        self.router.add_api_route(
            path, endpoint(name, params, run, returns), methods=[method], **route
        )

    def create(
        self,
        call: Callable[..., Awaitable[Any]],
        body: type[BaseModel],
        *,
        principal: Any = None,
        params: Params | None = None,
        **route: Any,
    ) -> None:
        """POST `path`: 201 with `Location` and `ETag`; `Idempotency-Key` honoured."""
        schema = self.schema
        parent = (self.parent,) if self.parent else ()

        async def run(values: dict[str, Any]) -> Any:
            named = _named(values, (*_STANDARD, *parent))
            within = [values[key] for key in parent]
            entity = await call(
                values["session"], values["principal"], *within, values["body"], **named
            )
            location = f"/api/v1{self.path}/{entity.id}"
            return created(values["response"], schema, entity, location)

        declared: dict[str, Any] = {key: uuid.UUID for key in parent}
        declared |= {"body": body, "principal": principal or self.principal, "session": Session}
        declared |= {"response": Response, **(params or {})}
        route.setdefault("dependencies", [Idempotent])
        self._add(
            "POST",
            self.collection,
            "create",
            f"create_{self.name}",
            declared,
            run,
            status_code=201,
            response_model=schema,
            **route,
        )

    def list(
        self,
        call: Callable[..., Awaitable[tuple[Any, str | None]]],
        page: type[BaseModel],
        *,
        filters: type | None = None,
        sorts: Any = None,
        custom: Any = None,
        expand: Any = None,
        params: Params | None = None,
        principal: Any = None,
        **route: Any,
    ) -> None:
        """GET `path`: one page of `{items, next_cursor}`. Its parameters: `filters` (a filter
        dataclass, each field a query parameter), `custom` (the `custom.<key>` filters), `sorts`
        (a `SortSpec`), the page and `expand`, in that order; or, where a list orders them
        otherwise, `params` in full."""
        if params is None:
            params = {"filters": Annotated[filters, built(filters)]} if filters else {}
            params |= {"custom": custom} if custom else {}
            params |= {"sort": (str, sorts.param)} if sorts else {}
            params |= {"page": Page}
            params |= {"expand": (Any, expand)} if expand else {}

        async def run(values: dict[str, Any]) -> Any:
            named = _named(values, _STANDARD)
            rows, cursor = await call(values["session"], values["principal"], **named)
            return page_of(page, rows, cursor)

        declared = {"principal": principal or self.principal, "session": Session, **params}
        self._add(
            "GET",
            self.collection,
            "list",
            f"list_{self.plural}",
            declared,
            run,
            response_model=page,
            **route,
        )

    def read(
        self,
        call: Callable[..., Awaitable[Any]],
        *,
        principal: Any = None,
        params: Params | None = None,
        **route: Any,
    ) -> None:
        """GET `item`: the resource with its `ETag`."""
        schema, key = self.schema, self.id

        async def run(values: dict[str, Any]) -> Any:
            named = _named(values, (*_STANDARD, key))
            entity = await call(values["session"], values["principal"], values[key], **named)
            return tagged(values["response"], schema, entity)

        declared = {key: self.key, "principal": principal or self.principal, "session": Session}
        declared |= {"response": Response, **(params or {})}
        self._add(
            "GET",
            self.item,
            "get",
            f"get_{self.name}",
            declared,
            run,
            response_model=schema,
            **route,
        )

    def update(
        self,
        call: Callable[..., Awaitable[Any]],
        body: type[BaseModel],
        *,
        principal: Any = None,
        **route: Any,
    ) -> None:
        """PATCH `item` (JSON Merge Patch): the changed resource with its `ETag`."""
        schema, key = self.schema, self.id

        async def run(values: dict[str, Any]) -> Any:
            entity = await call(
                values["session"],
                values["principal"],
                values[key],
                values["body"],
                values["if_match"],
            )
            return tagged(values["response"], schema, entity)

        declared = {key: self.key, "body": body, "principal": principal or self.principal}
        declared |= {"session": Session, "response": Response, "if_match": (IfMatch, None)}
        self._add(
            "PATCH",
            self.item,
            "update",
            f"update_{self.name}",
            declared,
            run,
            response_model=schema,
            **route,
        )

    def delete(
        self, call: Callable[..., Awaitable[Any]], *, principal: Any = None, **route: Any
    ) -> None:
        """DELETE `item`: 204."""
        key = self.id

        async def run(values: dict[str, Any]) -> Any:
            await call(values["session"], values["principal"], values[key], values["if_match"])
            return Response(status_code=204)

        declared = {key: self.key, "principal": principal or self.principal, "session": Session}
        declared["if_match"] = (IfMatch, None)
        self._add(
            "DELETE",
            self.item,
            "delete",
            f"delete_{self.name}",
            declared,
            run,
            status_code=204,
            **route,
        )

    def children(
        self,
        suffix: str,
        call: Callable[..., Awaitable[tuple[Any, str | None]]],
        page: type[BaseModel],
        *,
        name: str,
        operation_id: str,
        params: Params | None = None,
        principal: Any = None,
        **route: Any,
    ) -> None:
        """GET `item` + `suffix`: one page of what the item holds (its history, tokens,
        deliveries, ...). The service takes the item's id, then `params` (default: the page) by
        name."""
        key = self.id

        async def run(values: dict[str, Any]) -> Any:
            named = _named(values, (*_STANDARD, key))
            rows, cursor = await call(values["session"], values["principal"], values[key], **named)
            return page_of(page, rows, cursor)

        declared = {key: self.key, "principal": principal or self.principal, "session": Session}
        declared |= params or {"page": Page}
        self._add(
            "GET",
            self.item + suffix,
            "",
            name,
            declared,
            run,
            operation_id=operation_id,
            response_model=page,
            **route,
        )


def settings_routes(
    router: APIRouter,
    path: str,
    document: Any,
    update: type[BaseModel],
    *,
    names: tuple[str, str],
    descriptions: tuple[str, str],
) -> None:
    """GET and PUT of an admin settings document (a `settings_store.Document`): every person
    reads it; admins replace it under `If-Match`. Both answer with its `ETag`."""
    schema, operations = document.schema, path.strip("/").replace("/", "-")

    async def read(values: dict[str, Any]) -> Any:
        return tagged(values["response"], schema, await document.get(values["session"]))

    async def replace(values: dict[str, Any]) -> Any:
        written = await document.put(values["session"], values["body"], values["if_match"])
        return tagged(values["response"], schema, written)

    reading = {"principal": HumanPrincipal, "session": Session, "response": Response}
    writing: dict[str, Any] = {"body": update, "principal": AdminPrincipal, "session": Session}
    writing |= {"response": Response, "if_match": (IfMatch, None)}
    for method, verb, name, params, run, description in (
        ("GET", "get", names[0], reading, read, descriptions[0]),
        ("PUT", "put", names[1], writing, replace, descriptions[1]),
    ):
        router.add_api_route(
            path,
            endpoint(name, params, run, schema),
            methods=[method],
            operation_id=f"{operations}-{verb}",
            response_model=schema,
            tags=["settings"],
            description=description,
        )


def computed(
    router: APIRouter,
    path: str,
    call: Callable[..., Awaitable[Any]],
    schema: type[BaseModel],
    *,
    name: str,
    params: Params,
    principal: Any = HumanPrincipal,
    **route: Any,
) -> None:
    """GET `path`: what the service computes from `params` (a report, an evaluation), without an
    `ETag` (it has no version of its own)."""

    async def run(values: dict[str, Any]) -> Any:
        named = _named(values, ("principal", "session"))
        return schema.model_validate(await call(values["session"], values["principal"], **named))

    declared = {"principal": principal, "session": Session, **params}
    router.add_api_route(
        path, endpoint(name, declared, run, schema), methods=["GET"], response_model=schema, **route
    )

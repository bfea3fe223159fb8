"""The `engage` command: serve, migrate, users, openapi, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.config import get_settings
from app.core.db import create_engine
from app.core.db import create_session_factory
from app.core.db import resolve_database_url

OPENAPI_PATH = Path("openapi/openapi.json")
T = TypeVar("T")


def _database_url() -> str:
    return resolve_database_url(get_settings())


def cmd_migrate(_: argparse.Namespace) -> int:
    from app.core.migrate import upgrade

    upgrade(_database_url())
    print("database at head")
    return 0


async def _with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    settings = get_settings()
    engine = create_engine(_database_url(), settings)
    try:
        async with create_session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


def cmd_users_create(args: argparse.Namespace) -> int:
    from app.core.errors import AppError
    from app.core.migrate import upgrade
    from app.users import service
    from app.users.schemas import TokenCreate
    from app.users.schemas import UserCreate

    upgrade(_database_url())

    async def work(session: AsyncSession) -> Any:
        manager_id = None
        if args.manager_email:
            manager_id = await service.user_id_with_email(session, args.manager_email)
            if manager_id is None:
                raise SystemExit(f"no user with email {args.manager_email}")
        user = await service.create_user(
            session,
            None,
            UserCreate(
                email=args.email,
                name=args.name,
                role=args.role,
                manager_id=manager_id,
                source=args.source,
            ),
        )
        _, token = await service.create_token(session, None, user.id, TokenCreate(name="cli"))
        return user, token

    try:
        user, token = asyncio.run(_with_session(work))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    print(f"created {user.role} {user.email} ({user.id})")
    print(token)
    return 0


def openapi_document() -> str:
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, sort_keys=True) + "\n"


def cmd_openapi(args: argparse.Namespace) -> int:
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(openapi_document())
    print(f"wrote {path}")
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from app import demo
    from app.core.migrate import upgrade

    upgrade(_database_url())
    loaded, token = asyncio.run(_with_session(demo.load))
    print("demo data loaded" if loaded else "demo data already present")
    print(f"admin: {demo.DEMO_ADMIN}")
    print(f"try: curl -H 'Authorization: Bearer {token}' localhost:8000/api/v1/me")
    print(token)
    return 0


def forwarded_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's proxy-header options: X-Forwarded-* count only from the listed proxies (the
    client address picks a rate-limit budget, so a header anyone can send must not)."""
    allowed = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(allowed), "forwarded_allow_ips": allowed or None}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.migrate import upgrade

    upgrade(_database_url())
    if args.demo:
        cmd_demo(args)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        **forwarded_options(get_settings()),
        log_level="info",
        # A line per request costs the worker 0.1-0.4 ms; ENGAGE_ACCESS_LOG=true turns it on.
        access_log=get_settings().access_log,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.webhooks.delivery import run_worker

    settings = get_settings()

    async def work() -> None:
        engine = create_engine(_database_url(), settings)
        try:
            await run_worker(create_session_factory(engine), settings.webhook_allow_private)
        finally:
            await engine.dispose()

    print("delivering webhooks; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(work())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="engage",
        description="Engage, the sales-execution API. Without ENGAGE_DATABASE_URL every command "
        "uses an embedded PostgreSQL in ENGAGE_DATA_DIR (default ./.engage).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: the machine's cores, here %(default)s); each holds "
        "ENGAGE_POOL_SIZE database connections",
    )
    serve.add_argument(
        "--demo", action="store_true", help="load the demo data first, print a token"
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending migrations (under an advisory lock)")
    migrate.set_defaults(func=cmd_migrate)

    users = sub.add_parser("users", help="manage users")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    create = users_sub.add_parser("create", help="create a user; prints its token as the last line")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["admin", "manager", "rep", "integration"])
    create.add_argument("--manager-email", help="email of the user's manager")
    create.add_argument("--source", help="source slug, for integration users")
    create.set_defaults(func=cmd_users_create)

    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default=str(OPENAPI_PATH), help="default openapi/openapi.json")
    openapi.set_defaults(func=cmd_openapi)

    worker = sub.add_parser("worker", help="deliver webhooks (run one or more; they never clash)")
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="load a small realistic dataset and print an admin token")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except Exception as exc:
        from app.core.db import database_unavailable

        if not database_unavailable(exc):
            raise
        # One line, no traceback: the operator's next step is the database, not the code.
        print(f"engage: cannot reach the database ({_where()}): {_reason(exc)}", file=sys.stderr)
        return 2


def _where() -> str:
    from sqlalchemy.engine import make_url

    url = make_url(_database_url())
    return f"{url.host or url.query.get('host', 'local socket')}:{url.port or 5432}/{url.database}"


def _reason(exc: BaseException) -> str:
    while exc.__cause__ is not None or getattr(exc, "orig", None) is not None:
        exc = getattr(exc, "orig", None) or exc.__cause__  # type: ignore[assignment]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())

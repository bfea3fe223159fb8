"""Seed the fuzzing database: the demo data, two admins (the run's token is admin A's), and a
user and a token the fuzzer may deactivate and revoke. Prints shell `export` lines."""

from __future__ import annotations

import asyncio
import os

from app import demo
from app.core.config import Settings
from app.core.db import create_engine
from app.core.db import create_session_factory
from app.users import service
from app.users.schemas import TokenCreate
from app.users.schemas import UserCreate


async def main() -> None:
    url = os.environ["ENGAGE_DATABASE_URL"]
    engine = create_engine(url, Settings(database_url=url))
    try:
        async with create_session_factory(engine)() as session:
            await demo.load(session)
            made = {}
            for key, role in (("A", "admin"), ("B", "admin"), ("TARGET", "rep")):
                user = await service.create_user(
                    session,
                    None,
                    UserCreate(
                        email=f"fuzz-{key.lower()}@example.com", name=f"Fuzz {key}", role=role
                    ),
                )
                token_row, token = await service.create_token(session, None, user.id, TokenCreate())
                made[key] = (user, token_row, token)
            await session.commit()
    finally:
        await engine.dispose()
    print(f"export ENGAGE_FUZZ_TOKEN={made['A'][2]}")
    print(f"export ENGAGE_FUZZ_TOKEN_B={made['B'][2]}")
    print(f"export ENGAGE_FUZZ_TARGET_USER={made['TARGET'][0].id}")
    print(f"export ENGAGE_FUZZ_TARGET_TOKEN={made['TARGET'][1].id}")


asyncio.run(main())

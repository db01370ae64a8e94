"""Bulk demo data: `python -m users_service.seed --count 100000`.

Fast because every seeded account shares one password hash (Argon2id is slow on
purpose; hashing 100,000 passwords would take minutes) and rows go in as multi-row
INSERTs in large batches. Also makes sure the demo account exists.
"""

import argparse
import random
import sys
import time
from datetime import timedelta

from sqlalchemy import create_engine, func, insert, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from servicekit.core.settings import DatabaseSettings, load_settings
from servicekit.db.engines import has_rows, sync_url
from servicekit.db.models import utcnow
from users_service.models import User
from users_service.security import passwords

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"  # noqa: S105 (published demo credentials)
SEED_PASSWORD = "seed-password"  # noqa: S105
BATCH = 10_000

FIRST = (
    "Ada Alan Ann Anna Barbara Bjarne Claude Dennis Donald Edsger Frances Grace Guido Hedy "
    "Ida Jean John Ken Linus Margaret Niklaus Radia Rob Shafi Sophie Tim Yukihiro"
).split()
LAST = (
    "Allen Backus Conway Dijkstra Hamilton Hopper Kernighan Knuth Lamport Liskov Lovelace "
    "Matsumoto McCarthy Perlman Pike Ritchie Rossum Shannon Stroustrup Torvalds Turing Wirth"
).split()


def seed(engine: Engine, count: int, rng: random.Random) -> int:
    """Inserts `count` users; returns how many there are now."""
    password_hash = passwords.hash(SEED_PASSWORD)
    with engine.begin() as connection:
        now = utcnow()
        # The demo account first: on a fresh database it is user 1, which the items and
        # tasks seeds give demo data to.
        if connection.execute(select(User.id).where(User.email == DEMO_EMAIL)).first() is None:
            connection.execute(
                insert(User),
                {
                    "name": "Demo User",
                    "email": DEMO_EMAIL,
                    "password_hash": passwords.hash(DEMO_PASSWORD),
                    "avatar": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        start = connection.execute(select(func.coalesce(func.max(User.id), 0))).scalar_one()
        for offset in range(0, count, BATCH):
            rows = []
            for n in range(start + offset + 1, start + min(offset + BATCH, count) + 1):
                created = now - timedelta(seconds=rng.randrange(86_400 * 365))
                rows.append(
                    {
                        "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                        "email": f"seed{n}@example.com",
                        "password_hash": password_hash,
                        "avatar": None,
                        "created_at": created,
                        "updated_at": created,
                    }
                )
            connection.execute(insert(User), rows)
        return connection.execute(select(func.count()).select_from(User)).scalar_one()


def _require_migrated(engine: Engine) -> None:
    """One line saying what to run first, rather than SQLAlchemy's traceback."""
    shown = engine.url.render_as_string(hide_password=True)
    try:
        migrated = inspect(engine).has_table(User.__tablename__)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[-1].strip()
        raise SystemExit(
            f"cannot seed {shown}: {reason} (`make run` makes its databases)"
        ) from None
    finally:
        engine.dispose()
    if not migrated:
        raise SystemExit(
            f"cannot seed {shown}: it has no users table; `make run` migrates it (or "
            "alembic -c services/users/alembic.ini upgrade head with this DATABASE_URL)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="users to add (default 1000)")
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument(
        "--if-empty", action="store_true", help="add nothing when there are users already"
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    settings = load_settings(DatabaseSettings)
    engine = create_engine(sync_url(settings.database_url))
    _require_migrated(engine)
    if args.if_empty and has_rows(engine, "users"):
        print("users has rows already: nothing seeded", file=sys.stderr)
        engine.dispose()
        return
    started = time.perf_counter()
    total = seed(engine, args.count, random.Random(args.random_seed))
    engine.dispose()
    elapsed = time.perf_counter() - started
    print(
        f"seeded {args.count} users in {elapsed:.1f}s ({total} in all); "
        f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

"""Bulk demo data: `python -m items_service.seed --count 200000 --owners 1000`.

Items belong to owner ids 1..M of the users service; owner 1 is the demo account and
gets a few dozen. Titles come from word lists, stored views are random, and rows go in
as multi-row INSERTs in large batches.
"""

import argparse
import random
import sys
import time
from datetime import datetime, timedelta

from sqlalchemy import create_engine, func, insert, select
from sqlalchemy.engine import Engine

from items_service.models import Item
from servicekit.core.settings import DatabaseSettings, load_settings
from servicekit.db.engines import has_rows, sync_url
from servicekit.db.models import utcnow

DEMO_OWNER = 1
DEMO_ITEMS = 36
BATCH = 10_000

ADJECTIVES = (
    "Ancient Blue Brass Broken Compact Copper Crimson Dusty Electric Faded Golden Handmade "
    "Heavy Hidden Linen Little Lucky Marble Midnight Modular Old Pocket Quiet Rusty Silver "
    "Smooth Spare Sturdy Tiny Vintage Wooden Woollen"
).split()
NOUNS = (
    "Anchor Atlas Backpack Banjo Bicycle Camera Candle Chair Clock Compass Desk Drum Globe "
    "Guitar Hammer Kettle Ladder Lamp Lantern Map Mirror Notebook Radio Record Scarf Telescope "
    "Teapot Toolbox Typewriter Umbrella Vase Violin Watch"
).split()
QUALIFIERS = ("", "", "", "Mk II", "for parts", "(boxed)", "set of two", "1970s", "XL")
SENTENCES = (
    "Works as it should.",
    "A few scratches, nothing serious.",
    "Collected from a flea market.",
    "Barely used.",
    "Needs a little love.",
    "From my grandparents' attic.",
)


def _item(owner_id: int, rng: random.Random, now: datetime) -> dict[str, object]:
    title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(QUALIFIERS)}".strip()
    created = now - timedelta(seconds=rng.randrange(86_400 * 365))
    description = " ".join(rng.sample(SENTENCES, rng.randint(1, 3))) if rng.random() < 0.7 else None
    return {
        "owner_id": owner_id,
        "title": title,
        "description": description,
        # Mostly few views, some many: a long tail like real traffic.
        "views": int(rng.paretovariate(1.2)) - 1,
        "created_at": created,
        "updated_at": created,
    }


def owners_of(count: int, owners: int, rng: random.Random) -> list[int]:
    """The owner of each new item: the demo account's few dozen, then any other owner."""
    demo = min(count, DEMO_ITEMS) if owners > 1 else count
    rest = [rng.randint(DEMO_OWNER + 1, owners) for _ in range(count - demo)]
    return [DEMO_OWNER] * demo + rest


def seed(engine: Engine, count: int, owners: int, rng: random.Random) -> int:
    """Inserts `count` items for owners 1..`owners`; returns how many there are now."""
    now = utcnow()
    owner_ids = owners_of(count, owners, rng)
    with engine.begin() as connection:
        for offset in range(0, count, BATCH):
            rows = [_item(owner_id, rng, now) for owner_id in owner_ids[offset : offset + BATCH]]
            connection.execute(insert(Item), rows)
        return connection.execute(select(func.count()).select_from(Item)).scalar_one()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="items to add (default 1000)")
    parser.add_argument(
        "--owners", type=int, default=100, help="owner ids 1..M to spread them over (default 100)"
    )
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument(
        "--if-empty", action="store_true", help="add nothing when there are items already"
    )
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("--count must be >= 0")
    if args.owners < 1:
        parser.error("--owners must be >= 1")
    engine = create_engine(sync_url(load_settings(DatabaseSettings).database_url))
    if args.if_empty and has_rows(engine, "items"):
        print("items has rows already: nothing seeded", file=sys.stderr)
        engine.dispose()
        return
    started = time.perf_counter()
    total = seed(engine, args.count, args.owners, random.Random(args.random_seed))
    engine.dispose()
    elapsed = time.perf_counter() - started
    print(
        f"seeded {args.count} items for owners 1..{args.owners} in {elapsed:.1f}s "
        f"({total} in all); owner {DEMO_OWNER} is the demo account",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

"""Flushing item view counts from Redis into the items database, exactly once.

items counts each view with `HINCRBY <prefix>:pending <id> 1` (the keys, columns and
table are servicecontracts.view_counts').
A flush takes three steps, and the worker may die between any two of them:

1. claim: a Lua script renames `pending` to `flushing` and stores a new flush id beside
   it, unless a `flushing` hash is already there (a flush that died half way), whose id
   it returns instead. Reads keep counting into a new `pending` meanwhile.
2. apply: one database transaction inserts the flush id into `view_flushes` and adds
   every count to its item. The id's primary key makes a second apply of the same hash
   fail as a whole, so a flush that died after its commit is never counted twice.
3. release: `flushing` and its id are deleted, but only if the id is still ours.

Views of deleted items are dropped: their UPDATE matches no row.

Each completed flush, with counts or without, stores its time in `<prefix>:flushed_at`:
the worker's metrics report how long ago that was (a flush lag that grows says that
flushes stopped, whatever the reason).
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import Engine, bindparam, delete, exc, insert, update

from servicecontracts.view_counts import ViewKeys, flushed_items, view_flushes
from servicekit.db.models import utcnow

logger = logging.getLogger(__name__)

# KEYS: pending, flushing, flushing id; ARGV: a new flush id. Returns {id, HGETALL} or nil.
# The counts are read in the same script, so they always belong to the returned id.
_CLAIM = """
local id = redis.call('GET', KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 0 then
  if redis.call('EXISTS', KEYS[1]) == 0 then return false end
  redis.call('RENAME', KEYS[1], KEYS[2])
  id = ARGV[1]
  redis.call('SET', KEYS[3], id)
elseif not id then
  id = ARGV[1]
  redis.call('SET', KEYS[3], id)
end
return {id, redis.call('HGETALL', KEYS[2])}
"""
# Another flush may have released our hash and claimed a new one since we read ours;
# deleting that one would lose its views.
_RELEASE = """
if redis.call('GET', KEYS[2]) == ARGV[1] then return redis.call('DEL', KEYS[1], KEYS[2]) end
return 0
"""

# A flush that finds a new pending hash after finishing a dead one's goes on, up to here.
MAX_ROUNDS = 3


@dataclass(frozen=True)
class Claim:
    flush_id: str
    deltas: dict[int, int]


def claim(client: redis.Redis, keys: ViewKeys) -> Claim | None:
    """Step 1: the counts to flush and their flush id, or None when there are none."""
    found = client.eval(
        _CLAIM, 3, keys.pending, keys.flushing, keys.flush_id, secrets.token_hex(16)
    )
    if not found:
        return None
    flush_id, fields = found
    flat = iter(fields)
    deltas: dict[int, int] = {}
    for field, value in zip(flat, flat, strict=True):
        try:
            item_id, delta = int(field), int(value)
        except ValueError:
            logger.warning("dropped a view count that is not a number: %r=%r", field, value)
            continue
        if delta > 0:
            deltas[item_id] = delta
    return Claim(flush_id.decode(), deltas)


def apply(engine: Engine, flushed: Claim, now: datetime | None = None) -> bool:
    """Step 2: adds the counts in one transaction; False if the flush id was applied before."""
    recorded = False
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(view_flushes).values(id=flushed.flush_id, applied_at=now or utcnow())
            )
            recorded = True
            if flushed.deltas:
                # In id order, so two flushes of different hashes never deadlock.
                rows = [{"item_id": i, "delta": d} for i, d in sorted(flushed.deltas.items())]
                connection.execute(
                    update(flushed_items)
                    .where(flushed_items.c.id == bindparam("item_id"))
                    .values(views=flushed_items.c.views + bindparam("delta")),
                    rows,
                )
    except exc.IntegrityError:
        if recorded:
            raise
        return False
    return True


def release(client: redis.Redis, keys: ViewKeys, flush_id: str) -> None:
    """Step 3: forgets the flushed hash."""
    client.eval(_RELEASE, 2, keys.flushing, keys.flush_id, flush_id)


def prune(engine: Engine, older_than: timedelta) -> int:
    """Forgets flush ids old enough that no flush can still be retrying them."""
    with engine.begin() as connection:
        cutoff = utcnow() - older_than
        return connection.execute(
            delete(view_flushes).where(view_flushes.c.applied_at < cutoff)
        ).rowcount


def flush_item_views(
    client: redis.Redis, engine: Engine, keys: ViewKeys, retention: timedelta
) -> dict[str, int]:
    """Moves every pending count into the database; safe to run again after any crash."""
    flushes = items = views = 0
    for _ in range(MAX_ROUNDS):
        flushed = claim(client, keys)
        if flushed is None:
            break
        if apply(engine, flushed):
            flushes += 1
            items += len(flushed.deltas)
            views += sum(flushed.deltas.values())
        else:
            logger.info("flush %s was applied before; releasing it", flushed.flush_id)
        release(client, keys, flushed.flush_id)
    pruned = prune(engine, retention)
    client.set(keys.flushed_at, repr(time.time()))
    if flushes or pruned:
        logger.info(
            "flushed %d views of %d items in %d flushes; pruned %d flush ids",
            views,
            items,
            flushes,
            pruned,
        )
    return {"flushes": flushes, "items": items, "views": views, "pruned": pruned}

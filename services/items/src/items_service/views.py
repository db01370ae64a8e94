"""View counts on the read path, kept in Redis until a job writes them to the database.

A read adds one to the pending hash (item id -> views since the last flush; the keys are
servicecontracts.view_counts'). The flush job renames that hash to the flushing one, adds
its counts to the `views` column, then deletes it; a read during a flush also sees the
counts in flight. So the views of an item are: the stored column + its pending count +
its in-flight count.

Only the single-item read counts and adds; list pages show the stored column alone.
"""

import logging

import redis
import redis.asyncio

from servicecontracts.view_counts import ViewKeys

logger = logging.getLogger(__name__)


class ViewCounter:
    """Counts a view and answers the item's views not yet in the database, in one round
    trip: a non-transactional pipeline of HINCRBY on the pending hash and HGET on the
    flushing one.

    When Redis is down or slow the view is not counted: the read still succeeds with
    the stored count, and one warning says which view was lost. A view count is not
    worth failing a read for, nor worth holding the request beyond the Redis timeout;
    the price is that views during a Redis outage are never counted.
    """

    def __init__(self, keys: ViewKeys):
        self.keys = keys

    async def count(self, client: redis.asyncio.Redis, item_id: int) -> int:
        """Counts one view of the item; returns its views not yet stored, this one included."""
        try:
            async with client.pipeline(transaction=False) as pipeline:
                pipeline.hincrby(self.keys.pending, str(item_id), 1)
                pipeline.hget(self.keys.flushing, str(item_id))
                pending, flushing = await pipeline.execute()
        except redis.RedisError as error:
            return self._not_counted(item_id, error)
        return int(pending) + int(flushing or 0)  # replies are untyped: HINCRBY gives an int

    def count_sync(self, client: redis.Redis, item_id: int) -> int:
        """`count` for `def` handlers."""
        try:
            with client.pipeline(transaction=False) as pipeline:
                pipeline.hincrby(self.keys.pending, str(item_id), 1)
                pipeline.hget(self.keys.flushing, str(item_id))
                pending, flushing = pipeline.execute()
        except redis.RedisError as error:
            return self._not_counted(item_id, error)
        return int(pending) + int(flushing or 0)  # replies are untyped: HINCRBY gives an int

    def _not_counted(self, item_id: int, error: redis.RedisError) -> int:
        logger.warning("view of item %s not counted: %s", item_id, error)
        return 0

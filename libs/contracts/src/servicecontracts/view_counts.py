"""The Redis keys of item view counts, which items writes and the worker flushes.

A read of an item adds one to the hash `<prefix>:pending` (item id -> views since the
last flush). A flush renames it to `<prefix>:flushing`, keeps its flush id in
`<prefix>:flushing:id`, adds the counts to the items table and deletes both; it then
stores its time in `<prefix>:flushed_at`. Both sides read the prefix from the same
setting, `VIEWS_KEY_PREFIX`.
"""

from dataclasses import dataclass

DEFAULT_PREFIX = "items:views"


@dataclass(frozen=True)
class ViewKeys:
    prefix: str = DEFAULT_PREFIX

    @property
    def pending(self) -> str:
        return f"{self.prefix}:pending"

    @property
    def flushing(self) -> str:
        return f"{self.prefix}:flushing"

    @property
    def flush_id(self) -> str:
        return f"{self.prefix}:flushing:id"

    @property
    def flushed_at(self) -> str:
        """Unix time of the last completed flush."""
        return f"{self.prefix}:flushed_at"

"""Reads as named SQL on the driver's own connection: the `.sql` files (`named_sql`, with
its asyncmy adapter for aiosql, `aiosql_asyncmy`), the runner of both modes (`reads`,
with its greenlet bridge, `greenlets`) and LIKE prefixes (`search`).

Above servicekit.observability: a read records its span.
"""
